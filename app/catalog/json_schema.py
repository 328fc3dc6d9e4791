"""The machine-readable description served at `GET /api/schema.json`.

Every procedure with its kind, who may call it, its errors, and JSON Schemas (draft 2020-12, as
msgspec generates them) of its input and output, all sharing one `components.schemas` table. The
schemas describe the `json` part of the wire format; with the superjson transformer a `date-time`
string travels as a Date.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import msgspec

from app.catalog.declarations import Declaration
from app.catalog.typescript_types import all_optional

REF_TEMPLATE = "#/components/schemas/{name}"


def _schema_type(annotation: Any) -> Any:
    """The type as msgspec's schema generator takes it (an async iterator yields its item type)."""
    origin = getattr(annotation, "__origin__", None)
    if origin is not None and getattr(origin, "__module__", "") == "collections.abc":
        if origin.__name__ in ("AsyncIterator", "AsyncIterable", "AsyncGenerator"):
            return annotation.__args__[0]
    return annotation


def _describable(annotation: Any) -> bool:
    try:
        msgspec.json.schema_components([annotation])
    except TypeError:
        return False
    return True


def _merge(components: dict[str, Any], found: dict[str, Any]) -> None:
    for name, schema in found.items():
        if components.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are both named {name}")


def _schemas_of(types: list[Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    """JSON Schemas of `types`, their named parts added to `components`.

    msgspec generates schemas only for types it could decode, and it cannot decode a union of
    untagged Structs (which an output may still hold, like ai.run's `result`). Such a type is
    described piece by piece: each Struct from its fields, a union as `anyOf` of its members.
    The others are generated in one call, so that msgspec tells same-named Structs apart.
    """
    describable = [annotation for annotation in types if _describable(annotation)]
    schemas, found = msgspec.json.schema_components(describable, ref_template=REF_TEMPLATE)
    _merge(components, found)
    by_type = iter(schemas)
    return [
        next(by_type) if any(annotation is other for other in describable) else _piecewise_schema(annotation, components)
        for annotation in types
    ]


def _piecewise_schema(annotation: Any, components: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _piecewise_schema(typing.get_args(annotation)[0], components)
    if origin in (typing.Union, types.UnionType):
        members = [member for member in typing.get_args(annotation) if member is not msgspec.UnsetType]
        return {"anyOf": [schema for member in members for schema in _schemas_of([member], components)]}
    if origin in (list, tuple, set, frozenset):
        return {"type": "array", "items": _schemas_of([typing.get_args(annotation)[0]], components)[0]}
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        properties: dict[str, Any] = {}
        required: list[str] = []
        for info in msgspec.structs.fields(annotation):
            properties[info.encode_name] = _schemas_of([info.type], components)[0]
            if info.required:
                required.append(info.encode_name)
        schema: dict[str, Any] = {"title": annotation.__name__, "type": "object", "properties": properties}
        if required:
            schema["required"] = required
        _merge(components, {annotation.__name__: schema})
        return {"$ref": REF_TEMPLATE.format(name=annotation.__name__)}
    raise TypeError(f"no JSON Schema for {annotation!r}")


def schema_document(declarations: list[Declaration], version: str) -> dict[str, Any]:
    wanted: list[Any] = []
    for declaration in declarations:
        if declaration.input_type is not None:
            wanted.append(declaration.input_type)
        wanted.append(_schema_type(declaration.output_type))
    components: dict[str, Any] = {}
    schemas = _schemas_of(wanted, components)
    position = iter(schemas)
    procedures: list[dict[str, Any]] = []
    for declaration in declarations:
        input_schema = next(position) if declaration.input_type is not None else None
        output_schema = next(position)
        procedures.append(
            {
                "path": declaration.path,
                "kind": declaration.kind,
                "summary": declaration.summary,
                "url": f"/api/trpc/{declaration.path}",
                "method": "GET" if declaration.kind == "query" else ("POST" if declaration.kind == "mutation" else "GET (SSE)"),
                "access": {
                    "public": declaration.public,
                    "role": None if declaration.public else declaration.role,
                    "apiKeyScope": declaration.scope,
                },
                "planFeature": declaration.feature,
                "planFeatureDependsOnInput": declaration.feature_depends_on_input,
                "metered": declaration.metered,
                "rateLimited": declaration.rate_limited,
                "input": input_schema,
                "inputOptional": declaration.input_type is None or all_optional(declaration.input_type),
                "output": output_schema,
                "outputIsStream": declaration.kind == "subscription",
                "errors": [
                    {"code": error.code, "httpStatus": error.http_status, "when": error.when}
                    for error in declaration.errors
                ],
            }
        )
    return {
        "name": "helpdesk-ai",
        "version": version,
        "protocol": "tRPC v11 over HTTP (batching, superjson transformer optional)",
        "endpoint": "/api/trpc",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "procedures": procedures,
        "components": {"schemas": components},
    }


def schema_json(declarations: list[Declaration], version: str) -> bytes:
    """The document as JSON, keys in a stable order."""
    return msgspec.json.format(msgspec.json.encode(schema_document(declarations, version), order="sorted"), indent=2)
