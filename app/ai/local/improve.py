"""Polishing an agent's draft: spacing, punctuation, capitals, repeated words, greeting, sign-off, tone.

Rule-based on purpose: it never changes what the agent says, only how it reads, so an agent can
press the button without proofreading a rewrite.
"""

from __future__ import annotations

import functools
import re

from app.ai.interface import Language
from app.ai.local.replies import PHRASES, canonical_tone
from app.ai.local.text import ABBREVIATIONS, Lexicon, fold, normalize_whitespace

# Doubled words that are grammatical: "vous vous êtes", "had had", "die die".
_LEGITIMATE_REPEATS = frozenset({"nous", "vous", "had", "that", "die", "der", "das", "se", "si"})
_REPEATED_WORD = re.compile(r"\b(\w+)(\s+)\1\b", re.IGNORECASE | re.UNICODE)
_SPACE_BEFORE_PUNCTUATION = re.compile(r"[ \t]+([,.;:!?)])")
_FRENCH_SPACE_BEFORE = re.compile(r"[ \t]+([,.)])")
_MISSING_SPACE_AFTER = re.compile(r"([,;!?])(?=[^\s\d,;!?.)\"'»”])")
# "now.Please" or "now.please try": a full stop missing its space. A lowercase word right after the
# period only counts when it is followed by a space and is not a domain ending (example.com/help).
_MISSING_SPACE_AFTER_PERIOD = re.compile(
    r"(?<=[a-zà-ÿ]{2})\.(?=[A-ZÀ-Ý][a-zà-ÿ]|(?!(?:com|org|net|io|co|de|fr|es|it|pt|br|uk|app|dev)\b)[a-zà-ÿ]{3,} )"
)
# "export .it works": a period typed after a space and glued to the next word ends a sentence.
_DETACHED_PERIOD = re.compile(r"(\w)[ \t]+\.(?=[^\W\d_])", re.UNICODE)
_ENDS_WITHOUT_PUNCTUATION = re.compile(r"(\w)$", re.UNICODE)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_MIN_WORDS_FOR_FULL_STOP = 3
_MAX_SIGN_OFF_WORDS = 4
_REPEATED_MARKS = re.compile(r"([!?])[!?]+")
_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")
_DOUBLE_COMMA = re.compile(r",{2,}")
_SENTENCE_START = re.compile(r"(^|(\S*)[.!?]\s+|\n\s*)([a-zà-ÿ])", re.UNICODE)
_INLINE_GREETING = re.compile(r"^([^,!\n]{1,40}[,!])[ \t]+(\S.*)$", re.DOTALL)
_LONE_I = re.compile(r"\bi\b(?=['’ ])")

GREETINGS = Lexicon(
    [
        "hi", "hello", "hey", "dear", "good morning", "good afternoon", "good evening",
        "hola", "buenos dias", "buenas tardes", "buenas", "estimado*", "estimada*",
        "bonjour", "bonsoir", "salut", "cher", "chère", "madame", "monsieur",
        "hallo", "guten tag", "guten morgen", "sehr geehrte*", "liebe", "lieber",
        "ciao", "buongiorno", "buonasera", "salve", "gentile", "gentili",
        "olá", "oi", "bom dia", "boa tarde", "boa noite", "prezado*", "prezada*",
    ]
)
SIGN_OFFS = Lexicon(
    [
        "regards", "best regards", "kind regards", "cheers", "best", "thanks", "thank you", "sincerely", "warm regards",
        "saludos", "un saludo", "atentamente", "gracias", "cordialmente",
        "cordialement", "bien à vous", "à bientôt", "merci", "bien cordialement",
        "grüße", "viele grüße", "mit freundlichen grüßen", "beste grüße", "danke", "herzliche grüße",
        "saluti", "cordiali saluti", "a presto", "grazie", "un caro saluto",
        "atenciosamente", "abraços", "abraço", "obrigado", "obrigada", "um abraço",
    ]
)

# Chat shorthand and casual words, written out in the professional tone.
_PROFESSIONAL_WORDS: dict[Language, dict[str, str]] = {
    "en": {
        "asap": "as soon as possible", "thx": "thank you", "thanks": "thank you", "pls": "please", "plz": "please",
        "yeah": "yes", "yep": "yes", "nope": "no", "gonna": "going to", "wanna": "want to", "gotta": "have to",
        "btw": "by the way", "fyi": "for your information", "u": "you", "ur": "your", "hey": "hello",
    },
    "es": {"porfa": "por favor", "xfa": "por favor", "q": "que", "xq": "porque", "tb": "también", "ok": "de acuerdo"},
    "fr": {
        "stp": "s'il vous plaît", "svp": "s'il vous plaît", "bcp": "beaucoup", "pb": "problème", "salut": "bonjour",
        "ok": "d'accord",
    },
    "de": {"thx": "danke", "bzw": "beziehungsweise", "ok": "in Ordnung", "hi": "hallo"},
    "it": {"cmq": "comunque", "grz": "grazie", "xké": "perché", "x": "per", "ok": "va bene"},
    "pt": {"vc": "você", "pq": "porque", "tb": "também", "tbm": "também", "blz": "beleza", "obg": "obrigado"},
}
_ENGLISH_CONTRACTIONS = {
    "can't": "cannot", "won't": "will not", "don't": "do not", "doesn't": "does not", "didn't": "did not",
    "isn't": "is not", "aren't": "are not", "wasn't": "was not", "weren't": "were not", "haven't": "have not",
    "hasn't": "has not", "couldn't": "could not", "wouldn't": "would not", "shouldn't": "should not",
    "i'm": "I am", "i've": "I have", "i'll": "I will", "i'd": "I would", "we're": "we are", "we've": "we have",
    "we'll": "we will", "you're": "you are", "you've": "you have", "you'll": "you will", "it's": "it is",
    "that's": "that is", "there's": "there is", "let's": "let us",
}
_ENGLISH_FILLERS = re.compile(r"\b(just|really|actually|basically|simply|literally|kind of|sort of)\s+", re.IGNORECASE)

EMPATHY: dict[Language, str] = {
    "en": "I understand how frustrating this must be, and I appreciate your patience.",
    "es": "Entiendo lo frustrante que debe de ser y le agradezco su paciencia.",
    "fr": "Je comprends à quel point cela doit être frustrant et je vous remercie de votre patience.",
    "de": "Ich verstehe, wie ärgerlich das sein muss, und danke Ihnen für Ihre Geduld.",
    "it": "Capisco quanto possa essere frustrante e la ringrazio per la pazienza.",
    "pt": "Entendo como isso deve ser frustrante e agradeço a sua paciência.",
}
_EMPATHY_ALREADY = Lexicon(
    [
        "sorry", "apologi*", "understand", "frustrat*",
        "lo siento", "disculp*", "lamentamos", "entiendo",
        "désolé*", "excuse*", "je comprends",
        "tut mir leid", "tut uns leid", "entschuldig*", "verstehe",
        "mi dispiace", "ci dispiace", "scus*", "capisco",
        "desculp*", "lamento", "lamentamos", "entendo",
    ]
)


def improve_text(text: str, tone: str | None, language: Language) -> str:
    if not text.strip():
        return ""
    canonical = canonical_tone(tone)
    wants_concise = (tone or "").strip().lower() == "concise"
    cleaned = _fix_spacing(normalize_whitespace(text), language)
    cleaned = _drop_repeated_words(cleaned)
    if canonical == "professional":
        cleaned = _professional_wording(cleaned, language)
    if wants_concise and language == "en":
        cleaned = _ENGLISH_FILLERS.sub("", cleaned)
    cleaned = _capitalize_sentences(cleaned, language)
    return _frame(cleaned, canonical, language, add_empathy=canonical == "empathetic" and not wants_concise)


def _fix_spacing(text: str, language: Language) -> str:
    # French typography puts a space before ; : ! ? so only commas, periods and brackets are fixed there.
    before = _FRENCH_SPACE_BEFORE if language == "fr" else _SPACE_BEFORE_PUNCTUATION
    text = _DETACHED_PERIOD.sub(r"\1. ", text)
    text = before.sub(r"\1", text)
    text = _REPEATED_MARKS.sub(r"\1", text)
    text = _DOUBLE_PERIOD.sub(".", text)
    text = _DOUBLE_COMMA.sub(",", text)
    text = _MISSING_SPACE_AFTER.sub(r"\1 ", text)
    text = _MISSING_SPACE_AFTER_PERIOD.sub(". ", text)
    return "\n".join(_close_sentence(line) for line in text.split("\n"))


def _close_sentence(line: str) -> str:
    """A line of prose that stops mid-air gets its full stop; short lines (names, sign-offs) do not."""
    if len(line.split()) < _MIN_WORDS_FOR_FULL_STOP or _is_greeting_or_sign_off(_last_sentence(line)):
        return line
    return _ENDS_WITHOUT_PUNCTUATION.sub(r"\1.", line)


def _last_sentence(line: str) -> str:
    return _SENTENCE_BREAK.split(line.strip())[-1]


def _is_greeting_or_sign_off(fragment: str) -> bool:
    folded = fold(fragment).strip(" ,.!")
    if not folded or len(folded.split()) > _MAX_SIGN_OFF_WORDS:
        return False
    return GREETINGS.matches(folded) or SIGN_OFFS.matches(folded)


def _drop_repeated_words(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(1)
        return match.group(0) if word.lower() in _LEGITIMATE_REPEATS or word.isdigit() else word

    previous = None
    while previous != text:
        previous, text = text, _REPEATED_WORD.sub(replace, text)
    return text


def _capitalize_sentences(text: str, language: Language) -> str:
    def capitalize(match: re.Match[str]) -> str:
        word_before_period = fold(match.group(2) or "").strip("(")
        if word_before_period in ABBREVIATIONS:  # "e.g. the FAQ" continues the sentence
            return match.group(0)
        return match.group(1) + match.group(3).upper()

    text = _SENTENCE_START.sub(capitalize, text)
    if language == "en":
        text = _LONE_I.sub("I", text)
    return text


@functools.cache
def _wording_of(language: Language) -> tuple[dict[str, str], re.Pattern[str]]:
    """The language's replacements and one pattern for all of them, built once per language."""
    replacements = dict(_PROFESSIONAL_WORDS[language])
    if language == "en":
        replacements.update(_ENGLISH_CONTRACTIONS)
    alternatives = "|".join(re.escape(word) for word in sorted(replacements, key=len, reverse=True))
    return replacements, re.compile(r"(?<![\w'’])(" + alternatives + r")(?![\w'’])", re.IGNORECASE)


def _professional_wording(text: str, language: Language) -> str:
    replacements, pattern = _wording_of(language)

    def replace(match: re.Match[str]) -> str:
        original = match.group(0)
        replacement = replacements[original.lower().replace("’", "'")]
        return replacement[0].upper() + replacement[1:] if original[0].isupper() else replacement

    text = pattern.sub(replace, text.replace("’", "'") if language == "en" else text)
    # One exclamation mark reads as shouting in a formal reply.
    return re.sub(r"!(?=\s|$)", ".", text)


def _frame(text: str, tone: str, language: Language, add_empathy: bool) -> str:
    """Make sure the reply opens with a greeting and ends with a sign-off, as support replies do."""
    phrases = PHRASES[language]
    paragraphs = [paragraph.strip() for paragraph in text.split("\n\n") if paragraph.strip()]
    lines = text.split("\n")
    has_greeting = GREETINGS.matches(_opening_words(lines[0]))
    if has_greeting:
        paragraphs[:1] = _greeting_on_its_own_line(paragraphs[0])
    # A sign-off is one of the last lines, or the last sentence of the last line ("... ! Cordialement").
    closing_fragments = [line for line in lines[-3:] if line.strip()] + [_last_sentence(lines[-1])]
    has_sign_off = any(
        _is_greeting_or_sign_off(fragment) and SIGN_OFFS.matches(fold(fragment)) for fragment in closing_fragments
    )
    if add_empathy and not _EMPATHY_ALREADY.matches(fold(text)):
        insert_at = 1 if has_greeting and len(paragraphs) > 1 else 0
        paragraphs.insert(insert_at, EMPATHY[language])
    if not has_greeting:
        paragraphs.insert(0, phrases.greeting[tone])
    if not has_sign_off:
        paragraphs.append(phrases.sign_off[tone])
    return "\n\n".join(paragraphs)


def _greeting_on_its_own_line(paragraph: str) -> list[str]:
    """'Hola, hemos revisado…' becomes 'Hola,' and 'Hemos revisado…', the way replies are laid out."""
    match = _INLINE_GREETING.match(paragraph)
    if match is None or "\n" in match.group(1):
        return [paragraph]
    rest = match.group(2)
    return [match.group(1).strip(), rest[0].upper() + rest[1:]]


def _opening_words(line: str) -> str:
    return " ".join(fold(line).replace(",", " ").replace("!", " ").split()[:3])
