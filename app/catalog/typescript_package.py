"""The npm package `helpdesk-ai-client`: a type-only description of the server as a tRPC v11 router.

`AppRouter` is declared with @trpc/server's own public types (`TRPCBuiltRouter` and the query,
mutation and subscription procedure types), so `createTRPCClient<AppRouter>` infers every call
exactly as it would from a router written with @trpc/server, with superjson as the transformer.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from typing import Any

from app.catalog.declarations import Declaration
from app.catalog.typescript_types import (
    PLACEHOLDER,
    TIPTAP_TYPE,
    Direction,
    Renderer,
    all_optional,
    docstring_of,
    jsdoc,
    module_prefix,
    property_name,
    render_struct,
)

PACKAGE_NAME = "helpdesk-ai-client"
# The versions the repository's own type checks and interop tests run (tests/interop/package.json).
TRPC_VERSION = "11.25.2"
SUPERJSON_VERSION = "2.2.6"

PROCEDURE_TYPES = {
    "query": "TRPCQueryProcedure",
    "mutation": "TRPCMutationProcedure",
    "subscription": "TRPCSubscriptionProcedure",
}

HEADER = """\
// helpdesk-ai-client: the helpdesk-ai API as a tRPC v11 router type.
// Generated from the server's procedure registry by `make types`. Do not edit by hand.
//
//   import { createTRPCClient, httpBatchLink } from '@trpc/client';
//   import superjson from 'superjson';
//   import type { AppRouter } from 'helpdesk-ai-client';
//
//   const client = createTRPCClient<AppRouter>({
//     links: [httpBatchLink({ url: '/api/trpc', transformer: superjson })],
//   });
import type {
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  TRPCSubscriptionProcedure,
  TRPC_ERROR_CODE_KEY,
  TRPC_ERROR_CODE_NUMBER,
  inferRouterInputs,
  inferRouterOutputs,
} from '@trpc/server';
"""

TIPTAP_DECLARATIONS = f"""\
/** A mark on a TipTap text node (bold, link, ...). */
export interface TipTapMark {{
  type: string;
  attrs?: Record<string, unknown>;
  [key: string]: unknown;
}}

/**
 * A TipTap (ProseMirror) document or node, as `editor.getJSON()` gives it: the same shape as
 * TipTap's `JSONContent`. The server keeps it as sent and derives its plain text.
 */
export interface {TIPTAP_TYPE} {{
  type?: string;
  attrs?: Record<string, unknown>;
  content?: {TIPTAP_TYPE}[];
  marks?: TipTapMark[];
  text?: string;
  [key: string]: unknown;
}}
"""

ERROR_DECLARATIONS = """\
/**
 * `error.data` of a failed call. Beside tRPC's code and HTTP status, some errors carry details:
 * `issue` (what was wrong with the input, with its field path), `field`, `plan` and `feature`
 * (a plan without the feature), `limit`, `used` and `resetsAt` (the AI quota),
 * `retryAfterSeconds` (a rate limit).
 */
export interface ErrorData {
  code: TRPC_ERROR_CODE_KEY;
  httpStatus: number;
  path?: string;
  /** Only in debug mode. */
  stack?: string;
  issue?: string;
  field?: string;
  plan?: string;
  feature?: string;
  limit?: number | null;
  used?: number;
  /** ISO time. */
  resetsAt?: string;
  retryAfterSeconds?: number;
  [key: string]: unknown;
}

/** The error shape of every procedure. */
export interface ErrorShape {
  code: TRPC_ERROR_CODE_NUMBER;
  message: string;
  data: ErrorData;
}
"""


def _struct_key(cls: type, direction: str) -> str:
    return f"{cls.__module__}.{cls.__qualname__}:{direction}"


class _Structs:
    """Every Struct reached from the procedures, rendered once per direction, then named."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer
        self.bodies: dict[str, str] = {}
        self.classes: dict[str, tuple[type, Direction]] = {}

    def render_pending(self) -> None:
        while self.renderer.pending:
            cls, direction = self.renderer.pending.pop(0)
            key = _struct_key(cls, direction)
            if key not in self.bodies:
                self.classes[key] = (cls, direction)
                self.bodies[key] = render_struct(self.renderer, cls, direction)

    def _input_same_as_output(self, key: str, seen: frozenset[str] = frozenset()) -> bool:
        """An input shape equal to the output shape (nested Structs included) shares its name."""
        cls, direction = self.classes[key]
        output_key = _struct_key(cls, "output")
        if direction == "output":
            return True
        if output_key not in self.bodies or key in seen:
            return output_key in self.bodies
        normal = PLACEHOLDER.sub(lambda m: f"«{m.group(1)}»", self.bodies[key])
        if normal != PLACEHOLDER.sub(lambda m: f"«{m.group(1)}»", self.bodies[output_key]):
            return False
        nested = {f"{m.group(1)}:input" for m in PLACEHOLDER.finditer(self.bodies[key])}
        return all(self._input_same_as_output(other, seen | {key}) for other in nested if other in self.bodies)

    def names(self) -> dict[str, str]:
        """Placeholder key -> TypeScript name, for every rendered Struct."""
        emitted = [key for key in self.bodies if not (key.endswith(":input") and self._input_same_as_output(key))]
        simple_names: dict[str, set[type]] = {}
        for key in emitted:
            cls, _ = self.classes[key]
            simple_names.setdefault(cls.__name__, set()).add(cls)
        names: dict[str, str] = {}
        for key in emitted:
            cls, direction = self.classes[key]
            name = cls.__name__ if len(simple_names[cls.__name__]) == 1 else module_prefix(cls) + cls.__name__
            if direction == "input" and _struct_key(cls, "output") in self.bodies and not name.endswith("Input"):
                name += "Input"
            names[key] = name
        for key in self.bodies:
            if key not in names:
                cls, _ = self.classes[key]
                names[key] = names[_struct_key(cls, "output")]
        taken: dict[str, str] = {}
        for key in emitted:
            if names[key] in taken:
                raise ValueError(f"two Structs would both be named {names[key]}: {taken[names[key]]} and {key}")
            taken[names[key]] = key
        return names

    def declarations(self, names: dict[str, str]) -> str:
        blocks: list[tuple[str, str]] = []
        for key, body in self.bodies.items():
            cls, direction = self.classes[key]
            output_key = _struct_key(cls, "output")
            if direction == "input" and output_key in names and names[key] == names[output_key]:
                continue  # the same shape as the output: declared once
            docstring = docstring_of(cls)
            doc = jsdoc(docstring.split("\n"), "") if docstring else ""
            blocks.append((names[key], f"{doc}export interface {names[key]} {substitute(body, names)}\n"))
        return "\n".join(block for _, block in sorted(blocks))


def substitute(text: str, names: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: names[f"{m.group(1)}:{m.group(2)}"], text)


def access_text(declaration: Declaration) -> str:
    if declaration.public:
        return "public (no session or key)"
    parts = [f"role {declaration.role} or above"]
    if declaration.scope:
        parts.append(f"API-key scope {declaration.scope}")
    return ", ".join(parts)


def procedure_doc(declaration: Declaration) -> list[str]:
    lines = textwrap.wrap(" ".join(declaration.summary.split()), width=92)
    facts = [f"{declaration.kind}", access_text(declaration)]
    if declaration.feature:
        facts.append(f"plan feature {declaration.feature}" + (" (more by input)" if declaration.feature_depends_on_input else ""))
    if declaration.metered:
        facts.append("metered: one AI operation")
    lines += ["", "; ".join(facts) + ".", "", f"See docs/api.md#{anchor(declaration.path)}"]
    return lines


def anchor(path: str) -> str:
    return path.lower().replace(".", "")


def _router_tree(entries: list[tuple[Declaration, str]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for declaration, text in entries:
        *parents, leaf = declaration.path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = (declaration, text)
    return tree


def _render_tree(tree: dict[str, Any], indent: str) -> str:
    out = ""
    for key in sorted(tree):
        value = tree[key]
        if isinstance(value, dict):
            out += f"{indent}{property_name(key)}: {{\n{_render_tree(value, indent + '  ')}{indent}}};\n"
        else:
            declaration, text = value
            out += jsdoc(procedure_doc(declaration), indent) + f"{indent}{property_name(key)}: {text};\n"
    return out


@dataclass(slots=True)
class Model:
    """The TypeScript view of every procedure: input and output types, and the Structs' names."""

    renderer: Renderer
    structs: _Structs
    names: dict[str, str]
    signatures: list[tuple[Declaration, str, str]]  # declaration, input type, output type


def build_model(declarations: list[Declaration]) -> Model:
    renderer = Renderer()
    structs = _Structs(renderer)
    signatures: list[tuple[Declaration, str, str]] = []
    for declaration in declarations:
        if declaration.input_type is None:
            input_ts = "void"
        else:
            input_ts = renderer.type_of(declaration.input_type, "input")
            if all_optional(declaration.input_type):
                input_ts += " | undefined"
        signatures.append((declaration, input_ts, renderer.type_of(declaration.output_type, "output")))
    structs.render_pending()
    return Model(renderer, structs, structs.names(), signatures)


def index_d_ts(declarations: list[Declaration]) -> str:
    model = build_model(declarations)
    entries = [
        (declaration, f"{PROCEDURE_TYPES[declaration.kind]}<{{ input: {input_ts}; output: {output_ts}; meta: object }}>")
        for declaration, input_ts, output_ts in model.signatures
    ]
    router = substitute(_render_tree(_router_tree(entries), "    "), model.names)
    parts = [HEADER]
    if model.renderer.uses_tiptap:
        parts.append(TIPTAP_DECLARATIONS)
    parts.append(ERROR_DECLARATIONS)
    parts.append(model.structs.declarations(model.names))
    parts.append(
        "/** The helpdesk-ai router: pass it to `createTRPCClient<AppRouter>`. */\n"
        "export type AppRouter = TRPCBuiltRouter<\n"
        "  { ctx: object; meta: object; errorShape: ErrorShape; transformer: true },\n"
        "  {\n" + router + "  }\n>;\n"
    )
    parts.append(
        "/** Every procedure's input, as `inferRouterInputs<AppRouter>` gives it. */\n"
        "export type RouterInputs = inferRouterInputs<AppRouter>;\n\n"
        "/** Every procedure's output, as `inferRouterOutputs<AppRouter>` gives it. */\n"
        "export type RouterOutputs = inferRouterOutputs<AppRouter>;\n"
    )
    return "\n".join(parts)


def package_json(version: str) -> str:
    package = {
        "name": PACKAGE_NAME,
        "version": version,
        "description": "TypeScript types of the helpdesk-ai tRPC API, for @trpc/client v11 with superjson.",
        "type": "module",
        "types": "./index.d.ts",
        "exports": {".": {"types": "./index.d.ts"}},
        "files": ["index.d.ts", "README.md"],
        "sideEffects": False,
        "peerDependencies": {
            "@trpc/client": f"^{TRPC_VERSION}",
            "@trpc/server": f"^{TRPC_VERSION}",
            "superjson": f"^{SUPERJSON_VERSION}",
        },
        "license": "UNLICENSED",
    }
    return json.dumps(package, indent=2) + "\n"


PACKAGE_README = """\
# helpdesk-ai-client

The helpdesk-ai API as a tRPC v11 router type. Types only: it adds nothing to a bundle.
Generated from the server's procedure registry (`make types`); do not edit by hand.

```ts
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter, RouterInputs, RouterOutputs } from 'helpdesk-ai-client';

const client = createTRPCClient<AppRouter>({
  links: [httpBatchLink({ url: '/api/trpc', transformer: superjson })],
});
const page: RouterOutputs['tickets']['list'] = await client.tickets.list.query({ status: 'open' });
```

Install it next to its peers `@trpc/client`, `@trpc/server` (for the types) and `superjson`:
`npm install ./clients/typescript @trpc/client @trpc/server superjson`. The declarations import
`@trpc/server`, so it must resolve from where the package is installed. When the package is linked
from this repository instead of installed, either set `"preserveSymlinks": true` or map
`"@trpc/server"` in `compilerOptions.paths` to your own copy.

`RouterInputs['tickets']['update']` and `RouterOutputs['tickets']['get']` name a procedure's types
by its path, which never changes without the procedure changing. The named interfaces (`Ticket`,
`UpdateTicketInput`, ...) carry the server's class names; when two classes share a name, both get
their module as a prefix (`TicketsSuccess`, `AuthSuccess`), so prefer the path form in code that
should survive new procedures.

Every procedure, with who may call it, its errors and examples: `docs/api.md` in the repository.
JSON Schemas of every input and output: `GET /api/schema.json` on the server.
"""
