"""Priority from rules over urgency, impact, blockers and sentiment.

A support lead triages by asking: how many people are stopped (impact), is someone stopped right
now (blocker), how pressed and upset is the customer (urgency, sentiment), or is this a question
or a wish that can wait. Each answer adds or removes points; the total maps to a priority. The
reasoning names the evidence so an agent can see why.
"""

from __future__ import annotations

from app.ai.interface import Priority, PriorityLabel, Sentiment
from app.ai.local.sentiment import NEGATIVE_THRESHOLD, SentimentSignals
from app.ai.local.text import Lexicon, fold, split_sentences

# Many people or the business stopped, security, legal threats.
IMPACT_LEXICON = Lexicon(
    [
        "everyone", "everybody", "all users", "all agents", "all our", "whole team", "entire team", "nobody can",
        "no one can", "production", "outage", "is down", "are down", "everything is down", "data loss", "breach",
        "hacked", "compromised", "someone accessed", "not me", "customer data", "sensitive data", "lawyer",
        "chargeback", "costing us", "502", "503",
        "todos los agentes", "ninguno de los agentes", "nadie puede", "todo el equipo", "caída", "caido",
        "no fui yo", "datos de nuestros clientes", "abogado", "cientos de clientes",
        "tous les agents", "toute l'équipe", "personne ne peut", "panne", "plus rien ne fonctionne",
        "données sensibles", "piraté*", "compromis", "avocat",
        "alle agenten", "alle nutzer", "das ganze team", "niemand kann", "totalausfall", "ausfall",
        "gar nichts mehr", "nicht ich", "kundendaten", "anwalt", "alle sitzungen",
        "nessuno del nostro team", "tutto il team", "nessuno può", "non disponibile", "dati dei clienti",
        "avvocato", "campagna in corso",
        "toda a equipe", "todos os agentes", "ninguém consegue", "fora do ar", "não fui eu", "dados dos clientes",
        "advogado", "clientes esperando",
    ]
)
# One person or one workflow stopped right now.
BLOCKER_LEXICON = Lexicon(
    [
        "can't log in", "cannot log in", "can't access", "locked out", "crash*", "invalid credentials",
        "charged twice", "two identical charges", "still took", "stolen", "401", "403", "500", "failing", "fail",
        "no puedo iniciar", "no puedo entrar", "no puedo acceder", "se cierra", "dos veces", "cobrado", "cobro",
        "no recibo el codigo",
        "je n'arrive plus", "impossible de", "plante", "refusée", "prélevé", "ne reçois plus", "renvoient",
        "kann mich nicht", "nicht mehr anmelden", "stürzt", "zweimal", "abgebucht", "schlägt", "fehl",
        "non riesco", "si chiude", "due volte", "addebitato", "addebito", "restituiscono errore", "non riceviamo",
        "não consigo", "trava", "duas vezes", "cobrado", "cobrança", "pararam de chegar",
        # Lost access, money taken unexpectedly, deliveries that stopped.
        "lost my phone", "phone was stolen", "no longer", "stopped", "not arriving", "haven't received",
        "still charged", "see a charge", "charge on",
        "ya no recibo", "no llegan", "me cobraron", "un cargo", "aun así", "perdí",
        "ne reçois plus", "n'est jamais appelé", "quand même",
        "nicht mehr", "bricht", "keine benachrichtigungen", "trotzdem",
        "non riceviamo più", "ho perso", "non si apre", "comunque",
        "não recebo mais", "pararam", "não recebem mais",
    ]
)
# Wishes, praise and how-to questions: nothing is broken.
WISH_LEXICON = Lexicon(
    [
        "feature request", "would love", "would be nice", "would be great", "suggestion", "it would be",
        "just wanted to say", "thank you", "documentation",
        "sugerencia", "sería genial", "sería útil", "me gustaría", "gracias por",
        "suggestion", "ce serait", "serait pratique", "merci à", "un grand merci",
        "funktionswunsch", "es wäre", "wäre super", "wäre schön", "bedanken",
        "proposta", "sarebbe bello", "sarebbe utile", "ringraziare", "grazie mille",
        "sugestão", "seria ótimo", "seria bom", "parabéns", "fica a sugestão",
    ]
)
# Moving to a bigger plan is revenue: a question about it is not a low-priority how-to.
UPGRADE_LEXICON = Lexicon(
    [
        "upgrade*", "move from pro to business", "move to business", "switch to", "business plan",
        "pasar al plan", "cambiar de plan", "plan business",
        "passer à l'offre", "offre business", "offre supérieure",
        "tarif wechseln", "business-tarif", "tarifwechsel",
        "passare al piano", "piano business",
        "mudar para o plano", "plano business",
    ]
)
QUESTION_LEXICON = Lexicon(
    [
        "how do i", "how can i", "how to", "what are", "what is", "is there", "is it possible", "can i",
        "do i", "will the", "where can i",
        "cómo", "cuál", "cuánto*", "hay", "es posible", "puedo",
        "comment", "quel", "quelle", "est-ce que", "faut-il", "est-il possible",
        "wie", "welche", "gibt es", "kann ich", "wird der",
        "come", "qual", "quale", "quanto", "posso", "è possibile",
        "como", "qual", "quanto", "existe", "posso", "é possível",
    ]
)

_URGENT_AT = 5
_HIGH_AT = 3
_LOW_AT = -1


def predict_priority(text: str, sentiment: Sentiment, signals: SentimentSignals) -> Priority:
    folded = fold(text)
    evidence: list[str] = []
    points = 0

    impact = IMPACT_LEXICON.find(folded)
    if impact:
        points += 2
        evidence.append(f'wide impact ("{impact[0]}")')
    blockers = BLOCKER_LEXICON.find(folded)
    if blockers:
        points += 1
        evidence.append(f'a blocker ("{blockers[0]}")')
    if sentiment.urgency == "high":
        points += 2
        evidence.append("urgent wording")
    elif sentiment.urgency == "medium":
        points += 1
        evidence.append("some time pressure")
    if sentiment.score <= NEGATIVE_THRESHOLD:
        points += 1
        evidence.append("negative sentiment")
    if any(emotion in ("angry", "anxious") for emotion in signals.emotions):
        points += 1
        evidence.append(f"the customer sounds {_emotion_words(signals.emotions)}")

    wishes = WISH_LEXICON.find(folded)
    is_question = _asks_only_questions(folded)
    if wishes and not blockers and not impact:
        points -= 2
        evidence.append(f'a wish or thanks ("{wishes[0]}")')
    elif (
        is_question
        and not blockers
        and not impact
        and sentiment.score > NEGATIVE_THRESHOLD
        and not UPGRADE_LEXICON.matches(folded)
    ):
        points -= 2
        evidence.append("a how-to or policy question")

    label = _label_for(points, bool(impact))
    reasoning = _reasoning(label, evidence)
    return Priority(priority=label, confidence=_confidence(points, label), reasoning=reasoning)


def _asks_only_questions(folded: str) -> bool:
    """A ticket whose sentences are questions of the 'how do I / what is' kind, not requests."""
    sentences = split_sentences(folded)
    questions = [sentence for sentence in sentences if sentence.endswith("?")]
    return bool(questions) and any(QUESTION_LEXICON.matches(sentence) for sentence in questions)


def _label_for(points: int, wide_impact: bool) -> PriorityLabel:
    if points >= _URGENT_AT and wide_impact:
        return "urgent"
    if points >= _HIGH_AT:
        return "high"
    if points <= _LOW_AT:
        return "low"
    return "normal"


def _confidence(points: int, label: PriorityLabel) -> float:
    """Further from the nearest threshold is surer; capped below 1 because these are rules."""
    if label == "urgent":
        margin = points - _URGENT_AT
    elif label == "high":
        margin = points - _HIGH_AT
    elif label == "low":
        margin = _LOW_AT - points
    else:
        margin = min(points - _LOW_AT - 1, _HIGH_AT - 1 - points)
    return round(min(0.95, 0.55 + 0.1 * max(0, margin)), 2)


def _emotion_words(emotions: list[str]) -> str:
    return " and ".join(emotion for emotion in emotions if emotion in ("angry", "anxious"))


def _reasoning(label: PriorityLabel, evidence: list[str]) -> str:
    if not evidence:
        return f"{label.capitalize()}: an ordinary request with no sign of urgency or wide impact."
    return f"{label.capitalize()}: " + ", ".join(evidence) + "."
