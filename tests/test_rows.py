"""app.rows.struct_from_row: a Struct's fields read from snake_case columns."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from app.rows import struct_from_row


class Person(msgspec.Struct, frozen=True):
    id: int
    displayName: str
    createdAt: datetime


class Badge(msgspec.Struct, frozen=True):
    id: int
    label: str


def test_fields_come_from_their_snake_case_columns_and_computed_values_win():
    at = datetime(2026, 1, 2, tzinfo=UTC)
    row = {"id": 7, "display_name": "Ada", "created_at": at, "label": "gold"}
    assert struct_from_row(row, Person) == Person(id=7, displayName="Ada", createdAt=at)
    assert struct_from_row(row, Person, displayName="Grace") == Person(id=7, displayName="Grace", createdAt=at)
    # Each type reads its own fields (the field list is remembered per type).
    assert struct_from_row(row, Badge) == Badge(id=7, label="gold")
    assert struct_from_row(row, Person).displayName == "Ada"


class Note(msgspec.Struct, frozen=True, rename="camel"):
    note_id: int
    body_text: str = msgspec.field(name="text")


class PinnedNote(Note, frozen=True, rename="camel"):
    pinned_at: datetime | None = None


def test_columns_follow_attribute_names_whatever_the_wire_names():
    # Renamed Structs (camelCase or an explicit name on the wire) still read snake_case columns
    # named after their attributes; a subclass reads its own fields and its parent's.
    row = {"note_id": 1, "body_text": "hello", "pinned_at": None, "text": "the wire name, not a column"}
    assert struct_from_row(row, Note) == Note(note_id=1, body_text="hello")
    assert struct_from_row(row, PinnedNote) == PinnedNote(note_id=1, body_text="hello", pinned_at=None)
