"""One pass over a ticket that every operation starts from: text, language, embedding, cues.

`analyze` needs the same ticket embedding for summary, priority, tags and sentiment; computing
it here once is what keeps the combined call close to the cost of a single embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ai.interface import Language, TicketText
from app.ai.local.embedding import MAX_INPUT_CHARS, Vector, embed_text
from app.ai.local.intent import IntentCues, read_cues
from app.ai.local.language import detect_language
from app.ai.local.priority import IMPACT_LEXICON, WISH_LEXICON
from app.ai.local.sentiment import SentimentSignals, read_signals
from app.ai.local.text import customer_text, fold, ticket_text


@dataclass(frozen=True)
class TicketReading:
    ticket: TicketText
    # Everything, agents' replies included: what the token estimate and the summary see.
    full_text: str
    # The customer's words only: what sentiment, intent and tags are about.
    customer_text: str
    language: Language
    # Embedding of the customer's words, shared by every analysis of this ticket.
    vector: Vector
    signals: SentimentSignals
    cues: IntentCues
    wide_impact: bool
    praise_or_wish: bool
    asks_question: bool


def read_ticket(ticket: TicketText, fallback_language: Language | None) -> TicketReading:
    full = ticket_text(ticket, MAX_INPUT_CHARS)
    customer = customer_text(ticket, MAX_INPUT_CHARS)
    folded = fold(customer)
    signals = read_signals(customer)
    return TicketReading(
        ticket=ticket,
        full_text=full,
        customer_text=customer,
        language=detect_language(customer, fallback_language).language,
        vector=embed_text(customer),
        signals=signals,
        cues=read_cues(customer),
        wide_impact=IMPACT_LEXICON.matches(folded),
        praise_or_wish=WISH_LEXICON.matches(folded) or "grateful" in signals.emotions,
        asks_question="?" in customer,
    )
