"""Encoding plans: superjson for a Struct answer without visiting every value.

The generic encoder (`app.superjson`) walks every node of an answer to find the few values
superjson must annotate. For a Struct the declared field types already say where those can be,
so a plan, built once per Struct type from msgspec's type information, lets msgspec turn the
whole value into builtins in C and then visits only those places:

- a `datetime` becomes JavaScript's ISO string, annotated `Date`;
- a `float` that is NaN or infinite becomes its name, annotated `number` (null in plain JSON);
- lists, dicts, Optional fields and nested Structs are followed only when they can hold one of
  the above.

A field whose values the types cannot describe exactly (Any, unions of several kinds, ...) is
walked where it stands. A type msgspec cannot describe and an array-like or recursive Struct get
no plan; a value found where a plan looks that does not match the declared type (a string in a
Date field, a subclass with more fields in a Struct field) makes the whole answer go through the
generic walk. So an answer is the same whichever way it was encoded
(tests/test_superjson_plans.py compares the two). Fields that need no fix are not looked at:
an output Struct is expected to hold what its fields declare (an `int` field holding a Date
would go out as msgspec writes it, without the annotation).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec import inspect

Annotations = dict[str, list[Any]] | None  # None: plain JSON, nothing annotated
# A fix takes the builtins form of a value and its superjson path; it returns the value to send.
# Where a plan has a `Fix | None`, None means the value needs nothing done to it.
Fix = Callable[[Any, Annotations, str], Any]

_encode_json = msgspec.json.Encoder().encode


def escape_key(key: str) -> str:
    """A member name as one step of a superjson path (v2 escaping of `.` and `\\`)."""
    if "." not in key and "\\" not in key:
        return key
    return key.replace("\\", "\\\\").replace(".", "\\.")


def iso_date(value: datetime) -> str:
    """JavaScript's Date.toISOString(): UTC, milliseconds, "Z".

    msgspec writes a UTC datetime as RFC 3339 in C (`"YYYY-MM-DDTHH:MM:SS[.ffffff]Z"`, the
    fraction only when there is one), three times faster than isoformat(); the microseconds are
    cut to milliseconds, as JavaScript's Date holds them.
    """
    if value.tzinfo is not UTC:  # (what asyncpg and datetime.now(UTC) give: nothing to convert)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        elif value.utcoffset():
            value = value.astimezone(UTC)
    text = _encode_json(value)
    if len(text) == 22:  # no fraction: a whole second
        return text[1:20].decode() + ".000Z"
    return text[1:24].decode() + "Z"


def special_float(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


class NoPlan(Exception):
    """The value cannot be encoded by its type's plan: use the generic walk."""


def encode_planned(value: Any, annotations: Annotations) -> Any:
    """The JSON-safe form of a Struct (or a list of one Struct type), annotated like the generic
    walk would; raises NoPlan when the value has no plan."""
    kind = type(value)
    if kind is list and value:
        kind = type(value[0])
        plan = _plan_of(kind)
        for item in value:
            if type(item) is not kind:
                raise NoPlan
        builtins = msgspec.to_builtins(value, builtin_types=(datetime,))
        if plan is None:
            return builtins
        for index, item in enumerate(builtins):
            builtins[index] = plan(item, annotations, str(index))
        return builtins
    plan = _plan_of(kind)
    builtins = msgspec.to_builtins(value, builtin_types=(datetime,))
    return builtins if plan is None else plan(builtins, annotations, "")


# ---- building plans ----------------------------------------------------------------------------

_PLANS: dict[type, Fix | None] = {}
_UNPLANNABLE: set[type] = set()
# Types that msgspec.to_builtins already turns into exactly what the generic walk sends.
_PLAIN_TYPES = (
    inspect.StrType,
    inspect.IntType,
    inspect.BoolType,
    inspect.NoneType,
    inspect.LiteralType,
    inspect.UUIDType,
    inspect.EnumType,
    inspect.DecimalType,
    inspect.TimeType,
    inspect.TimeDeltaType,
    inspect.BytesType,
    inspect.ByteArrayType,
)


def _plan_of(kind: type) -> Fix | None:
    if kind in _PLANS:
        return _PLANS[kind]
    if kind in _UNPLANNABLE or not issubclass(kind, msgspec.Struct):
        raise NoPlan
    try:
        info = inspect.type_info(kind)
    except Exception:  # a type msgspec cannot describe (a union of untagged Structs, a name it cannot resolve)
        _UNPLANNABLE.add(kind)
        raise NoPlan from None
    try:
        plan = _compile(info, set())
    except NoPlan:
        _UNPLANNABLE.add(kind)
        raise
    _PLANS[kind] = plan
    return plan


def _compile(info: inspect.Type, building: set[type]) -> Fix | None:
    if isinstance(info, inspect.Metadata):
        return _compile(info.type, building)
    if isinstance(info, _PLAIN_TYPES):
        return None
    if isinstance(info, inspect.DateTimeType):
        return _fix_date
    if isinstance(info, inspect.DateType):
        return _fix_calendar_date
    if isinstance(info, inspect.FloatType):
        return _fix_float
    if isinstance(info, inspect.StructType):
        return _compile_struct(info, building)
    # to_builtins has turned sets into lists, in the order the walk would see them
    if isinstance(info, (inspect.ListType, inspect.VarTupleType, inspect.SetType, inspect.FrozenSetType)):
        item = _compile(info.item_type, building)
        return None if item is None else _members_fix(item, list)
    if isinstance(info, inspect.DictType):
        item = _compile(info.value_type, building)
        return None if item is None else _members_fix(item, dict)
    if isinstance(info, inspect.UnionType):
        members = [member for member in info.types if not isinstance(member, inspect.NoneType)]
        fixes = [_compile(member, building) for member in members]
        if all(fix is None for fix in fixes):
            return None
        if len(members) == 1 and fixes[0] is not None:
            return _optional_fix(fixes[0])
    # Any, tuples of fixed length, unions of several kinds, custom types: only the walk knows
    # what such a value holds, so it walks that part (the rest of the Struct keeps its plan).
    return _walk_fix()


def _compile_struct(info: inspect.StructType, building: set[type]) -> Fix | None:
    if info.array_like or info.cls in building:  # a list on the wire, or a recursive type
        raise NoPlan
    building = building | {info.cls}
    steps = [
        (field.encode_name, escape_key(field.encode_name), fix)
        for field in info.fields
        if (fix := _compile(field.type, building)) is not None
    ]
    if info.cls.__subclasses__():
        # A field of this type may hold a subclass with fields of its own, which this plan does
        # not know: such a value is left to the walk.
        known = {field.encode_name for field in info.fields}
        if info.tag_field is not None:
            known.add(info.tag_field)
        return _struct_fix(steps, frozenset(known))
    return None if not steps else _struct_fix(steps, None)


# ---- fixes ---------------------------------------------------------------------------------------


def _path(prefix: str, step: str) -> str:
    return f"{prefix}.{step}" if prefix else step


def _fix_date(value: Any, annotations: Annotations, path: str) -> str:
    if type(value) is not datetime:
        raise NoPlan
    if annotations is not None:
        annotations[path] = ["Date"]
    return iso_date(value)


def _fix_float(value: Any, annotations: Annotations, path: str) -> Any:
    if type(value) is float and value - value != 0.0:  # NaN or infinite (finite: x - x is 0)
        if annotations is None:
            return None
        annotations[path] = ["number"]
        return special_float(value)
    return value


def _fix_calendar_date(value: Any, annotations: Annotations, path: str) -> Any:
    # to_builtins has written a date as "YYYY-MM-DD"; a datetime in a date field stayed one
    if type(value) is not str:
        raise NoPlan
    return value


def _struct_fix(steps: list[tuple[str, str, Fix]], known: frozenset[str] | None) -> Fix:
    def fix_struct(value: Any, annotations: Annotations, path: str) -> Any:
        if type(value) is not dict or (known is not None and not value.keys() <= known):
            raise NoPlan
        for name, step, fix in steps:
            if name in value:  # an UNSET field is left out
                value[name] = fix(value[name], annotations, _path(path, step))
        return value

    return fix_struct


def _members_fix(item_fix: Fix, container: type[Any]) -> Fix:
    """A fix for each item of a list (paths by index) or each value of a dict (by escaped key)."""

    def fix_members(value: Any, annotations: Annotations, path: str) -> Any:
        if type(value) is not container:
            raise NoPlan
        for key, item in value.items() if container is dict else enumerate(value):
            step = escape_key(key) if type(key) is str else str(key)
            value[key] = item_fix(item, annotations, _path(path, step))
        return value

    return fix_members


def _walk_fix() -> Fix:
    # Imported here: app.superjson uses this module, and plans are built on first use, once
    # both are loaded.
    from app.superjson import walk_node

    def fix_by_walking(value: Any, annotations: Annotations, path: str) -> Any:
        return walk_node(value, annotations, [path])  # the walk joins its trail with "."

    return fix_by_walking


def _optional_fix(fix: Fix) -> Fix:
    def fix_optional(value: Any, annotations: Annotations, path: str) -> Any:
        return None if value is None else fix(value, annotations, path)

    return fix_optional
