"""A minimal valid input for each procedure, for the reference's curl and @trpc/client examples.

Only required fields are filled, each with a value its type and limits accept. A test sends every
example to the real server, so an example the server would refuse fails the build.
"""

from __future__ import annotations

import enum
import json
import types
import typing
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

EXAMPLE_UUID = "3f0c6a52-8d3e-4c1b-9a57-2b6f4f1e8c10"
EXAMPLE_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=UTC)

# Example values by field name, where a name says more than its type.
BY_NAME: dict[str, Any] = {
    "email": "agent@example.com",
    "password": "correct horse battery staple",
    "currentPassword": "correct horse battery staple",
    "newPassword": "a new long passphrase",
    "subject": "Cannot sign in since this morning",
    "description": "Since today's update I get an error when I sign in.",
    "content": "Thanks, that fixed it!",
    "text": "Sorry for the delay, we fixed your account.",
    "title": "Resetting your password",
    "name": "Integration key",
    "tag": "billing",
}


def example_value(annotation: Any, name: str = "") -> Any:
    """A JSON-ready value of `annotation` (datetimes stay datetimes, for the client example)."""
    metas: list[msgspec.Meta] = []
    while typing.get_origin(annotation) is typing.Annotated:
        annotation, *metadata = typing.get_args(annotation)
        metas += [meta for meta in metadata if isinstance(meta, msgspec.Meta)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [m for m in typing.get_args(annotation) if m not in (types.NoneType, msgspec.UnsetType)]
        preferred = [m for m in members if m is str] or members
        return example_value(preferred[0], name)
    if origin is Literal:
        return typing.get_args(annotation)[0]
    if origin in (list, tuple, set, frozenset):
        minimum = max((meta.min_length or 0) for meta in metas) if metas else 0
        item = typing.get_args(annotation)[0] if typing.get_args(annotation) else str
        return [example_value(item, name) for _ in range(minimum)]
    if origin is dict:
        return {}
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return example_input(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return next(iter(annotation)).value
    if annotation is bool:
        return True
    if annotation in (int, float):
        low = next((m.ge if m.ge is not None else m.gt for m in metas if m.ge is not None or m.gt is not None), None)
        return low if low is not None else 1
    if annotation is UUID:
        return EXAMPLE_UUID
    if annotation in (datetime, date):
        return EXAMPLE_TIME
    if annotation is str:
        text = BY_NAME.get(name, "example")
        pattern = next((m.pattern for m in metas if m.pattern), None)
        if pattern is not None and "@" in pattern:
            text = BY_NAME["email"]
        elif pattern is not None:
            text = "example"
        return text
    return None


def example_input(annotation: Any) -> Any:
    """The required fields of an input Struct, filled."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if not (isinstance(annotation, type) and issubclass(annotation, msgspec.Struct)):
        return example_value(annotation)
    config = annotation.__struct_config__
    value: dict[str, Any] = {}
    if config.tag_field is not None:
        value[config.tag_field] = config.tag
    for info in msgspec.structs.fields(annotation):
        if info.required:
            value[info.encode_name] = example_value(info.type, info.encode_name)
    return value


def as_json(value: Any) -> str:
    """The value as the `json` part of a request (datetimes as ISO strings)."""
    return json.dumps(msgspec.to_builtins(value), ensure_ascii=False)


def as_typescript(value: Any) -> str:
    """The value as a TypeScript literal, a datetime as `new Date(...)`."""
    if isinstance(value, datetime):
        return f"new Date('{value.isoformat().replace('+00:00', 'Z')}')"
    if isinstance(value, dict):
        if not value:
            return "{}"
        parts = [f"{_ts_key(key)}: {as_typescript(item)}" for key, item in value.items()]
        return "{ " + ", ".join(parts) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(as_typescript(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False).replace("'", "\\'").replace('"', "'")


def _ts_key(key: str) -> str:
    return key if key.isidentifier() else json.dumps(key)
