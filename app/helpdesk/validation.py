"""Input checks that msgspec's type constraints cannot express, reported the same way it reports.

msgspec validates shapes and lengths as the input is decoded (`app.calls.decode_input`). What is
left is what PostgreSQL would refuse or what a helpdesk would not want stored: a NUL character
(text and jsonb cannot hold one), an unpaired surrogate (not UTF-8), free-form JSON nested or sized
beyond reason, a blank subject, duplicate tags. Each failure is BAD_REQUEST naming the field path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from app.errors import TRPCError

# A TipTap document nests about four JSON levels per list level; 100 leaves room for deep lists.
MAX_JSON_DEPTH = 100


def invalid(path: str, problem: str) -> TRPCError:
    """BAD_REQUEST worded like msgspec's own errors: `<problem> - at `$.<path>``."""
    issue = f"{problem} - at `$.{path}`"
    return TRPCError("BAD_REQUEST", f"Invalid input: {issue}", data={"issue": issue})


def _string_problem(text: str) -> str | None:
    if "\x00" in text:
        return "Text must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Text must be valid Unicode (unpaired surrogate)"
    return None


def ensure_storable(value: Any, path: str) -> None:
    """Raise BAD_REQUEST when any string (or key) under `value` cannot be stored, or when JSON under
    it nests deeper than MAX_JSON_DEPTH. Walked without recursion, whatever the input's depth."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = _string_problem(item)
            if problem is not None:
                raise invalid(where, problem)
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                raise invalid(where, f"JSON must not nest deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                for key, child in item.items():
                    key_text = str(key)
                    problem = _string_problem(key_text)
                    if problem is not None:
                        raise invalid(where, problem)
                    stack.append((child, f"{where}.{key_text}", depth + 1))
            else:
                stack.extend((child, f"{where}[{index}]", depth + 1) for index, child in enumerate(item))


def ensure_input_storable(input: msgspec.Struct) -> None:
    """ensure_storable over every field of a decoded input, under its wire (camelCase) name."""
    for name, value in msgspec.to_builtins(input).items():
        ensure_storable(value, name)


def sent_fields(input: msgspec.Struct, *names: str) -> dict[str, Any]:
    """The named fields the caller sent, by field name; fields left out (UNSET) are not there."""
    return {name: getattr(input, name) for name in names if getattr(input, name) is not msgspec.UNSET}


def required_text(value: str, path: str) -> str:
    """The text without surrounding whitespace; BAD_REQUEST when nothing is left."""
    stripped = value.strip()
    if not stripped:
        raise invalid(path, "Expected non-blank text")
    return stripped


def optional_text(value: str | None) -> str | None:
    """Surrounding whitespace removed; blank text becomes None (nothing to store)."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def tag_form(tag: str) -> str:
    """A tag trimmed, inner whitespace collapsed and lower-cased: "Billing" and "billing " are
    one tag, so filters and AI suggestions match them. The one definition of a tag's form."""
    return " ".join(tag.split()).lower()


def distinct_tags(tags: Iterable[str]) -> list[str]:
    """Tags in their form, blanks and duplicates dropped, first occurrence's order kept: for tags
    a model suggested, where a blank one is simply left out."""
    return list(dict.fromkeys(form for form in map(tag_form, tags) if form))


def normalized_tag(tag: str, path: str) -> str:
    """A caller's tag in its form (`tag_form`); a blank one is BAD_REQUEST at `path`."""
    cleaned = tag_form(tag)
    if not cleaned:
        raise invalid(path, "Expected non-blank text")
    return cleaned


def normalized_tags(tags: list[str], path: str = "tags") -> list[str]:
    """Each tag normalized (normalized_tag), duplicates dropped, first occurrence's order kept."""
    return list(dict.fromkeys(normalized_tag(tag, f"{path}[{index}]") for index, tag in enumerate(tags)))
