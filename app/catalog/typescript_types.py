"""msgspec types as TypeScript types, exactly as the server reads inputs and writes outputs.

The two directions differ. An input field with a default may be left out (`name?:`); a field whose
type admits None takes `null`. An output field is always present (no Struct here sets
`omit_defaults`), except a field defaulting to `msgspec.UNSET`, which is left out while unset.
Dates travel through superjson, so `datetime` and `date` are `Date` both ways; a UUID is a string.

Constraints from `msgspec.Meta` (lengths, ranges, patterns) and descriptions become JSDoc on the
field, as do the Struct's docstring and the comments written beside a field in its class.
"""

from __future__ import annotations

import ast
import enum
import inspect
import io
import re
import tokenize
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal
from uuid import UUID

import msgspec

Direction = Literal["input", "output"]

# A TipTap (ProseMirror) document or plain text: any union holding both `str` and `dict[str, Any]`.
TIPTAP_TYPE = "TipTapDocument"
# A field may choose its TypeScript type itself: Annotated[Any, msgspec.Meta(extra={"typescript": ...})].
TYPESCRIPT_EXTRA = "typescript"


class UnsupportedType(TypeError):
    """A type the generator cannot describe exactly: failing beats emitting a wrong type."""


@dataclass(slots=True)
class Notes:
    """What a field's type says beyond its TypeScript type, for its JSDoc."""

    descriptions: list[str] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)

    def add_meta(self, meta: msgspec.Meta, annotated: Any = str, *, union_member: bool = False) -> None:
        if meta.description:
            self.descriptions.append(meta.description)
            if union_member:
                return  # a member's own description says what its limits are about; a bare one would not
        self.constraints.extend(constraint_texts(meta, length_unit(annotated)))


def length_unit(annotated: Any) -> str:
    """What a length constraint counts on this type."""
    origin = typing.get_origin(annotated) or annotated
    if origin in (dict, typing.Mapping):
        return "entries"
    if origin in (list, tuple, set, frozenset):
        return "items"
    if origin in (bytes, bytearray):
        return "bytes"
    return "characters"


def constraint_texts(meta: msgspec.Meta, unit: str = "characters") -> list[str]:
    texts: list[str] = []
    low = meta.ge if meta.ge is not None else meta.gt
    high = meta.le if meta.le is not None else meta.lt
    if low is not None or high is not None:
        left = "" if low is None else f"{low} {'≤' if meta.ge is not None else '<'} "
        right = "" if high is None else f" {'≤' if meta.le is not None else '<'} {high}"
        texts.append(f"{left}value{right}")
    if meta.multiple_of is not None:
        texts.append(f"a multiple of {meta.multiple_of}")
    if meta.min_length is not None or meta.max_length is not None:
        if meta.min_length is not None and meta.max_length is not None:
            texts.append(f"{meta.min_length} to {meta.max_length} {unit}")
        elif meta.min_length is not None:
            texts.append(f"at least {meta.min_length} {unit}")
        else:
            texts.append(f"at most {meta.max_length} {unit}")
    if meta.pattern is not None:
        texts.append(f"matches /{meta.pattern}/")
    return texts


def is_struct(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, msgspec.Struct)


def struct_fields(cls: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    return msgspec.structs.fields(cls)


def json_literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise UnsupportedType(f"literal {value!r}")


def _is_tiptap_pair(members: list[Any]) -> bool:
    return str in members and any(
        typing.get_origin(member) is dict and typing.get_args(member) == (str, Any) for member in members
    )


def _flatten_union(annotation: Any, notes: Notes | None) -> list[Any]:
    """A union's members, with nested Annotated unions opened (their Meta noted)."""
    members: list[Any] = []
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is typing.Annotated:
            inner, *metadata = typing.get_args(member)
            for meta in metadata:
                if isinstance(meta, msgspec.Meta) and notes is not None:
                    notes.add_meta(meta, inner, union_member=True)
            if typing.get_origin(inner) in (typing.Union, types.UnionType):
                members.extend(_flatten_union(inner, notes))
            else:
                members.append(inner)  # its Meta is noted above, once
            continue
        if typing.get_origin(member) in (typing.Union, types.UnionType):
            members.extend(_flatten_union(member, notes))
        else:
            members.append(member)
    return members


def placeholder(cls: type, direction: Direction) -> str:
    """Where a Struct's name goes, until every Struct is rendered and names can be chosen."""
    return f"«{cls.__module__}.{cls.__qualname__}:{direction}»"


PLACEHOLDER = re.compile(r"«([^»:]+):(input|output)»")


def module_prefix(cls: type) -> str:
    last = cls.__module__.rsplit(".", 1)[-1]
    return "".join(part[:1].upper() + part[1:] for part in last.split("_"))


class Renderer:
    """Renders annotations to TypeScript, collecting the Structs that need a declaration."""

    def __init__(self) -> None:
        self.pending: list[tuple[type, Direction]] = []
        self.uses_tiptap = False

    def type_of(self, annotation: Any, direction: Direction, notes: Notes | None = None) -> str:
        return " | ".join(self._members(annotation, direction, notes))

    def _members(self, annotation: Any, direction: Direction, notes: Notes | None) -> list[str]:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            inner, *metadata = typing.get_args(annotation)
            for meta in metadata:
                if isinstance(meta, msgspec.Meta):
                    if notes is not None:
                        notes.add_meta(meta, inner)
                    if meta.extra and TYPESCRIPT_EXTRA in meta.extra:
                        return [meta.extra[TYPESCRIPT_EXTRA]]
            return self._members(inner, direction, notes)
        if origin in (typing.Union, types.UnionType):
            members = [m for m in _flatten_union(annotation, notes) if m is not msgspec.UnsetType]
            rendered: list[str] = []
            if _is_tiptap_pair(members):
                self.uses_tiptap = True
                members = [m for m in members if m is not str and typing.get_origin(m) is not dict]
                rendered += ["string", TIPTAP_TYPE]
            for member in members:
                for text in self._members(member, direction, notes):
                    if text not in rendered:
                        rendered.append(text)
            # null last, as people write it
            return [t for t in rendered if t != "null"] + (["null"] if "null" in rendered else [])
        if origin is Literal:
            return [json_literal(value) for value in typing.get_args(annotation)]
        if origin in (list, tuple, set, frozenset, typing.Sequence, typing.MutableSequence):
            args = typing.get_args(annotation)
            if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
                return ["[" + ", ".join(self.type_of(arg, direction) for arg in args) + "]"]
            item_notes = Notes()
            item = self.type_of(args[0], direction, item_notes) if args else "unknown"
            if notes is not None and item_notes.constraints:
                notes.constraints.append("each " + ", ".join(dict.fromkeys(item_notes.constraints)))
            return [f"Array<{item}>" if " " in item else f"{item}[]"]
        if origin in (dict, typing.Mapping, typing.MutableMapping):
            args = typing.get_args(annotation)
            value = self.type_of(args[1], direction) if args else "unknown"
            return [f"Record<string, {value}>"]
        if origin is not None and origin.__module__ == "collections.abc" and origin.__name__ in (
            "AsyncIterator",
            "AsyncIterable",
            "AsyncGenerator",
        ):
            item = self.type_of(typing.get_args(annotation)[0], direction)
            return [f"AsyncIterable<{item}, void, any>"]
        if annotation is UUID and notes is not None:
            notes.constraints.append("a UUID")
        return [self._leaf(annotation, direction)]

    def _leaf(self, annotation: Any, direction: Direction) -> str:
        if annotation is None or annotation is types.NoneType:
            return "null"
        if annotation is Any or annotation is object:
            return "unknown"
        if is_struct(annotation):
            self.pending.append((annotation, direction))
            return placeholder(annotation, direction)
        if isinstance(annotation, type):
            if issubclass(annotation, enum.Enum):
                return " | ".join(json_literal(member.value) for member in annotation)
            if issubclass(annotation, bool):
                return "boolean"
            if issubclass(annotation, (int, float)):
                return "number"
            if issubclass(annotation, (str, UUID)):
                return "string"
            if issubclass(annotation, (datetime, date)):
                return "Date"
            if issubclass(annotation, (bytes, bytearray, time, timedelta, Decimal)):
                return "string"
        if getattr(annotation, "__supertype__", None) is not None:  # typing.NewType
            return self._leaf(annotation.__supertype__, direction)
        alias_type = getattr(typing, "TypeAliasType", None)  # Python 3.12's `type X = ...`
        if alias_type is not None and isinstance(annotation, alias_type):
            return self.type_of(annotation.__value__, direction)
        raise UnsupportedType(f"cannot describe {annotation!r} in TypeScript")


def field_comments(cls: type) -> dict[str, str]:
    """Comments written beside (or just above) each field in the class body, by attribute name."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):
        return {}
    source = inspect.cleandoc("\n" + source) if source.startswith((" ", "\t")) else source
    comments: dict[int, str] = {}  # line -> comment written after code on that line
    own_line: dict[int, str] = {}  # line -> comment alone on its line
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                text = token.string.lstrip("#").strip()
                (own_line if token.line.strip().startswith("#") else comments)[token.start[0]] = text
        tree = ast.parse(source)
    except (SyntaxError, tokenize.TokenError):
        return {}
    found: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for statement in body:
        if not isinstance(statement, ast.AnnAssign) or not isinstance(statement.target, ast.Name):
            continue
        lines = [comments[statement.end_lineno]] if statement.end_lineno in comments else []
        if not lines:
            above = statement.lineno - 1
            while above in own_line:
                lines.insert(0, own_line[above])
                above -= 1
        if lines:
            # Written for Python readers; a TypeScript reader sees `null` where Python has None.
            found[statement.target.id] = re.sub(r"\bNone\b", "null", " ".join(lines))
    return found


def docstring_of(cls: type) -> str:
    doc = cls.__doc__
    if not doc or doc == msgspec.Struct.__doc__ or any(doc is base.__doc__ for base in cls.__mro__[1:]):
        return ""
    return inspect.cleandoc(doc)


def jsdoc(lines: list[str], indent: str) -> str:
    text = "\n".join(lines).replace("*/", "*\\/").strip()
    if not text:
        return ""
    parts = text.split("\n")
    if len(parts) == 1:
        return f"{indent}/** {parts[0]} */\n"
    return f"{indent}/**\n" + "".join(f"{indent} * {part}".rstrip() + "\n" for part in parts) + f"{indent} */\n"


def default_text(value: Any) -> str | None:
    if value is msgspec.NODEFAULT or value is msgspec.UNSET:
        return None
    try:
        return msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        return None


_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def property_name(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json_literal(name)


@dataclass(frozen=True, slots=True)
class FieldView:
    """One field of a Struct in one direction, as both the .d.ts and the reference show it."""

    name: str  # as on the wire
    ts_type: str  # may hold Struct placeholders
    optional: bool
    doc: tuple[str, ...]  # comments and descriptions
    details: tuple[str, ...]  # limits, default, absence


def struct_view(renderer: Renderer, cls: type[msgspec.Struct], direction: Direction) -> list[FieldView]:
    config = cls.__struct_config__
    if config.array_like:
        raise UnsupportedType(f"{cls.__name__} is array_like")
    comments = field_comments(cls)
    views: list[FieldView] = []
    if config.tag_field is not None:
        views.append(FieldView(config.tag_field, json_literal(config.tag), False, ("Which shape this is.",), ()))
    for info in struct_fields(cls):
        notes = Notes()
        ts_type = renderer.type_of(info.type, direction, notes)
        admits_unset = _admits_unset(info.type)
        if direction == "input":
            optional = not info.required
        else:
            optional = admits_unset or (config.omit_defaults and not info.required)
        doc = ([comments[info.name]] if info.name in comments else []) + notes.descriptions
        details = list(dict.fromkeys(notes.constraints))
        if direction == "input" and not info.required:
            if info.default_factory is not msgspec.NODEFAULT:
                default = default_text(info.default_factory())
            else:
                default = default_text(info.default)
            if default is not None and default != "null":
                details.append(f"default {default}")
        if direction == "output" and admits_unset:
            details.append("absent when not set")
        views.append(FieldView(info.encode_name, ts_type, optional, tuple(doc), tuple(details)))
    return views


def render_struct(renderer: Renderer, cls: type[msgspec.Struct], direction: Direction) -> str:
    """The body `{ ... }` of a Struct's interface in one direction."""
    lines = ["{"]
    for view in struct_view(renderer, cls, direction):
        doc = list(view.doc) + (["(" + "; ".join(view.details) + ")"] if view.details else [])
        if doc:
            lines.append(jsdoc(doc, "  ").rstrip("\n"))
        ts_type = view.ts_type
        if view.optional and direction == "input":
            # superjson drops an undefined member, so the server sees it absent: also right under
            # `exactOptionalPropertyTypes`.
            ts_type += " | undefined"
        lines.append(f"  {property_name(view.name)}{'?' if view.optional else ''}: {ts_type};")
    lines.append("}")
    return "\n".join(lines)


def _admits_unset(annotation: Any) -> bool:
    if annotation is msgspec.UnsetType:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _admits_unset(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_admits_unset(member) for member in typing.get_args(annotation))
    return False


def all_optional(annotation: Any) -> bool:
    """True when an input of this type may be left out altogether (the server reads {})."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return is_struct(annotation) and all(not info.required for info in struct_fields(annotation))
