"""PII redaction for prompts that leave the machine, and restoration of the answers.

Before a prompt goes to a hosted model, e-mail addresses, phone numbers, payment card numbers
(Luhn-checked), IBANs (mod-97-checked), IPv4 addresses and US social security numbers are
replaced by placeholders such as `[EMAIL_1]`; the model answers with the placeholders and
`restore_value` puts the originals back. The same original always gets the same placeholder, so
the model can still tell that two mentions are the same address.

Everything here is a pure function. A false positive costs little (the original comes back on
restore); a false negative sends PII to the provider, so the detectors lean towards matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

import msgspec

Redactions = Mapping[str, str]  # placeholder -> original text
Span = tuple[int, int]

T = TypeVar("T")

_PLACEHOLDER_KINDS = ("EMAIL", "IBAN", "CARD", "SSN", "PHONE", "IP")
_PLACEHOLDER = re.compile(rf"\[({'|'.join(_PLACEHOLDER_KINDS)})_(\d+)\]")


# ---- validity checks ---------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1."""
    compact = candidate.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34) or not compact.isascii() or not compact.isalnum():
        return False
    if not (compact[:2].isalpha() and compact[2:4].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


# ---- detectors: each yields the spans it is sure about -----------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])"
)

# A country code, check digits, then up to 30 letters/digits, optionally grouped by spaces. The
# match is greedy and may swallow a following word, so it is trimmed back before checking.
_IBAN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,36}")

# 13-19 digits, optionally separated by single spaces or hyphens (as printed on cards).
_CARD_CANDIDATE = re.compile(r"(?<!\w)\d(?:[ -]?\d){12,22}")

_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\w-])")

_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"
)

# Phone numbers in the shapes people write them: international (+ or 00), an area code in
# parentheses, a national number with a trunk 0, or the North American 3-3-4 layout. Dates such
# as 2024-01-15 or 15.01.2024 match none of these.
_PHONE = re.compile(
    r"""
    (?<![\w+/.-])
    (?:
        (?:\+|00)\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){2,6}
      | \(\d{2,5}\)[ .-]?\d{2,5}(?:[ .-]?\d{2,5}){1,3}
      | 0\d{1,5}(?:[ .-]?\d{2,5}){1,4}
      | \d{3}[.-]\d{3}[.-]\d{4}
    )
    (?![\w-]|\.\d)
    """,
    re.VERBOSE,
)


def _digit_count(text: str) -> int:
    return sum(char.isdigit() for char in text)


def _find_emails(text: str) -> Iterator[Span]:
    for match in _EMAIL.finditer(text):
        yield match.span()


def _longest_valid_prefixes(
    pattern: re.Pattern[str],
    text: str,
    may_end_at: Callable[[str, int], bool],
    is_valid: Callable[[str], bool],
) -> Iterator[Span]:
    """Spans of the longest valid prefix of each greedy `pattern` match.

    A greedy candidate can swallow what follows it ("DE89 3704 ... 00 please", "4111 ... 1111 2
    items"), so each match is trimmed back to the longest prefix that ends where `may_end_at`
    allows and passes its checksum. The scan then resumes right after what was kept (the
    swallowed text may hold the next IBAN or card), or one character on when nothing was.
    """
    position = 0
    while (match := pattern.search(text, position)) is not None:
        start, matched = match.start(), match.group()
        position = start + 1
        for end in range(len(matched), 0, -1):
            if may_end_at(matched, end) and is_valid(matched[:end]):
                yield (start, start + end)
                position = start + end
                break


def _iban_may_end_at(candidate: str, end: int) -> bool:
    return candidate[end - 1] != " " and (end == len(candidate) or candidate[end] == " ")


def _iban_written_as_one(candidate: str) -> bool:
    """Compact, or in groups of four with a shorter last group; one letter case throughout.

    Without this, a checksum that holds by chance (1 in 97) could join an IBAN and the words
    after it into one span.
    """
    groups = candidate.split(" ")
    if len(groups) > 1 and any(len(group) != 4 for group in groups[:-1]):
        return False
    letters = [char for char in candidate if char.isalpha()]
    return all(char.isupper() for char in letters) or all(char.islower() for char in letters)


def _iban_valid_as_written(candidate: str) -> bool:
    return _iban_written_as_one(candidate) and iban_valid(candidate)


def _card_may_end_at(candidate: str, end: int) -> bool:
    # Only at a separator: cutting inside a run of digits would find a Luhn-valid prefix in
    # almost any long number.
    return candidate[end - 1].isdigit() and (end == len(candidate) or candidate[end] in " -")


def _card_valid(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _find_ibans(text: str) -> Iterator[Span]:
    return _longest_valid_prefixes(_IBAN_CANDIDATE, text, _iban_may_end_at, _iban_valid_as_written)


def _find_cards(text: str) -> Iterator[Span]:
    return _longest_valid_prefixes(_CARD_CANDIDATE, text, _card_may_end_at, _card_valid)


def _find_ssns(text: str) -> Iterator[Span]:
    for match in _SSN.finditer(text):
        yield match.span()


def _find_ipv4s(text: str) -> Iterator[Span]:
    for match in _IPV4.finditer(text):
        yield match.span()


def _find_phones(text: str) -> Iterator[Span]:
    for match in _PHONE.finditer(text):
        matched = match.group()
        # E.164 allows at most 15 digits; national numbers are rarely shorter than 9.
        minimum_digits = 8 if matched.startswith(("+", "00")) else 9
        if minimum_digits <= _digit_count(matched) <= 15:
            yield match.span()


# Order matters: when two detectors claim overlapping text, the earlier one wins (an IBAN's digits
# must not be read as a card or a phone number, an e-mail's digits not as a phone number).
_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[Span]]], ...] = (
    ("EMAIL", _find_emails),
    ("IBAN", _find_ibans),
    ("CARD", _find_cards),
    ("SSN", _find_ssns),
    ("IP", _find_ipv4s),
    ("PHONE", _find_phones),
)


def find_pii(text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of PII in `text`, in text order."""
    taken: list[tuple[int, int, str]] = []
    for kind, detect in _DETECTORS:
        for start, end in detect(text):
            if all(end <= other_start or start >= other_end for other_start, other_end, _ in taken):
                taken.append((start, end, kind))
    return sorted(taken)


# ---- redact and restore -----------------------------------------------------------------------


def redact_texts(texts: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Replace the PII in all `texts` with placeholders numbered across the whole batch.

    Redact everything that goes into one prompt in one call, so the same address gets the same
    placeholder everywhere and no placeholder collides with placeholder-like text already in the
    input (that text is left alone on restore, because it is not in the returned mapping).
    """
    already_present = {match.group() for text in texts for match in _PLACEHOLDER.finditer(text)}
    placeholder_for: dict[tuple[str, str], str] = {}
    next_number: dict[str, int] = {}
    redactions: dict[str, str] = {}

    def placeholder(kind: str, original: str) -> str:
        key = (kind, original)
        if key not in placeholder_for:
            number = next_number.get(kind, 1)
            while f"[{kind}_{number}]" in already_present:
                number += 1
            next_number[kind] = number + 1
            token = f"[{kind}_{number}]"
            placeholder_for[key] = token
            redactions[token] = original
        return placeholder_for[key]

    redacted: list[str] = []
    for text in texts:
        pieces: list[str] = []
        cursor = 0
        for start, end, kind in find_pii(text):
            pieces.append(text[cursor:start])
            pieces.append(placeholder(kind, text[start:end]))
            cursor = end
        pieces.append(text[cursor:])
        redacted.append("".join(pieces))
    return redacted, redactions


def restore(text: str, redactions: Redactions) -> str:
    """Put the originals back for every placeholder this redaction made; leave anything else."""
    if not redactions:
        return text
    return _PLACEHOLDER.sub(lambda match: redactions.get(match.group(), match.group()), text)


class StreamRestorer:
    """`restore` for text that arrives in pieces (a streamed answer), where a placeholder may be
    split between two pieces: the unfinished end of a piece that could still become a
    placeholder is held back until the next piece shows whether it does."""

    def __init__(self, redactions: Redactions) -> None:
        self._redactions = redactions
        self._held = ""

    def feed(self, piece: str) -> str:
        """The restored text that can be shown now (possibly empty)."""
        if not self._redactions:
            return piece
        text = self._held + piece
        cut = _open_placeholder_start(text)
        self._held = text[cut:]
        return restore(text[:cut], self._redactions)

    def flush(self) -> str:
        """Whatever was held back, at the end of the stream (it never became a placeholder)."""
        held, self._held = self._held, ""
        return restore(held, self._redactions)


def _open_placeholder_start(text: str) -> int:
    """Where an unfinished placeholder (`[`, `[EM`, `[EMAIL_1`) ends `text`; len(text) if none."""
    start = text.rfind("[")
    if start < 0:
        return len(text)
    name, underscore, digits = text[start + 1 :].partition("_")
    if not underscore:
        could_be = any(kind.startswith(name) for kind in _PLACEHOLDER_KINDS)
    else:
        could_be = name in _PLACEHOLDER_KINDS and (digits == "" or digits.isdigit())
    return start if could_be else len(text)


def _map_strings(value: Any, transform: Callable[[str], str]) -> Any:
    """Apply `transform` to every string inside `value` (Structs, lists, tuples, dict values)."""
    if isinstance(value, str):
        return transform(value)
    if isinstance(value, msgspec.Struct):
        changes = {name: _map_strings(getattr(value, name), transform) for name in value.__struct_fields__}
        return msgspec.structs.replace(value, **changes)
    if isinstance(value, list):
        return [_map_strings(item, transform) for item in value]
    if isinstance(value, tuple):
        return tuple(_map_strings(item, transform) for item in value)
    if isinstance(value, dict):
        return {key: _map_strings(item, transform) for key, item in value.items()}
    return value


def redact_values(values: Sequence[T]) -> tuple[list[T], dict[str, str]]:
    """`redact_texts` over every string inside `values`, returning values of the same shapes."""
    collected: list[str] = []

    def collect(text: str) -> str:
        collected.append(text)
        return text

    for value in values:
        _map_strings(value, collect)
    redacted, redactions = redact_texts(collected)
    replacements = iter(redacted)
    return [_map_strings(value, lambda _text: next(replacements)) for value in values], redactions


def restore_value(value: T, redactions: Redactions) -> T:
    """`restore` applied to every string inside `value`, for example a decoded answer Struct."""
    if not redactions:
        return value
    restored: T = _map_strings(value, lambda text: restore(text, redactions))
    return restored
