"""Extractive ticket summary: the problem, the latest status, the next step.

The customer's opening sentence states the problem more often than any other; when the
description is longer, the sentence closest in meaning to the whole ticket (its centroid) adds
the detail. The latest message says where things stand, and the next step follows from who wrote
last and what the customer wants. Labels and next steps are written in the ticket's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from enum import Enum

import numpy as np

from app.ai.interface import Language, ThreadMessage, TicketText
from app.ai.local.embedding import Matrix, Vector
from app.ai.local.intent import IntentCues, rule_intent
from app.ai.local.text import Lexicon, fold, normalize_whitespace, split_sentences, words

_MAX_SENTENCE_CHARS = 220
# With this many sentences or fewer the opening already says it; embedding them would cost more
# than it tells.
_EMBED_ABOVE_SENTENCES = 3
_MAX_SENTENCES_EMBEDDED = 12
# Later sentences get a slight edge: in a thread the newest detail matters more.
_POSITION_BONUS = 0.03

_GREETING = re.compile(
    r"^(hi|hello|hey|dear \w+|good (morning|afternoon|evening)|hola|buenas( tardes| noches)?|buenos dias|"
    r"estimad[oa]s?|bonjour|bonsoir|salut|madame,? monsieur|hallo|guten (tag|morgen|abend)|"
    r"sehr geehrte[rs]?( damen und herren)?|liebe[rs]? \w+|buongiorno|buonasera|ciao|salve|gentil[ei] \w+|"
    r"ola|oi|bom dia|boa (tarde|noite)|prezad[oa]s?)\b[^,.!:\n]{0,30}[,.!:]\s*",
    re.IGNORECASE,
)
# Money questions outside a cancellation: wrong invoices, double or unexpected charges.
BILLING_CUES = Lexicon(
    [
        "invoice*", "charge*", "billed", "billing", "payment*", "vat",
        "factura*", "cobr*", "cargo*", "pago*",
        "facture*", "preleve*", "prelevement*", "paiement*", "tva",
        "rechnung*", "abgebucht", "abbuchung*", "zahlung*", "lastschrift",
        "fattura*", "addebit*", "pagament*", "iva",
        "fatura*", "nota fiscal", "cobranca*", "cobrado*", "pagamento*",
    ]
)
_POLITE_ONLY = Lexicon(
    [
        "thanks", "thank you", "thanks in advance", "best regards", "kind regards", "regards", "cheers",
        "gracias", "un saludo", "saludos", "muchas gracias", "atentamente",
        "merci", "cordialement", "bonne journée", "merci d'avance", "bien à vous",
        "danke", "vielen dank", "mit freundlichen grüßen", "viele grüße", "beste grüße", "gruß",
        "grazie", "cordiali saluti", "saluti", "grazie mille", "distinti saluti",
        "obrigado", "obrigada", "abraço", "atenciosamente", "att", "muito obrigado",
    ]
)


class NextStep(str, Enum):
    ESCALATE_REFUND = "escalate_refund"
    CONFIRM_CANCELLATION = "confirm_cancellation"
    EXPLAIN_CANCELLATION = "explain_cancellation"
    CHECK_PAUSE = "check_pause"
    CHECK_BILLING = "check_billing"
    INVESTIGATE_NOW = "investigate_now"
    ANSWER_QUESTION = "answer_question"
    THANK_CUSTOMER = "thank_customer"
    REPLY_WITH_FIX = "reply_with_fix"
    AWAIT_ANSWER = "await_answer"
    AWAIT_CONFIRMATION = "await_confirmation"


LABELS: dict[Language, dict[str, str]] = {
    "en": {"problem": "Problem", "latest": "Latest", "next": "Next step", "customer": "Customer", "agent": "Agent"},
    "es": {"problem": "Problema", "latest": "Último mensaje", "next": "Siguiente paso", "customer": "Cliente", "agent": "Agente"},
    "fr": {"problem": "Problème", "latest": "Dernier message", "next": "Prochaine étape", "customer": "Client", "agent": "Agent"},
    "de": {"problem": "Problem", "latest": "Letzte Nachricht", "next": "Nächster Schritt", "customer": "Kunde", "agent": "Agent"},
    "it": {"problem": "Problema", "latest": "Ultimo messaggio", "next": "Prossimo passo", "customer": "Cliente", "agent": "Agente"},
    "pt": {"problem": "Problema", "latest": "Última mensagem", "next": "Próximo passo", "customer": "Cliente", "agent": "Agente"},
}

NEXT_STEPS: dict[Language, dict[NextStep, str]] = {
    "en": {
        NextStep.ESCALATE_REFUND: "Hand over to a human agent: the customer wants to cancel and disputes a charge or asks for a refund.",
        NextStep.CONFIRM_CANCELLATION: "Cancel the subscription and confirm the end date to the customer.",
        NextStep.EXPLAIN_CANCELLATION: "Explain the cancellation terms (notice, access until the period ends, data).",
        NextStep.CHECK_PAUSE: "Check the paused subscription (dates, charges) and answer the customer.",
        NextStep.CHECK_BILLING: "Check the charges or invoice and correct or refund whatever is wrong.",
        NextStep.INVESTIGATE_NOW: "Investigate right away and keep the customer updated.",
        NextStep.ANSWER_QUESTION: "Answer the customer's question.",
        NextStep.THANK_CUSTOMER: "Thank the customer and pass the feedback on.",
        NextStep.REPLY_WITH_FIX: "Reproduce the problem and reply with a fix or a workaround.",
        NextStep.AWAIT_ANSWER: "Wait for the customer to answer the agent's question.",
        NextStep.AWAIT_CONFIRMATION: "Wait for the customer to confirm that the issue is solved.",
    },
    "es": {
        NextStep.ESCALATE_REFUND: "Pasar a un agente: el cliente quiere cancelar y reclama un cobro o pide un reembolso.",
        NextStep.CONFIRM_CANCELLATION: "Cancelar la suscripción y confirmar al cliente la fecha de fin.",
        NextStep.EXPLAIN_CANCELLATION: "Explicar las condiciones de cancelación (preaviso, acceso hasta fin de periodo, datos).",
        NextStep.CHECK_PAUSE: "Revisar la suscripción en pausa (fechas, cobros) y responder al cliente.",
        NextStep.CHECK_BILLING: "Revisar los cobros o la factura y corregir o reembolsar lo que no esté bien.",
        NextStep.INVESTIGATE_NOW: "Investigar de inmediato y mantener informado al cliente.",
        NextStep.ANSWER_QUESTION: "Responder a la pregunta del cliente.",
        NextStep.THANK_CUSTOMER: "Agradecer al cliente y transmitir sus comentarios.",
        NextStep.REPLY_WITH_FIX: "Reproducir el problema y responder con una solución o alternativa.",
        NextStep.AWAIT_ANSWER: "Esperar la respuesta del cliente a la pregunta del agente.",
        NextStep.AWAIT_CONFIRMATION: "Esperar a que el cliente confirme que está resuelto.",
    },
    "fr": {
        NextStep.ESCALATE_REFUND: "Transmettre à un agent : le client veut résilier et conteste un prélèvement ou demande un remboursement.",
        NextStep.CONFIRM_CANCELLATION: "Résilier l'abonnement et confirmer la date de fin au client.",
        NextStep.EXPLAIN_CANCELLATION: "Expliquer les conditions de résiliation (préavis, accès jusqu'à l'échéance, données).",
        NextStep.CHECK_PAUSE: "Vérifier l'abonnement en pause (dates, prélèvements) et répondre au client.",
        NextStep.CHECK_BILLING: "Vérifier les prélèvements ou la facture et corriger ou rembourser ce qui est erroné.",
        NextStep.INVESTIGATE_NOW: "Analyser immédiatement et tenir le client informé.",
        NextStep.ANSWER_QUESTION: "Répondre à la question du client.",
        NextStep.THANK_CUSTOMER: "Remercier le client et transmettre son retour.",
        NextStep.REPLY_WITH_FIX: "Reproduire le problème et répondre avec une solution ou un contournement.",
        NextStep.AWAIT_ANSWER: "Attendre la réponse du client à la question de l'agent.",
        NextStep.AWAIT_CONFIRMATION: "Attendre que le client confirme la résolution.",
    },
    "de": {
        NextStep.ESCALATE_REFUND: "An einen Mitarbeiter übergeben: Der Kunde will kündigen und beanstandet eine Abbuchung oder verlangt eine Erstattung.",
        NextStep.CONFIRM_CANCELLATION: "Das Abonnement kündigen und dem Kunden das Enddatum bestätigen.",
        NextStep.EXPLAIN_CANCELLATION: "Die Kündigungsbedingungen erklären (Frist, Zugang bis Laufzeitende, Daten).",
        NextStep.CHECK_PAUSE: "Das pausierte Abonnement prüfen (Daten, Abbuchungen) und dem Kunden antworten.",
        NextStep.CHECK_BILLING: "Abbuchungen oder Rechnung prüfen und Fehlerhaftes korrigieren oder erstatten.",
        NextStep.INVESTIGATE_NOW: "Sofort untersuchen und den Kunden auf dem Laufenden halten.",
        NextStep.ANSWER_QUESTION: "Die Frage des Kunden beantworten.",
        NextStep.THANK_CUSTOMER: "Dem Kunden danken und das Feedback weitergeben.",
        NextStep.REPLY_WITH_FIX: "Das Problem nachstellen und mit einer Lösung oder Umgehung antworten.",
        NextStep.AWAIT_ANSWER: "Auf die Antwort des Kunden auf die Rückfrage warten.",
        NextStep.AWAIT_CONFIRMATION: "Warten, bis der Kunde bestätigt, dass es gelöst ist.",
    },
    "it": {
        NextStep.ESCALATE_REFUND: "Passare a un operatore: il cliente vuole disdire e contesta un addebito o chiede un rimborso.",
        NextStep.CONFIRM_CANCELLATION: "Disdire l'abbonamento e confermare al cliente la data di fine.",
        NextStep.EXPLAIN_CANCELLATION: "Spiegare le condizioni di disdetta (preavviso, accesso fino alla scadenza, dati).",
        NextStep.CHECK_PAUSE: "Verificare l'abbonamento in pausa (date, addebiti) e rispondere al cliente.",
        NextStep.CHECK_BILLING: "Verificare gli addebiti o la fattura e correggere o rimborsare ciò che è sbagliato.",
        NextStep.INVESTIGATE_NOW: "Indagare subito e tenere aggiornato il cliente.",
        NextStep.ANSWER_QUESTION: "Rispondere alla domanda del cliente.",
        NextStep.THANK_CUSTOMER: "Ringraziare il cliente e inoltrare il feedback.",
        NextStep.REPLY_WITH_FIX: "Riprodurre il problema e rispondere con una soluzione o un'alternativa.",
        NextStep.AWAIT_ANSWER: "Attendere la risposta del cliente alla domanda dell'operatore.",
        NextStep.AWAIT_CONFIRMATION: "Attendere che il cliente confermi la risoluzione.",
    },
    "pt": {
        NextStep.ESCALATE_REFUND: "Passar para um atendente: o cliente quer cancelar e contesta uma cobrança ou pede reembolso.",
        NextStep.CONFIRM_CANCELLATION: "Cancelar a assinatura e confirmar a data de término ao cliente.",
        NextStep.EXPLAIN_CANCELLATION: "Explicar as condições de cancelamento (aviso prévio, acesso até o fim do período, dados).",
        NextStep.CHECK_PAUSE: "Verificar a assinatura pausada (datas, cobranças) e responder ao cliente.",
        NextStep.CHECK_BILLING: "Verificar as cobranças ou a fatura e corrigir ou reembolsar o que estiver errado.",
        NextStep.INVESTIGATE_NOW: "Investigar imediatamente e manter o cliente informado.",
        NextStep.ANSWER_QUESTION: "Responder à pergunta do cliente.",
        NextStep.THANK_CUSTOMER: "Agradecer ao cliente e repassar o feedback.",
        NextStep.REPLY_WITH_FIX: "Reproduzir o problema e responder com uma solução ou alternativa.",
        NextStep.AWAIT_ANSWER: "Aguardar a resposta do cliente à pergunta do atendente.",
        NextStep.AWAIT_CONFIRMATION: "Aguardar o cliente confirmar que foi resolvido.",
    },
}


def summarize_ticket(
    ticket: TicketText,
    language: Language,
    ticket_vector: Vector,
    cues: IntentCues,
    urgent: bool,
    praise_or_wish: bool,
    embed_sentences: Callable[[Sequence[str]], Matrix],
) -> str:
    labels = LABELS[language]
    problem = _problem_statement(ticket, ticket_vector, embed_sentences)
    lines = [f"{labels['problem']}: {problem}"]
    if ticket.messages:
        last = ticket.messages[-1]
        author = labels["customer"] if last.author == "customer" else labels["agent"]
        lines.append(f"{labels['latest']} ({author}): {_gist(last.content)}")
    step = next_step(ticket.messages, cues, urgent, praise_or_wish, _asks_question(ticket), is_about_billing(ticket))
    lines.append(f"{labels['next']}: {NEXT_STEPS[language][step]}")
    return "\n".join(lines)


def next_step(
    messages: Sequence[ThreadMessage],
    cues: IntentCues,
    urgent: bool,
    praise_or_wish: bool,
    asks_question: bool,
    about_billing: bool = False,
) -> NextStep:
    if messages and messages[-1].author == "agent":
        return NextStep.AWAIT_ANSWER if "?" in messages[-1].content else NextStep.AWAIT_CONFIRMATION
    intent, _reason = rule_intent(cues)
    by_intent = {
        "cancel_escalate": NextStep.ESCALATE_REFUND,
        "cancel_request": NextStep.CONFIRM_CANCELLATION,
        "cancel_info": NextStep.EXPLAIN_CANCELLATION,
        "pause_active": NextStep.CHECK_PAUSE,
    }
    if intent in by_intent:
        return by_intent[intent]
    if urgent:
        return NextStep.INVESTIGATE_NOW
    if about_billing or cues.refund:
        return NextStep.CHECK_BILLING
    if praise_or_wish:
        return NextStep.THANK_CUSTOMER
    if asks_question:
        return NextStep.ANSWER_QUESTION
    return NextStep.REPLY_WITH_FIX


def _problem_statement(
    ticket: TicketText, ticket_vector: Vector, embed_sentences: Callable[[Sequence[str]], Matrix]
) -> str:
    subject = normalize_whitespace(ticket.subject).rstrip(" .")
    customer_parts = [ticket.description] + [m.content for m in ticket.messages if m.author == "customer"]
    sentences = [s for s in (_clean(s) for part in customer_parts for s in split_sentences(part)) if s]
    if not sentences:
        return subject or "—"
    opening = sentences[0]
    picked = [opening]
    if len(sentences) > _EMBED_ABOVE_SENTENCES:
        later = sentences[1:_MAX_SENTENCES_EMBEDDED]
        centrality = embed_sentences(later) @ ticket_vector
        centrality = centrality + _POSITION_BONUS * np.linspace(0.0, 1.0, num=len(later))
        picked.append(later[int(np.argmax(centrality))])
    elif len(sentences) > 1 and _too_close(opening, subject):
        picked = [sentences[1]]
    body = " ".join(_shorten(sentence) for sentence in picked)
    if not subject or _too_close(subject, body):
        return body
    return f"{subject}. {body}" if subject[-1:] not in "?!" else f"{subject} {body}"


def _clean(sentence: str) -> str:
    """Drop greetings and pure sign-offs: they are in every ticket and say nothing about this one."""
    stripped = _GREETING.sub("", sentence.strip()).strip()
    if not stripped:
        return ""
    folded = fold(stripped).strip(" .!,")
    if len(words(folded)) <= 4 and _POLITE_ONLY.matches(folded):
        return ""
    return _capitalize_first_letter(stripped)


def _capitalize_first_letter(sentence: str) -> str:
    """Upper-case the first letter, also behind Spanish '¿' or '¡' or an opening quote."""
    for index, char in enumerate(sentence):
        if char.isalpha():
            return sentence[:index] + char.upper() + sentence[index + 1 :]
    return sentence


def _gist(message: str) -> str:
    sentences = [s for s in (_clean(s) for s in split_sentences(message)) if s]
    if not sentences:
        return _shorten(normalize_whitespace(message)) or "—"
    questions = [s for s in sentences if s.endswith("?")]
    return _shorten(questions[-1] if questions else sentences[0])


def is_about_billing(ticket: TicketText) -> bool:
    return BILLING_CUES.matches(fold(" ".join(_customer_parts(ticket))))


def _asks_question(ticket: TicketText) -> bool:
    return any("?" in part for part in _customer_parts(ticket))


def _customer_parts(ticket: TicketText) -> list[str]:
    return [ticket.subject, ticket.description] + [m.content for m in ticket.messages if m.author == "customer"]


def _too_close(a: str, b: str) -> bool:
    """Mostly the same words (the subject repeated as the first sentence)."""
    words_a, words_b = set(words(fold(a))), set(words(fold(b)))
    if not words_a or not words_b:
        return False
    return len(words_a & words_b) / min(len(words_a), len(words_b)) >= 0.8


def _shorten(sentence: str) -> str:
    if len(sentence) <= _MAX_SENTENCE_CHARS:
        return sentence
    cut = sentence[:_MAX_SENTENCE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
