"""Ranking articles, agents or past tickets against a ticket.

Relevance is the cosine between the ticket and each candidate's text, mapped to 0..1 and blended
with the caller's prior (for example pgvector's similarity over the full text, or an agent's
resolved-ticket history). Candidates below a floor are dropped, so "nothing fits" is an empty list.
The reason names the key terms they share, which is what an agent checks first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from app.ai.interface import Candidate, RankedCandidate
from app.ai.local.embedding import Matrix, Vector
from app.ai.local.tags import DOMAIN_STOPWORDS
from app.ai.local.text import fold

# USE cosines between unrelated support texts sit around 0.0-0.25 and related ones at 0.35-0.8;
# mapping [0.1, 0.7] onto [0, 1] spreads the useful range.
_COSINE_FLOOR = 0.1
_COSINE_CEILING = 0.7
_PRIOR_WEIGHT = 0.4
_MIN_RELEVANCE = 0.3
_PLAIN_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_SHARED_TERMS = 4
_MIN_TERM_CHARS = 4

# Function words of the six languages: sharing "that" or "pour" says nothing about relevance.
_FUNCTION_WORDS = frozenset(
    """
    this that with from have your about there their would could should which when what been were will
    just also some into them then than they these those only very more most does here where while
    para pero como esta este esto estos estas desde hasta sobre tiene tengo puede cuando donde porque todo todos
    pour dans avec sans mais vous nous sont cette leur leurs elle ils etre avoir fait plus tout tous quand comme
    und oder aber nicht eine einer einem einen sich sind haben wird wurde noch auch schon kann beim dass wenn
    della delle dello degli sono come anche questo questa quando dove perche tutto tutti molto nella nelle
    para pelo pela com uma umas sobre quando onde porque tudo todos muito essa esse isso nosso nossa
    """.split()
)


def rank_candidates(
    ticket_text: str,
    ticket_vector: Vector,
    candidates: Sequence[Candidate],
    candidate_vectors: Matrix,
    kind: str,
) -> list[RankedCandidate]:
    if not candidates:
        return []
    cosines = candidate_vectors @ ticket_vector
    ticket_terms = key_terms(ticket_text)
    ranked = []
    for candidate, cosine in zip(candidates, cosines, strict=True):
        semantic = _scale(float(cosine))
        relevance = semantic
        if candidate.prior is not None:
            prior = min(1.0, max(0.0, float(candidate.prior)))
            relevance = (1 - _PRIOR_WEIGHT) * semantic + _PRIOR_WEIGHT * prior
        if relevance < _MIN_RELEVANCE:
            continue
        shared = [term for term in key_terms(candidate.text) if term in ticket_terms]
        ranked.append(
            RankedCandidate(
                id=candidate.id,
                relevance=round(relevance, 3),
                reasoning=_reason(shared[:_MAX_SHARED_TERMS], kind, candidate.prior is not None),
            )
        )
    # Ties broken by id so equal scores come back in the same order every time.
    ranked.sort(key=lambda item: (-item.relevance, item.id))
    return ranked


def key_terms(text: str) -> list[str]:
    """Distinct content words, folded, in order of first appearance.

    Only word characters: "e-mail" gives "mail", never a term with punctuation, so callers can
    put the terms into a full-text query without escaping.
    """
    seen: dict[str, None] = {}
    for word in _PLAIN_WORD.findall(fold(text)):
        if len(word) < _MIN_TERM_CHARS or word.isdigit():
            continue
        if word not in _FUNCTION_WORDS and word not in DOMAIN_STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def _scale(cosine: float) -> float:
    return float(np.clip((cosine - _COSINE_FLOOR) / (_COSINE_CEILING - _COSINE_FLOOR), 0.0, 1.0))


_SHARED_PREFIX = {
    "article": "The article covers",
    "agent": "Matches the agent's expertise and past tickets on",
    "ticket": "Same key terms",
}


def _reason(shared: list[str], kind: str, had_prior: bool) -> str:
    basis = " Blended with the stored similarity." if had_prior else ""
    if shared:
        prefix = _SHARED_PREFIX.get(kind, "Shared key terms")
        return f"{prefix}: {', '.join(shared)}.{basis}"
    return f"Close in meaning with little shared wording (for example another language).{basis}"
