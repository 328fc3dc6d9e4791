"""Structs built from database rows whose columns carry the Structs' field names in snake_case.

A hand-written mapper per Struct repeats every field twice; this reads the Struct's own field list
instead, so adding a column to a Struct and its SELECT is the whole change.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import asyncpg
import msgspec

StructT = TypeVar("StructT", bound=msgspec.Struct)

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def column_of(field_name: str) -> str:
    """`createdAt` and `created_at` both read the column `created_at`."""
    return _WORD_START.sub("_", field_name).lower()


def struct_from_row(row: asyncpg.Record, kind: type[StructT], **computed: Any) -> StructT:
    """`kind` with each field read from its column, except those given in `computed`."""
    values = {
        info.name: computed[info.name] if info.name in computed else row[column_of(info.name)]
        for info in msgspec.structs.fields(kind)
    }
    return kind(**values)
