"""Plain-text helpers shared by the local engine: normalising, folding, splitting, counting.

Input here is always plain text (TipTap JSON is turned into text before it reaches an engine).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from app.ai.interface import TicketText

_WHITESPACE = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_WORD = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)
# Anything that is neither a word character nor whitespace counts as one piece of its own.
_SYMBOL = re.compile(r"[^\w\s]", re.UNICODE)

# Abbreviations whose trailing period does not end a sentence (folded, without the period).
ABBREVIATIONS = frozenset(
    {
        "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "prof", "inc", "ltd", "approx", "no", "nr",
        "sr", "sra", "srta", "dra", "ud", "uds", "p.ej", "mme", "mlle", "cf", "z.b", "bzw", "ca", "usw",
        "ggf", "evtl", "bspw", "sig", "dott", "ing", "ecc", "sig.ra", "p.es", "exmo", "exma", "av",
    }
)
_SENTENCE_END = re.compile(r"([.!?¡¿…]+|\n+)")


# Addresses, handles, links and hashtag marks: no language, no topic, only noise for detectors.
_HANDLES_AND_LINKS = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+|@\w+|\bRT\b|\bhttps?\b|#", re.UNICODE)


def without_handles_and_links(text: str) -> str:
    return _HANDLES_AND_LINKS.sub(" ", text)


def normalize_whitespace(text: str) -> str:
    """Collapse runs of spaces, keep single line breaks (they separate thoughts in tickets)."""
    lines = [_WHITESPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def fold(text: str) -> str:
    """Lowercase and strip accents so lexicons match 'résilier', 'Resilier' and 'resilier' alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def estimate_tokens(text: str) -> int:
    """Deterministic word-piece estimate: a word is one piece per four characters, plus punctuation.

    Close to what BPE tokenizers report for European languages, and cheap enough to run on every
    call so the token ledger has comparable numbers whichever engine answered.
    """
    pieces = sum(1 + (len(word) - 1) // 4 for word in _WORD.findall(text))
    return pieces + len(_SYMBOL.findall(text))


def split_sentences(text: str) -> list[str]:
    """Split on sentence punctuation and line breaks, keeping abbreviations and decimals intact."""
    sentences: list[str] = []
    current = ""
    parts = _SENTENCE_END.split(text)
    for index in range(0, len(parts), 2):
        chunk = parts[index]
        delimiter = parts[index + 1] if index + 1 < len(parts) else ""
        current += chunk
        if not delimiter:
            continue
        if delimiter.startswith("\n"):
            _flush(sentences, current)
            current = ""
            continue
        last_word = current.rsplit(" ", 1)[-1]
        next_chunk = parts[index + 2] if index + 2 < len(parts) else ""
        if delimiter == "." and (fold(last_word).strip("(") in ABBREVIATIONS or _inside_token(next_chunk)):
            current += delimiter
            continue
        if delimiter in ("¿", "¡"):
            # Spanish opening marks start the next sentence rather than end this one.
            _flush(sentences, current)
            current = delimiter
            continue
        current += delimiter
        _flush(sentences, current)
        current = ""
    _flush(sentences, current)
    return sentences


def _inside_token(next_chunk: str) -> bool:
    # "v2.5", "e.g.", "example.com": a period followed directly by more text is not a full stop.
    return bool(next_chunk) and not next_chunk[0].isspace()


def _flush(sentences: list[str], candidate: str) -> None:
    cleaned = candidate.strip()
    if any(ch.isalnum() for ch in cleaned):
        sentences.append(cleaned)


def cap(text: str, max_chars: int) -> str:
    """Cut at a word boundary near `max_chars`, so a huge thread costs a bounded amount of work."""
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ", max_chars - 80)
    return cut[:space] if space > 0 else cut


def ticket_text(ticket: TicketText, max_chars: int) -> str:
    """Subject, description and messages as one text, the subject first because it is the gist."""
    parts = [ticket.subject.strip(), ticket.description.strip()]
    parts.extend(message.content.strip() for message in ticket.messages)
    joined = "\n".join(part for part in parts if part)
    return cap(normalize_whitespace(joined), max_chars)


def customer_text(ticket: TicketText, max_chars: int) -> str:
    """What the customer wrote: agents' replies would colour sentiment and intent with our own words."""
    parts = [ticket.subject.strip(), ticket.description.strip()]
    parts.extend(message.content.strip() for message in ticket.messages if message.author == "customer")
    joined = "\n".join(part for part in parts if part)
    return cap(normalize_whitespace(joined), max_chars)


class Lexicon:
    """A list of folded terms matched on word boundaries; a trailing '*' matches any word ending.

    Stems with '*' keep the per-language lists short: 'cancel*' covers cancel, cancelled, cancelling.
    """

    def __init__(self, terms: Iterable[str]) -> None:
        alternatives = []
        for term in sorted({fold(term) for term in terms}, key=len, reverse=True):
            if term.endswith("*"):
                alternatives.append(re.escape(term[:-1]) + r"[\w'-]*")
            else:
                alternatives.append(re.escape(term))
        self.terms = tuple(alternatives)
        pattern = r"(?<![\w])(?:" + "|".join(alternatives) + r")(?![\w])" if alternatives else r"(?!x)x"
        self._pattern = re.compile(pattern, re.UNICODE)

    def find(self, folded_text: str) -> list[str]:
        return self._pattern.findall(folded_text)

    def count(self, folded_text: str) -> int:
        return len(self._pattern.findall(folded_text))

    def matches(self, folded_text: str) -> bool:
        return self._pattern.search(folded_text) is not None


def unique(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    ordered = []
    for item in items:
        if item not in seen:
            seen.add(item)
            ordered.append(item)
    return ordered
