"""Structs built from database rows whose columns carry the Structs' field names in snake_case.

A hand-written mapper per Struct repeats every field twice; this reads the Struct's own field list
instead, so adding a column to a Struct and its SELECT is the whole change.
"""

from __future__ import annotations

import functools
import re
from typing import Any, TypeVar

import asyncpg
import msgspec

StructT = TypeVar("StructT", bound=msgspec.Struct)

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def column_of(field_name: str) -> str:
    """`createdAt` and `created_at` both read the column `created_at`."""
    return _WORD_START.sub("_", field_name).lower()


@functools.cache
def _fields_and_columns(kind: type[msgspec.Struct]) -> tuple[tuple[str, str], ...]:
    # Once per Struct type: msgspec.structs.fields() resolves the type annotations on every call
    # (about 100 µs for a seven-field Struct), and this runs for every row of every list.
    return tuple((name, column_of(name)) for name in kind.__struct_fields__)


def struct_from_row(row: asyncpg.Record, kind: type[StructT], **computed: Any) -> StructT:
    """`kind` with each field read from its column, except those given in `computed`."""
    values = {name: computed[name] if name in computed else row[column] for name, column in _fields_and_columns(kind)}
    return kind(**values)
