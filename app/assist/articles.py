"""Knowledge-base articles for a ticket: candidates by meaning and by words, and their score.

The database offers the published articles nearest in meaning and those matching the ticket's key
terms (`published_article_candidates`); `article_score` blends the two into the 0..1 `prior` an
engine weighs against its own judgement when it ranks them.
"""

from __future__ import annotations

import re
from uuid import UUID

import msgspec

from app.ai.interface import Candidate, EngineSettings, Ranking, TicketText
from app.ai.local.rank import key_terms
from app.ai.local.workers import run_cpu
from app.assist import embedding_refresh
from app.assist.vector_search import ArticleCandidate, published_article_candidates
from app.assist.vectors import TextVector
from app.context import Context

ARTICLE_CANDIDATES = 10
MAX_ARTICLE_SUGGESTIONS = 5
# How much the meaning counts against the wording when ranking articles for a ticket.
ARTICLE_VECTOR_WEIGHT = 0.75
# A reply draft gets the best article only if it clearly fits (the same 0..1 scale as `prior`).
REPLY_ARTICLE_MIN_SCORE = 0.45
_QUERY_TERMS = 32
_ARTICLE_TEXT_CHARS = 2_000


class ArticleInfo(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    title: str
    content: str


class ArticleSuggestion(msgspec.Struct, frozen=True, kw_only=True):
    articleId: UUID
    relevance: float
    reasoning: str
    article: ArticleInfo


def scaled_cosine(similarity: float) -> float:
    # Cosines between related support texts sit around 0.35-0.8 and unrelated ones below 0.25
    # (USE and OpenAI's text-embedding-3 alike); [0.1, 0.7] -> [0, 1] spreads the useful range.
    return float(min(1.0, max(0.0, (similarity - 0.1) / 0.6)))


def article_score(candidate: ArticleCandidate) -> float:
    """Meaning and wording combined, 0..1: the `prior` an engine blends into its own judgement."""
    semantic = scaled_cosine(candidate.similarity) if candidate.similarity is not None else 0.0
    return round(ARTICLE_VECTOR_WEIGHT * semantic + (1 - ARTICLE_VECTOR_WEIGHT) * candidate.text_rank, 4)


_TSQUERY_WORD = re.compile(r"[^\W_]+")


def text_search_query(text: str) -> str | None:
    """An OR query of the text's key terms for to_tsquery('simple', ...); prefixes stand in for
    stemming ('charg:*' finds charge, charged, charges), since the 'simple' config has none.

    Only letters and digits reach the query ("don't" and "e-mail" are split into their words),
    so no term can carry tsquery syntax whatever the ticket says.
    """
    terms: list[str] = []
    for phrase in key_terms(text)[:_QUERY_TERMS]:
        for term in _TSQUERY_WORD.findall(phrase):
            if len(term) < 3:
                continue
            stem = term[: max(4, len(term) - 2)] if len(term) >= 6 else term
            terms.append(f"{stem}:*" if stem != term else term)
    unique = list(dict.fromkeys(terms))
    return " | ".join(unique) if unique else None


async def article_candidates(
    ctx: Context, ticket: TicketText, vector: TextVector, settings: EngineSettings
) -> list[ArticleCandidate]:
    """Published articles for the ticket by meaning and by words, best `article_score` first."""
    caller = ctx.require_caller()
    await embedding_refresh.embed_missing_articles(ctx.services, caller, caller.org_id, settings)
    # Key-term extraction reads the whole description (up to 100,000 characters): CPU work.
    query = await run_cpu(text_search_query, f"{ticket.subject}\n{ticket.description}")
    async with ctx.pool.acquire() as connection:
        candidates = await published_article_candidates(
            connection, caller.org_id, vector.model, vector.dimensions, vector.vector, query, ARTICLE_CANDIDATES
        )
    return sorted(candidates, key=lambda candidate: (-article_score(candidate), str(candidate.article_id)))


def article_text(candidate: ArticleCandidate) -> str:
    return f"{candidate.title}\n\n{candidate.content[:_ARTICLE_TEXT_CHARS]}"


def as_candidate(article: ArticleCandidate) -> Candidate:
    """An article as an engine ranks it: its text and its score as the prior."""
    return Candidate(id=str(article.article_id), text=article_text(article), prior=article_score(article))


def reply_article(candidates: list[ArticleCandidate]) -> Candidate | None:
    """The article a reply draft may quote: the best one, if it clearly fits."""
    if candidates and article_score(candidates[0]) >= REPLY_ARTICLE_MIN_SCORE:
        return as_candidate(candidates[0])
    return None


def suggestions(candidates: list[ArticleCandidate], ranking: Ranking) -> list[ArticleSuggestion]:
    """The engine's ranking of the candidates as the catalog's suggestions, best first."""
    by_id = {str(candidate.article_id): candidate for candidate in candidates}
    return [
        ArticleSuggestion(
            articleId=article.article_id,
            relevance=round(ranked.relevance, 3),
            reasoning=ranked.reasoning,
            article=ArticleInfo(id=article.article_id, title=article.title, content=article.content),
        )
        for ranked in ranking.ranked
        if (article := by_id.get(ranked.id)) is not None
    ][:MAX_ARTICLE_SUGGESTIONS]


def ranking_candidates(candidates: list[ArticleCandidate]) -> list[Candidate]:
    """The articles as an engine ranks them, one per article."""
    return list({str(article.article_id): as_candidate(article) for article in candidates}.values())
