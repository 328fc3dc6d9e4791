"""Intent classification over an organization's taxonomy: nearest prototype plus keyword rules.

Any taxonomy works through prototypes built from each intent's description. The five cancellation
intents of the default taxonomy also get example sentences in the six languages and keyword
rules, because the distinctions that matter there (a refund demand versus a policy question) hinge
on a few words that a sentence embedding blurs.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import msgspec

from app.ai.interface import Classification, IntentDefinition, Language
from app.ai.local.embedding import Vector
from app.ai.local.heads import cancel_probability, cancel_threshold
from app.ai.local.prototypes import PrototypeSet, softmax
from app.ai.local.text import Lexicon, fold, split_sentences

DEFAULT_TAXONOMY: tuple[IntentDefinition, ...] = (
    IntentDefinition("cancel_request", "Simple cancellation request, no financial disputes"),
    IntentDefinition("cancel_escalate", "Cancel + refund/dispute/chargeback — route to human agent"),
    IntentDefinition("cancel_info", "User asking about cancellation policies or process"),
    IntentDefinition("pause_active", "User has a paused subscription"),
    IntentDefinition("not_cancel", "Not related to cancellation"),
)

# Example sentences for the default intents, so their prototypes are more than one short line.
KNOWN_INTENT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "cancel_request": (
        "Please cancel my subscription at the end of the month.",
        "I want to close my account, we no longer need the service.",
        "Por favor, cancelen mi suscripción, ya no la necesito.",
        "Je souhaite résilier mon abonnement.",
        "Hiermit kündige ich mein Abonnement zum nächstmöglichen Termin.",
        "Vorrei disdire il mio abbonamento.",
        "Quero cancelar minha assinatura.",
    ),
    "cancel_escalate": (
        "Cancel my account and refund the charge or I will file a chargeback with my bank.",
        "I cancelled but you charged me again, I want my money back.",
        "Cancelen todo y devuélvanme el dinero o reclamo al banco.",
        "J'ai résilié et vous m'avez prélevé, je veux être remboursé.",
        "Ich habe gekündigt und trotzdem wurde abgebucht, ich verlange eine Rückerstattung.",
        "Ho disdetto ma mi avete addebitato, voglio il rimborso.",
        "Cancelei e continuaram cobrando, quero o estorno.",
    ),
    "cancel_info": (
        "What happens to my data if I cancel? Is there a notice period?",
        "How does cancellation work, do I keep access until the end of the billing period?",
        "¿Cómo funciona la cancelación? ¿Hay penalización si me doy de baja?",
        "Quel est le préavis pour résilier ? Est-ce que je garde l'accès ?",
        "Welche Kündigungsfrist gilt, und was passiert mit meinen Daten?",
        "Se disdico, posso usare il servizio fino alla scadenza?",
        "Se eu cancelar, continuo com acesso até o fim do período?",
    ),
    "pause_active": (
        "My subscription is paused, when will it resume?",
        "I want to reactivate my paused account early.",
        "Mi suscripción está en pausa, ¿cuándo se reactiva?",
        "Mon abonnement est en pause, je voudrais le réactiver.",
        "Mein Abo ist pausiert, können wir die Pause verlängern?",
        "Il mio abbonamento è in pausa, posso riattivarlo?",
        "Minha assinatura está pausada, quando volta a ser cobrada?",
    ),
    "not_cancel": (
        "I cannot log in to my account, the password reset does not work.",
        "The API returns an error when we create tickets.",
        "Where is my order? The tracking has not moved.",
        "Could you send me a corrected invoice?",
        "Feature request: please add a dark mode.",
        "No puedo iniciar sesión en la aplicación.",
        "L'application mobile plante au démarrage.",
        "Die Benachrichtigungen per E-Mail kommen nicht an.",
        # Billing and plan changes sit close to cancellations in meaning but are not leaving.
        "I was charged twice this month, please refund the duplicate payment.",
        "We would like to upgrade to the business plan, how is the price prorated?",
        "Me han cobrado dos veces, devuélvanme uno de los cargos.",
        "Nous aimerions passer à l'offre supérieure.",
        "Der Betrag wurde doppelt abgebucht, bitte erstatten Sie eine Zahlung.",
        "La fattura ha dati sbagliati, potete correggerla?",
        "Fui cobrado em duplicidade, solicito o estorno.",
    ),
}

# The cue words of each language live in intent_cues.json beside this module, folded (no accents).
_CUES: dict[str, list[str]] = msgspec.json.decode(
    (Path(__file__).parent / "intent_cues.json").read_bytes(), type=dict[str, list[str]]
)
# Asking to cancel, then leaving without the word "cancel": stopping, ending, not renewing.
CANCEL_CUES = Lexicon([*_CUES["cancel"], *_CUES["leaving"]])
# Removing something the customer holds, phrased with a verb other than "cancel": "deleting account",
# "how do I get rid of my account", "close the free account", "delete the reservation". A verb, at
# most three words, then the thing held; each language's verbs and nouns, folded.
_REMOVAL_VERBS = (
    r"delet\w*|remov\w*|clos\w*|terminat\w*|deactivat\w*|get rid of|getting rid of|discontinu\w*|withdraw\w*"
    r"|eliminar\w*|borrar\w*|cerrar\w*|suprim\w*|supprim\w*|ferm\w*|loschen|losche|loscht|entfern\w*"
    r"|schliess\w*|eliminare|elimina\w*|chiuder\w*|chiud\w*|excluir|exclua\w*|apagar|encerr\w*|fech\w*"
)
_HELD_THINGS = (
    r"account\w*|subscription\w*|membership\w*|profile|plan\w*|contract|order\w*|reservation\w*|booking\w*"
    r"|cuenta|suscripcion\w*|perfil|pedido\w*|reserva\w*|compte|abonnement|commande\w*|konto|profil|vertrag"
    r"|abo|bestellung\w*|buchung\w*|account|abbonamento|ordine|prenotazione|conta|assinatura|encomenda\w*"
)
# "Remove someone from my plan" or "delete the data in my account" changes what is held, not whether.
_NOT_BETWEEN = r"(?!(?:from|to|into|onto|in|on|at|de|du|des|von|vom|aus|im|da|dal|dalla|do|dos|no|na)\b)"
REMOVAL = re.compile(
    rf"(?<!\w)(?:{_REMOVAL_VERBS})(?:\s+{_NOT_BETWEEN}[\w'-]+){{0,3}}?\s+(?:{_HELD_THINGS})(?!\w)"
)
# What leaving costs: a question about it is a cancellation question even without "cancel".
FEE_CUES = Lexicon(_CUES["fee"])
# Giving something up because it costs too much ("I can no longer afford order 1135"): leaving in other words.
CANNOT_AFFORD = Lexicon(_CUES["cannot_afford"])
REFUND_CUES = Lexicon(_CUES["refund"])
DISPUTE_CUES = Lexicon(_CUES["dispute"])
INFO_CUES = Lexicon(_CUES["info"])
# "Can you cancel it?" is a request phrased as a question, not a question about the policy.
REQUEST_CUES = Lexicon(_CUES["request"])
PAUSE_CUES = Lexicon(_CUES["pause"])
# Weight of the rules against the prototypes when both speak to the default intents. Finding no
# cancellation wording is weaker evidence than finding some, so the prototypes can still catch a
# customer who leaves without saying "cancel".
_RULE_WEIGHT = 0.65
_ABSENCE_RULE_WEIGHT = 0.45
# When neither the keywords nor the learned head see a cancellation, the prototypes alone may not
# override them: on the public dev set that override was mostly wrong.
_HEAD_AGREES_WEIGHT = 0.8
_TEMPERATURE = 0.05
_PROTOTYPE_CACHE_SIZE = 64

_prototype_cache: OrderedDict[tuple[tuple[str, str], ...], PrototypeSet] = OrderedDict()
_prototype_cache_lock = threading.Lock()


class IntentCues(msgspec.Struct, frozen=True):
    cancel: list[str]
    refund: list[str]
    dispute: list[str]
    info: list[str]
    pause: list[str]
    asks_question: bool


def read_cues(text: str) -> IntentCues:
    folded = fold(text)
    # Cancelling an order or a reservation counts too: the customer wants something they hold stopped.
    cancel_sentences = [sentence for sentence in split_sentences(folded) if _leaving_cues(sentence)]
    fees = FEE_CUES.find(folded)
    return IntentCues(
        cancel=[cue for sentence in cancel_sentences for cue in _leaving_cues(sentence)] + fees,
        refund=REFUND_CUES.find(folded),
        dispute=DISPUTE_CUES.find(folded),
        # Question words only count in a ticket about cancelling, not in an unrelated how-to.
        info=fees + INFO_CUES.find(folded) if cancel_sentences or fees else [],
        pause=PAUSE_CUES.find(folded),
        asks_question=any(
            sentence.endswith("?") and not REQUEST_CUES.matches(sentence) for sentence in cancel_sentences
        ),
    )


def _leaving_cues(folded_sentence: str) -> list[str]:
    return (
        CANCEL_CUES.find(folded_sentence)
        + [match.group(0) for match in REMOVAL.finditer(folded_sentence)]
        + CANNOT_AFFORD.find(folded_sentence)
    )


def rule_intent(cues: IntentCues) -> tuple[str, str]:
    """The default-taxonomy intent the keywords point to, with the reason in words."""
    if cues.pause:
        return "pause_active", f'mentions a paused subscription ("{cues.pause[0]}")'
    if not cues.cancel:
        return "not_cancel", "no cancellation wording found"
    cancel_word = cues.cancel[0]
    if cues.dispute:
        return "cancel_escalate", f'cancellation ("{cancel_word}") with a dispute ("{cues.dispute[0]}")'
    asking = bool(cues.info) or cues.asks_question
    if cues.refund and not asking:
        return "cancel_escalate", f'cancellation ("{cancel_word}") with a refund demand ("{cues.refund[0]}")'
    if asking:
        detail = f'"{cues.info[0]}"' if cues.info else "a question"
        return "cancel_info", f'asks about cancelling ("{cancel_word}", {detail})'
    return "cancel_request", f'asks to cancel ("{cancel_word}") with no refund or dispute'


def classify_intent(
    text: str,
    vector: Vector,
    taxonomy: Sequence[IntentDefinition],
    language: Language,
) -> Classification:
    if not taxonomy:
        taxonomy = DEFAULT_TAXONOMY
    names = [intent.name for intent in taxonomy]
    probabilities = softmax(_prototypes_for(taxonomy).similarities(vector), _TEMPERATURE)

    cues = read_cues(text)
    ruled, rule_reason = rule_intent(cues)
    weight = _RULE_WEIGHT if cues.cancel or cues.pause else _ABSENCE_RULE_WEIGHT
    if ruled == "not_cancel" and "not_cancel" in names and len(names) > 1:
        # No cancellation wording: the learned head (trained on other people's requests) decides
        # whether the customer is leaving in words the rules do not know.
        leaving = cancel_probability(vector)
        if leaving >= cancel_threshold():
            ruled = max((name for name in names if name != "not_cancel"), key=lambda name: probabilities[name])
            rule_reason = f"no cancellation keyword, but the learned cancellation head says {leaving:.2f}"
            weight = _RULE_WEIGHT
        else:
            weight = _HEAD_AGREES_WEIGHT
    if ruled in names:
        combined = {name: (1 - weight) * probabilities[name] for name in names}
        combined[ruled] += weight
        best = max(names, key=lambda name: combined[name])
        reasoning = f"Keyword rules: {rule_reason}; closest description: {_nearest(probabilities)}."
        confidence = combined[best]
    else:
        best = max(names, key=lambda name: probabilities[name])
        reasoning = f"Closest intent description by meaning: {best} (similarity rank 1 of {len(names)})."
        confidence = probabilities[best]
    return Classification(
        intent=best,
        confidence=round(min(1.0, max(0.0, confidence)), 3),
        reasoning=reasoning,
        detectedLanguage=language,
    )


def _nearest(probabilities: dict[str, float]) -> str:
    return max(probabilities, key=lambda name: probabilities[name])


def _prototypes_for(taxonomy: Sequence[IntentDefinition]) -> PrototypeSet:
    key = tuple((intent.name, intent.description) for intent in taxonomy)
    with _prototype_cache_lock:
        cached = _prototype_cache.get(key)
        if cached is not None:
            _prototype_cache.move_to_end(key)
            return cached
    examples: dict[str, list[str]] = {}
    for intent in taxonomy:
        readable_name = intent.name.replace("_", " ").replace("-", " ")
        texts = [f"{readable_name}: {intent.description}" if intent.description else readable_name]
        texts.extend(KNOWN_INTENT_EXAMPLES.get(intent.name, ()))
        examples[intent.name] = texts
    prototypes = PrototypeSet(examples)
    with _prototype_cache_lock:
        _prototype_cache[key] = prototypes
        while len(_prototype_cache) > _PROTOTYPE_CACHE_SIZE:
            _prototype_cache.popitem(last=False)
    return prototypes
