"""Reply drafts assembled from per-language templates, the ticket, and the best article.

Each draft is an agent's starting point, not a sent message: it greets, acknowledges the topic in
the customer's own words, says what happens next for this kind of request, points to the
article when one fits, and signs off in the requested tone. Drafts differ in tone and length so
the agent can pick the register that suits the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import msgspec

from app.ai.interface import Candidate, Language, ReplyDraft, SentimentLabel
from app.ai.local.summary import NextStep
from app.ai.local.text import normalize_whitespace, split_sentences

Tone = str
KNOWN_TONES = ("friendly", "professional", "empathetic")
_TONE_ALIASES = {
    "formal": "professional", "business": "professional", "neutral": "professional", "concise": "professional",
    "warm": "friendly", "casual": "friendly", "playful": "friendly", "informal": "friendly",
    "caring": "empathetic", "apologetic": "empathetic", "supportive": "empathetic",
}
_MAX_TOPIC_CHARS = 80
_MAX_ARTICLE_EXCERPT_CHARS = 320


@dataclass(frozen=True)
class Phrases:
    """Everything a draft says, in one language. {topic} and {title} are filled in."""

    quote: tuple[str, str]
    greeting: dict[Tone, str]
    closing: dict[Tone, str]
    sign_off: dict[Tone, str]
    thanks_for_writing: str
    sorry: str
    glad: str
    article: str
    article_excerpt: str
    ask_details: str
    situation: dict[NextStep, tuple[str, str]]  # (concise, extra sentences for the detailed draft)


def _load_phrases() -> dict[Language, Phrases]:
    """Read the per-language templates shipped beside this module (reply_phrases.json)."""
    data = (Path(__file__).parent / "reply_phrases.json").read_bytes()
    return msgspec.json.decode(data, type=dict[Language, Phrases])


# Loaded once at import; the texts live in a data file so translators edit strings, not Python.
PHRASES: dict[Language, Phrases] = _load_phrases()


def canonical_tone(tone: str | None) -> Tone:
    """Map an organization's free-text tone onto one the templates know."""
    key = (tone or "friendly").strip().lower()
    if key in KNOWN_TONES:
        return key
    return _TONE_ALIASES.get(key, "friendly")


def contrasting_tone(tone: Tone) -> Tone:
    return "professional" if tone != "professional" else "friendly"


def draft_replies(
    subject: str,
    language: Language,
    situation: NextStep,
    sentiment: SentimentLabel,
    article: Candidate | None,
    org_tone: str | None,
) -> list[ReplyDraft]:
    """A concise draft in the organization's tone, a detailed one in a contrasting tone, and an
    empathetic one when the customer is upset."""
    first_tone = canonical_tone(org_tone)
    tones: list[tuple[Tone, bool]] = [(first_tone, False), (contrasting_tone(first_tone), True)]
    if sentiment == "negative" and "empathetic" not in (tone for tone, _ in tones):
        tones.append(("empathetic", False))
    drafts = []
    for tone, detailed in tones:
        text = _compose(PHRASES[language], subject, situation, sentiment, article, tone, detailed)
        drafts.append(ReplyDraft(text=text, tone=tone, length="detailed" if detailed else "concise"))
    return drafts


def _compose(
    phrases: Phrases,
    subject: str,
    situation: NextStep,
    sentiment: SentimentLabel,
    article: Candidate | None,
    tone: Tone,
    detailed: bool,
) -> str:
    concise_line, detail_line = phrases.situation[situation]
    opening: list[str] = []
    topic = _topic(subject)
    # Thanking a customer for writing right before thanking them for their feedback reads twice.
    if topic and (detailed or tone != "empathetic") and situation != NextStep.THANK_CUSTOMER:
        open_quote, close_quote = phrases.quote
        opening.append(phrases.thanks_for_writing.format(topic=f"{open_quote}{topic}{close_quote}"))
    if sentiment == "negative" and (tone == "empathetic" or detailed):
        opening.append(phrases.sorry)
    elif sentiment == "positive" and situation != NextStep.THANK_CUSTOMER:
        opening.append(phrases.glad)

    body = [concise_line]
    if detailed:
        body.append(detail_line)
    if article is not None:
        title, excerpt = _article_parts(article)
        body.append(phrases.article.format(title=title))
        if detailed and excerpt:
            body.append(phrases.article_excerpt.format(excerpt=excerpt))
    if detailed and situation in (NextStep.REPLY_WITH_FIX, NextStep.INVESTIGATE_NOW):
        body.append(phrases.ask_details)

    paragraphs = [phrases.greeting[tone], " ".join(opening + body), phrases.closing[tone], phrases.sign_off[tone]]
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _topic(subject: str) -> str:
    topic = normalize_whitespace(subject).strip(" .!?¿¡:;-")
    if len(topic) > _MAX_TOPIC_CHARS:
        topic = topic[:_MAX_TOPIC_CHARS].rsplit(" ", 1)[0] + "…"
    return topic


def _article_parts(article: Candidate) -> tuple[str, str]:
    """Title is the article's first line; the excerpt is its first sentences, kept short."""
    lines = [line.strip() for line in article.text.strip().splitlines() if line.strip()]
    if not lines:
        return article.id, ""
    title = lines[0].lstrip("# ").strip()
    title = title if len(title) <= _MAX_TOPIC_CHARS else title[:_MAX_TOPIC_CHARS].rsplit(" ", 1)[0] + "…"
    excerpt = ""
    for sentence in split_sentences(" ".join(lines[1:])):
        if len(excerpt) + len(sentence) > _MAX_ARTICLE_EXCERPT_CHARS:
            break
        excerpt = f"{excerpt} {sentence}".strip()
    return title, excerpt
