"""The subset of superjson (v2, `meta.v = 1`) a tRPC server needs, in both directions.

Encoding walks an output value once: `datetime` becomes an ISO string annotated `Date`, `None`
stays `null` (JSON null is null in superjson too), special floats become strings annotated
`number`, `set`/`frozenset` become arrays annotated `set`. Structs and other msgspec-known types
are first turned into builtins by `msgspec.to_builtins`, leaving datetimes in place. A Struct
answer (most are) skips the walk: its type's plan (`app.superjson_plans`) visits only the fields
that can hold such values, with the same result.

Decoding applies `meta.values` annotations back onto the plain JSON: `Date` strings become aware
datetimes, `undefined` removes the key (so a Struct field with a default takes it), `bigint` and
special `number` strings become numbers, `set`/`map` arrays become lists/dicts of pairs.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

import msgspec

from app.superjson_plans import NoPlan, encode_planned, escape_key, iso_date, special_float

MISSING = msgspec.UNSET


class SuperjsonError(ValueError):
    pass


# ---- encode -------------------------------------------------------------------------------


def _convert(item: Any) -> Any:
    """A non-JSON object (Struct, UUID, Decimal, date, ...) as builtins, datetimes kept."""
    if isinstance(item, date) and not isinstance(item, datetime):
        return datetime(item.year, item.month, item.day, tzinfo=UTC)
    return msgspec.to_builtins(item, builtin_types=(datetime,))


_ROOT = "\0root"  # where the root's own annotation is kept: "" is the path of a member named ""


def _walk(value: Any, annotations: dict[str, list[Any]] | None) -> Any:
    """JSON-safe form of `value`. With `annotations`, superjson: special values become strings
    annotated at their path. Without, what JSON.stringify gives: Dates as ISO strings, undefined
    members left out, undefined items and non-finite numbers as null."""
    trail: list[str] = []  # keys from the root to the current node; joined only when annotating
    return walk_node(value, annotations, trail)


# Exact types that are already JSON; checked by identity first because this runs for every node
# of every answer.
_JSON_SCALARS = frozenset({str, int, bool, type(None)})


def walk_node(item: Any, annotations: dict[str, list[Any]] | None, trail: list[str]) -> Any:
    """The JSON-safe form of `item`, found at `trail` (escaped keys, joined with "." when
    annotating; app.superjson_plans walks a free-form field with its whole path as one step)."""
    kind = type(item)
    if kind in _JSON_SCALARS:
        return item
    if kind is dict:
        result_dict = {}
        for key, child in item.items():
            child_kind = type(child)
            if child_kind in _JSON_SCALARS:
                result_dict[key] = child
                continue
            if child is MISSING and annotations is None:
                continue
            trail.append(escape_key(key) if type(key) is str else str(key))
            result_dict[key] = walk_node(child, annotations, trail)
            trail.pop()
        return result_dict
    if kind is list or kind is tuple:
        result_list = []
        for index, child in enumerate(item):
            if type(child) in _JSON_SCALARS:
                result_list.append(child)
                continue
            trail.append(str(index))
            result_list.append(walk_node(child, annotations, trail))
            trail.pop()
        return result_list
    if kind is float:
        if item - item == 0.0:  # finite (inf - inf and nan - nan are nan)
            return item
        if annotations is None:
            return None
        _annotate(annotations, trail, ["number"])
        return special_float(item)
    if isinstance(item, datetime):
        if annotations is not None:
            _annotate(annotations, trail, ["Date"])
        return iso_date(item)
    if item is MISSING:
        if annotations is not None:
            _annotate(annotations, trail, ["undefined"])
        return None
    if isinstance(item, (str, int, float)):  # subclasses such as enum members: their plain value
        return walk_node(_plain_scalar(item), annotations, trail)
    return walk_node(_convert(item), annotations, trail)


def _plain_scalar(item: str | int | float) -> str | int | float:
    for plain_type in (bool, int, float, str):
        if isinstance(item, plain_type):
            return plain_type(item)
    raise TypeError(type(item))


def _annotate(annotations: dict[str, list[Any]], trail: list[str], note: list[Any]) -> None:
    annotations[".".join(trail) if trail else _ROOT] = note


def encode(value: Any) -> dict[str, Any]:
    """Return the superjson envelope `{"json": ..., "meta": ...}` for a value."""
    annotations: dict[str, list[Any]] = {}
    try:
        data = encode_planned(value, annotations)
    except NoPlan:
        return encode_by_walking(value)  # (what a plan that gave up annotated is dropped)
    return _envelope(data, annotations)


def encode_by_walking(value: Any) -> dict[str, Any]:
    """The envelope from the generic walk alone: what `encode` gives a value with no plan."""
    annotations: dict[str, list[Any]] = {}
    return _envelope(_walk(value, annotations), annotations)


def _envelope(data: Any, annotations: dict[str, list[Any]]) -> dict[str, Any]:
    envelope: dict[str, Any] = {"json": data}
    if annotations:
        root = annotations.pop(_ROOT, None)
        envelope["meta"] = {"values": root if root is not None else annotations, "v": 1}
    return envelope


def plain(value: Any) -> Any:
    """The JSON form of a value for a client without a transformer (MISSING stays MISSING at
    the root: the caller leaves `data` out, as JSON.stringify drops an undefined member)."""
    if value is MISSING:
        return value
    try:
        return encode_planned(value, None)
    except NoPlan:
        return _walk(value, None)


UNDEFINED_ENVELOPE: dict[str, Any] = {"json": None, "meta": {"values": ["undefined"], "v": 1}}


# ---- decode -------------------------------------------------------------------------------


def split_path(path: str, legacy: bool = False) -> list[str]:
    """Split a superjson path on unescaped dots (v1 escaping: `\\.` and `\\\\`)."""
    if legacy:
        return path.replace("\\.", "\0").split(".") if path else []
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(path):
        char = path[index]
        if char == "\\" and index + 1 < len(path) and path[index + 1] in ".\\":
            current.append(path[index + 1])
            index += 2
            continue
        if char == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def _parse_date(text: Any) -> datetime:
    if not isinstance(text, str):
        raise SuperjsonError("a Date annotation must annotate a string")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SuperjsonError(f"invalid Date {text!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _apply(value: Any, annotation: Any) -> Any:
    if not isinstance(annotation, list) or not annotation:
        raise SuperjsonError("malformed superjson annotation")
    kind = annotation[0]
    if kind == "Date":
        return _parse_date(value)
    if kind == "undefined":
        return MISSING
    if kind == "bigint":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SuperjsonError(f"invalid bigint {value!r}") from None
    if kind == "number":
        specials = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}
        if value in specials:
            return specials[value]
        raise SuperjsonError(f"invalid number {value!r}")
    if kind == "set":
        if not isinstance(value, list):
            raise SuperjsonError("a set annotation must annotate an array")
        return _apply_nested(value, annotation)
    if kind == "map":
        if not isinstance(value, list):
            raise SuperjsonError("a map annotation must annotate an array")
        value = _apply_nested(value, annotation)
        try:
            return {key: item for key, item in value}
        except (TypeError, ValueError):
            raise SuperjsonError("a map must be an array of [key, value] pairs") from None
    if kind in ("regexp", "Error", "URL", "symbol", "class", "custom"):
        return value  # kept as its JSON form; no procedure takes these
    raise SuperjsonError(f"unknown superjson type {kind!r}")


def _apply_nested(value: list[Any], annotation: list[Any]) -> list[Any]:
    if len(annotation) > 1 and isinstance(annotation[1], dict):
        return _apply_tree(value, annotation[1], legacy=False)
    return value


def _apply_tree(value: Any, values: dict[str, Any], legacy: bool, keep_undefined: bool = False) -> Any:
    # Longest paths first, so a container annotation (set/map) sees its children already converted.
    for path in sorted(values, key=lambda p: -len(split_path(p, legacy))):
        value = _set_at(value, split_path(path, legacy), values[path], keep_undefined)
    return value


def _set_at(root: Any, keys: list[str], annotation: Any, keep_undefined: bool) -> Any:
    if not keys:
        return _apply(root, annotation)
    parent = root
    for key in keys[:-1]:
        parent = _child(parent, key)
    last = keys[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise SuperjsonError(f"superjson path does not exist: {'.'.join(keys)}")
        converted = _apply(parent[last], annotation)
        if converted is MISSING and not keep_undefined:
            del parent[last]  # an absent member, so a Struct field takes its default
        else:
            parent[last] = converted
    elif isinstance(parent, list):
        index = _index(parent, last)
        converted = _apply(parent[index], annotation)
        parent[index] = None if converted is MISSING and not keep_undefined else converted
    else:
        raise SuperjsonError(f"superjson path does not exist: {'.'.join(keys)}")
    return root


def _index(items: list[Any], key: str) -> int:
    try:
        index = int(key)
    except ValueError:
        raise SuperjsonError(f"invalid array index {key!r}") from None
    if not 0 <= index < len(items):
        raise SuperjsonError(f"array index out of range: {index}")
    return index


def _child(parent: Any, key: str) -> Any:
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    if isinstance(parent, list):
        return parent[_index(parent, key)]
    raise SuperjsonError(f"superjson path does not exist at {key!r}")


def is_envelope(value: Any) -> bool:
    """A dict whose keys are `json` and at most `meta` besides (every superjson input is one)."""
    return (
        isinstance(value, dict)
        and "json" in value
        and (len(value) == 1 or (len(value) == 2 and "meta" in value))
    )


def decode(envelope: Any, keep_undefined: bool = False) -> Any:
    """Decode a superjson envelope to plain Python values (MISSING for a root `undefined`).

    Nested `undefined` members are dropped (and undefined array items become None) unless
    `keep_undefined`, for free-form values that must come back exactly as they were sent."""
    if not is_envelope(envelope):
        raise SuperjsonError("expected a superjson envelope {json, meta?}")
    value = envelope["json"]
    meta = envelope.get("meta")
    if meta is None:
        return value
    if not isinstance(meta, dict):
        raise SuperjsonError("superjson meta must be an object")
    values = meta.get("values")
    legacy = meta.get("v") is None
    if values is None:
        return value
    if isinstance(values, list):
        return _apply(value, values)
    if isinstance(values, dict):
        return _apply_tree(value, values, legacy, keep_undefined)
    raise SuperjsonError("superjson meta.values must be an array or an object")

