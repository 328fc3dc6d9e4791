"""Sentiment, emotions and urgency: a learned head on the embedding, prototypes and lexicons.

The tone comes from a logistic-regression head over the sentence embedding (app/ai/local/heads.py),
trained on tweets that other people wrote and labelled in the six languages; on that public dev
set it lifts macro-F1 from 0.49 (prototypes alone) to about 0.58. The lexicon cues (thanks, anger,
"still not working", shouting) move the head's logits, and a quarter of the weight stays with the
helpdesk-specific prototypes, which know that a polite question is neutral; both choices were kept
because they hold the dev score while lifting the hand-written helpdesk smoke set. The lexicons
also name the emotions and the urgency.
"""

from __future__ import annotations

import re

import msgspec
import numpy as np

from app.ai.interface import Sentiment, SentimentLabel, Urgency
from app.ai.local.embedding import Vector
from app.ai.local.heads import sentiment_logits
from app.ai.local.prototypes import PrototypeSet, softmax
from app.ai.local.text import Lexicon, fold, split_sentences

POSITIVE_THRESHOLD = 0.3
NEGATIVE_THRESHOLD = -0.3
_TEMPERATURE = 0.05
# Measured on the public dev set and the smoke set (see the module docstring): the head's logits
# sharpened by 1.5 suit the fixed +-0.3 score thresholds; one lexicon cue adds 1.0 to its logit.
_HEAD_SHARPNESS = 1.5
_CUE_LOGIT = 1.0
_MAX_CUES = 3
_PROTOTYPE_SHARE = 0.25

SENTIMENT_PROTOTYPES = PrototypeSet(
    {
        "positive": (
            "Thank you so much, your support team was fantastic and solved everything quickly.",
            "I love this product, great job, we are very happy with the service.",
            "Muchas gracias por la ayuda, el servicio es excelente.",
            "Merci beaucoup, votre équipe a été formidable.",
            "Vielen Dank, der Support war großartig und sehr hilfreich.",
            "Grazie mille, servizio eccellente, siamo molto soddisfatti.",
            "Muito obrigado, o atendimento foi excelente.",
        ),
        "neutral": (
            "How do I change the settings of my account?",
            "Please send me a copy of the invoice for last month.",
            "I would like to know the price of the business plan.",
            "¿Cómo puedo cambiar la configuración de la cuenta?",
            "Pouvez-vous m'envoyer la facture du mois dernier ?",
            "Wie kann ich die Einstellungen ändern?",
            "Vorrei sapere come funziona il piano annuale.",
            "Gostaria de saber como alterar meus dados.",
        ),
        "negative": (
            "This is unacceptable, nothing works and nobody answers my emails. I am very angry.",
            "I am frustrated, the app keeps crashing and I lost my work again.",
            "You charged me twice and I am furious about it.",
            "Esto es inaceptable, nada funciona y estoy muy enfadado.",
            "C'est inadmissible, rien ne fonctionne, je suis très mécontent.",
            "Das ist eine Katastrophe, nichts funktioniert, ich bin verärgert.",
            "È inaccettabile, non funziona niente, sono molto arrabbiato.",
            "Isso é inaceitável, nada funciona, estou muito insatisfeito.",
        ),
    }
)

# Per-language cue lists, folded (accents and case do not matter); '*' matches any word ending.
EMOTION_LEXICONS: dict[str, Lexicon] = {
    "angry": Lexicon(
        [
            "ridiculous", "unacceptable", "outrageous", "furious", "angry", "scam", "disgrace", "fed up", "sick of",
            "inaceptable", "indignant*", "enfadad*", "harto", "harta", "vergüenza", "estafa", "exijo", "furios*",
            "inadmissible", "inacceptable", "scandal*", "honte", "arnaque", "j'exige", "en colère", "furieu*",
            "unverschämt*", "frechheit", "sauer", "wütend", "verärgert", "skandal*", "abzocke", "verlange",
            "inaccettabile", "vergogna", "arrabbiat*", "truffa", "pretendo", "stufo", "stufi", "stufa",
            "inaceitável", "absurdo", "revoltad*", "vergonha", "golpe", "exijo", "furios*", "irritad*",
        ]
    ),
    "frustrated": Lexicon(
        [
            "frustrat*", "annoying", "annoyed", "again and again", "still not", "still doesn't", "keeps crashing",
            "tired of", "third time", "nobody answers", "ignored", "waste of time", "costing us",
            "frustrad*", "desesperante", "otra vez", "sigue sin", "nadie responde", "nadie me responde",
            "pérdida de tiempo", "lleva semanas",
            "pénible", "agaçant", "toujours pas", "encore une fois", "personne ne répond", "perte de temps",
            "rien n'y fait", "ras le bol",
            "nervig", "ärgerlich", "immer noch", "schon wieder", "niemand antwortet", "zeitverschwendung",
            "frustrier*", "kaum noch nutzbar",
            "frustrant*", "ancora una volta", "ancora non", "nessuno risponde", "perdita di tempo", "non si può lavorare",
            "frustrant*", "de novo", "ainda não", "ninguém responde", "perda de tempo", "difícil trabalhar",
        ]
    ),
    "anxious": Lexicon(
        [
            "worried", "concerned", "scared", "afraid", "panic", "nervous", "stolen", "hacked", "suspicious",
            "preocupad*", "miedo", "robad*", "sospechos*", "no fui yo",
            "inquiet*", "peur", "volé", "volée", "piraté*", "suspect*",
            "besorgt", "sorge", "angst", "gestohlen", "gehackt", "verdächtig*", "nicht ich",
            "preoccupat*", "paura", "rubato", "hackerat*", "sospett*",
            "preocupad*", "medo", "roubad*", "hackead*", "suspeit*", "não fui eu",
        ]
    ),
    "confused": Lexicon(
        [
            "confused", "confusing", "don't understand", "unclear", "not sure", "makes no sense", "couldn't find",
            "confundid*", "no entiendo", "no encuentro", "no está claro",
            "confus*", "je ne comprends pas", "pas clair",
            "verwirr*", "verstehe nicht", "unklar", "nicht klar",
            "confus*", "non capisco", "non è chiaro", "non trovo",
            "confus*", "não entendo", "não está claro", "não encontrei",
        ]
    ),
    "disappointed": Lexicon(
        [
            "disappointed", "disappointing", "let down", "expected better", "never worked",
            "decepcionad*", "decepción", "nunca funcionó",
            "déçu*", "décevant*", "décevante",
            "enttäuscht", "enttäuschend", "nie funktioniert", "nicht funktioniert",
            "delus*", "deludente", "mai funzionato",
            "decepcionad*", "decepção", "insatisfeit*", "nunca funcionou",
        ]
    ),
    "grateful": Lexicon(
        [
            "thank you so much", "thanks a lot", "really appreciate", "appreciate it", "grateful", "just wanted to say",
            "muchas gracias", "agradecer", "agradecid*", "mil gracias",
            "merci beaucoup", "un grand merci", "reconnaissant*",
            "vielen dank", "herzlich", "bedanken", "dankbar",
            "grazie mille", "ringraziare", "grato", "grata", "grati",
            "muito obrigad*", "agradeço", "agradecer", "parabéns",
        ]
    ),
    "satisfied": Lexicon(
        [
            "fantastic", "great product", "great service", "excellent", "amazing", "love", "awesome", "brilliant",
            "keep it up", "great job", "sorted out",
            "excelente", "genial", "fantástic*", "encanta",
            "au top", "formidable", "génial", "excellent*", "parfait",
            "toll", "toller", "tolle", "super", "großartig", "hervorragend", "ausgezeichnet",
            "eccellente", "fantastic*", "complimenti", "benissimo", "gentilissim*", "competente",
            "ótimo", "ótima", "excelente", "maravilhos*", "muito bom",
        ]
    ),
}
NEGATIVE_EMOTIONS = ("angry", "frustrated", "anxious", "disappointed")
POSITIVE_EMOTIONS = ("grateful", "satisfied")

# Complaint markers that are not emotions but still make a message negative: broken things.
PROBLEM_LEXICON = Lexicon(
    [
        "can't", "cannot", "couldn't", "doesn't work", "not working", "stopped working", "broken", "crash*", "fails",
        "failing", "down", "error", "wrong", "charged twice", "still took", "lost", "slow", "stuck", "missing",
        "no puedo", "no funciona", "error", "se cierra", "lento", "lentísimo", "cobrado dos veces", "indebido",
        "je n'arrive", "impossible", "ne fonctionne", "erreur", "lent", "lente", "bloqué", "bloquée", "bloqués",
        "erroné*", "refusé*",
        "kann nicht", "funktioniert nicht", "fehler", "stürzt", "langsam", "falsch*", "abgebrochen", "zweimal",
        "non riesco", "non funziona", "errore", "lento", "bloccat*", "sbagliat*", "due volte",
        "não consigo", "não funciona", "erro", "lento", "travando", "trava", "duas vezes", "fora do ar",
        # Things that did not arrive or are late.
        "late", "delayed", "hasn't arrived", "never arrived", "hasn't moved", "not received",
        "retraso", "retrasad*", "sin llegar", "no ha llegado", "no he recibido",
        "retard*", "pas reçu", "rien reçu", "jamais reçu", "n'est jamais",
        "verspätet", "verspätung", "nicht angekommen", "nicht erhalten", "keinen fortschritt",
        "ritardo", "in ritardo", "non è arrivato", "non ricevuto", "è fermo",
        "atrasad*", "atraso", "não recebi", "não chegou", "não recebo",
        # Money taken that should not have been.
        "still charged", "charged me", "see a charge", "me cobraron", "me han cobrado", "aun así", "cobro indebido",
        "prélevé", "quand même", "trotzdem", "abgebucht", "addebitato", "comunque", "addebito", "cobrança",
        "continuaram cobrando",
        # Things lost or compromised.
        "stolen", "perdí", "perdu", "verloren", "perso", "perdi", "not me", "no fui yo", "nicht ich", "não fui eu",
    ]
)

URGENCY_LEXICON = Lexicon(
    [
        "urgent*", "asap", "as soon as possible", "immediately", "right now", "emergency", "critical", "in an hour",
        "every minute", "outage", "is down", "are down", "everything is down",
        "urgente*", "urgentísimo", "inmediat*", "cuanto antes", "ya mismo", "hoy mismo", "crític*",
        "urgence", "immédiatement", "tout de suite", "au plus vite", "critique", "rapidement",
        "dringend*", "sofort*", "umgehend", "notfall", "kritisch", "so schnell wie möglich", "katastrophe",
        "urgentissim*", "subito", "immediatamente", "al più presto", "critico",
        "urgência", "imediatamente", "o quanto antes", "agora mesmo", "crítico",
    ]
)
# Signs of some time pressure short of an emergency.
SOON_LEXICON = Lexicon(
    [
        "soon", "today", "deadline", "by friday", "blocked", "blocking", "need it", "need access",
        "pronto", "necesito", "plazo", "bloquead*",
        "bientôt", "délai", "bloqué", "bloquée", "besoin",
        "bald", "frist", "bis freitag", "blockiert", "brauche",
        "presto", "scadenza", "bloccat*", "ho bisogno",
        "logo", "prazo", "bloquead*", "preciso",
    ]
)
_SHOUTING = re.compile(r"\b[A-ZÀ-Ý]{4,}\b")


class SentimentSignals(msgspec.Struct, frozen=True):
    """What the lexicons found: shared with priority, which weighs the same evidence."""

    emotions: list[str]
    problem_cues: int
    urgent_cues: int
    soon_cues: int
    exclamations: int
    shouting: bool


def read_signals(text: str) -> SentimentSignals:
    folded = fold(text)
    emotions = [emotion for emotion, lexicon in EMOTION_LEXICONS.items() if lexicon.matches(folded)]
    # "Will I be charged twice?" asks about a problem rather than reporting one.
    statements = " ".join(sentence for sentence in split_sentences(folded) if not sentence.endswith("?"))
    return SentimentSignals(
        emotions=emotions,
        problem_cues=PROBLEM_LEXICON.count(statements),
        urgent_cues=URGENCY_LEXICON.count(folded),
        soon_cues=SOON_LEXICON.count(folded),
        exclamations=text.count("!"),
        shouting=len(_SHOUTING.findall(text)) >= 2,
    )


def analyze_sentiment(
    text: str, vector: Vector, signals: SentimentSignals | None = None
) -> tuple[Sentiment, SentimentSignals]:
    """`signals` may be passed in when the caller has already read them from the same text."""
    signals = signals if signals is not None else read_signals(text)
    # An empty or symbol-only text has no tone; its embedding would still lean somewhere.
    has_words = any(char.isalpha() for char in text)
    negative_cues = sum(emotion in NEGATIVE_EMOTIONS for emotion in signals.emotions)
    negative_cues += min(signals.problem_cues, 2) + (1 if signals.shouting else 0)
    positive_cues = sum(emotion in POSITIVE_EMOTIONS for emotion in signals.emotions)
    logits = sentiment_logits(vector) * _HEAD_SHARPNESS
    logits[0] += _CUE_LOGIT * min(negative_cues, _MAX_CUES)
    logits[2] += _CUE_LOGIT * min(positive_cues, _MAX_CUES)
    head = np.exp(logits - logits.max())
    head /= head.sum()
    prototypes = softmax(SENTIMENT_PROTOTYPES.similarities(vector), _TEMPERATURE)
    positive = (1 - _PROTOTYPE_SHARE) * float(head[2]) + _PROTOTYPE_SHARE * prototypes["positive"]
    negative = (1 - _PROTOTYPE_SHARE) * float(head[0]) + _PROTOTYPE_SHARE * prototypes["negative"]
    score = max(-1.0, min(1.0, positive - negative)) if has_words else 0.0

    sentiment = Sentiment(
        sentiment=sentiment_label(score),
        score=round(score, 3),
        emotions=signals.emotions,
        urgency=urgency_level(signals, score),
    )
    return sentiment, signals


def sentiment_label(score: float) -> SentimentLabel:
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def urgency_level(signals: SentimentSignals, score: float) -> Urgency:
    if signals.urgent_cues or signals.exclamations >= 2 or signals.shouting:
        return "high"
    if signals.soon_cues or score <= NEGATIVE_THRESHOLD or "anxious" in signals.emotions:
        return "medium"
    return "low"
