"""`docs/api.md`: the API reference, one section per procedure, written from the registry.

Each section says what the procedure does, its kind, who may call it, its plan feature and
metering, its input and output (fields, limits, defaults), the errors it can answer, and one curl
and one @trpc/client example. The types' sections follow, in the TypeScript package's names.
"""

from __future__ import annotations

from app.catalog.declarations import Declaration
from app.catalog.examples import as_json, as_typescript, example_input
from app.catalog.summaries import EXAMPLE_INPUTS
from app.catalog.typescript_package import PACKAGE_NAME, Model, anchor, build_model
from app.catalog.typescript_types import PLACEHOLDER, TIPTAP_TYPE, docstring_of, struct_view

BASE_URL = "http://127.0.0.1:8000"
FEATURES = {
    "basic": "basic AI features (pro and business plans)",
    "full": "full AI assist (business plan)",
}

INTRODUCTION = f"""\
# helpdesk-ai API reference

Generated from the server's procedure registry by `make docs`; do not edit by hand (`make test`
fails when this file is stale).

The API is one tRPC v11 endpoint, `/api/trpc/<procedure>`. A query is a `GET` with the input in
`?input=<url-encoded JSON>`; a mutation is a `POST` with the input as the JSON body; a subscription
is a `GET` answered with server-sent events. Inputs and outputs are wrapped as
`{{"json": ..., "meta": ...}}` by the superjson transformer, which keeps Dates as Dates; a client
without a transformer may send the plain JSON input instead. Batching (`?batch=1`,
comma-separated paths) works for every query and mutation. Answers are
`{{"result": {{"data": {{"json": <output>}}}}}}`, errors `{{"error": {{"json": {{"message", "code",
"data": {{"code", "httpStatus", "path", ...}}}}}}}}`.

- TypeScript: the package `{PACKAGE_NAME}` in `clients/typescript/` exports `AppRouter`,
  `RouterInputs` and `RouterOutputs` for `@trpc/client` v11, and every type named below.
- Other languages: `GET /api/schema.json` answers every procedure with JSON Schemas of its input
  and output, its access rules and its errors.

## Calling

- **Browser session**: `auth.login` sets an HttpOnly session cookie; later calls send it. A
  mutation with a session cookie must come from this site (`Origin`), or it is refused as
  cross-site (FORBIDDEN).
- **API key**: `Authorization: Bearer <key>`, created by an admin with `apiKeys.create`. A key
  carries scopes (`ticket:read`, `ticket:write`, `ai:run`, `admin`); a key with `admin` has every
  scope. A procedure's scope is listed below as "API-key scope".
- **Roles**: `viewer` reads, `agent` also writes tickets and runs AI, `admin` also manages members,
  keys and settings. Every row belongs to one organization; another organization's id answers
  NOT_FOUND exactly like an id that does not exist.
- **Plans**: AI procedures need a plan feature: `basic` (pro and business) or `full` (business).
  A metered procedure counts one AI operation against the period's quota (pro: 500) and the
  per-user request rate; an operation that fails inside the AI layer is not charged.

Every procedure can also answer PARSE_ERROR (400, input not JSON), METHOD_NOT_SUPPORTED (405,
a query sent as POST or a mutation as GET), PAYLOAD_TOO_LARGE (413, body or batch over the
limit) and INTERNAL_SERVER_ERROR (500); these are not repeated below.

The TipTap type `{TIPTAP_TYPE}` is TipTap's `JSONContent` (what `editor.getJSON()` returns): the
server keeps the document as sent and derives its plain text.
"""


def _code(text: str) -> str:
    """Inline code that survives a markdown table (pipes escaped)."""
    return "`" + text.replace("|", "\\|") + "`"


def _link_types(ts_type: str, names: dict[str, str]) -> str:
    """A TypeScript type (with Struct placeholders) as markdown: code, each Struct linked to its section."""
    parts: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(ts_type):
        literal = ts_type[position : match.start()].strip()
        if literal:
            parts.append(_code(literal))
        name = names[f"{match.group(1)}:{match.group(2)}"]
        parts.append(f"[{name}](#type-{name.lower()})")
        position = match.end()
    if ts_type[position:].strip():
        parts.append(_code(ts_type[position:].strip()))
    return " ".join(parts)


def _who(declaration: Declaration) -> str:
    if declaration.public:
        return "anyone (public: no session or key needed)"
    text = f"members with role `{declaration.role}` or above"
    if declaration.scope:
        text += f"; API keys with scope `{declaration.scope}`"
    else:
        text += "; any API key of the organization"
    return text


def _feature(declaration: Declaration) -> str:
    if declaration.feature is None:
        return "none"
    text = FEATURES.get(declaration.feature, declaration.feature)
    if declaration.feature_depends_on_input:
        text += "; some inputs need more (see the summary)"
    return text


def _metered(declaration: Declaration) -> str:
    if declaration.metered:
        return "yes: one AI operation against the period's quota, and the per-user AI request rate"
    if declaration.rate_limited:
        return "no quota; counts against the per-user AI request rate"
    return "no"


def reference_example(declaration: Declaration) -> object:
    """The input the reference's examples send (None: the procedure takes none)."""
    if declaration.path in EXAMPLE_INPUTS:
        return EXAMPLE_INPUTS[declaration.path]
    return example_input(declaration.input_type) if declaration.input_type is not None else None


def _curl(declaration: Declaration, value: object) -> str:
    url = f"{BASE_URL}/api/trpc/{declaration.path}"
    auth = [] if declaration.public else ['-H "Authorization: Bearer $HELPDESK_API_KEY"']
    if declaration.kind == "mutation":
        body = as_json({"json": value}) if value is not None else "{}"
        lines = [f"curl -X POST '{url}'", *auth, "-H 'Content-Type: application/json'", f"-d '{body}'"]
    else:
        lines = [f"curl -G{'N' if declaration.kind == 'subscription' else ''} '{url}'", *auth]
        if value is not None:
            lines.append(f"--data-urlencode 'input={as_json({'json': value})}'")
    return " \\\n  ".join(lines)


def _client_call(declaration: Declaration, value: object) -> str:
    argument = as_typescript(value) if value is not None and value != {} else ""
    call = f"client.{declaration.path}"
    if declaration.kind == "subscription":
        args = (argument or "undefined") + ", {\n  onData: (value) => console.log(value),\n}"
        return (
            "// needs httpSubscriptionLink({ url, transformer: superjson }) in the client's links\n"
            f"const subscription = {call}.subscribe({args});\n// later: subscription.unsubscribe();"
        )
    method = "query" if declaration.kind == "query" else "mutate"
    return f"const result = await {call}.{method}({argument});"


def _errors(declaration: Declaration) -> list[str]:
    lines = ["| code | HTTP | when |", "|---|---|---|"]
    lines += [f"| {error.code} | {error.http_status} | {error.when} |" for error in declaration.errors]
    return lines


def _procedure_section(declaration: Declaration, model: Model) -> list[str]:
    value = reference_example(declaration)
    _, input_ts, output_ts = next(signature for signature in model.signatures if signature[0] is declaration)
    method = {"query": "GET", "mutation": "POST", "subscription": "GET, server-sent events"}[declaration.kind]
    lines = [
        f'<a id="{anchor(declaration.path)}"></a>',
        f"### {declaration.path}",
        "",
        " ".join(declaration.summary.split()),
        "",
        "| | |",
        "|---|---|",
        f"| Kind | {declaration.kind} (`{method} /api/trpc/{declaration.path}`) |",
        f"| Who may call | {_who(declaration)} |",
        f"| Plan feature | {_feature(declaration)} |",
        f"| Metered | {_metered(declaration)} |",
        f"| Input | {'none' if declaration.input_type is None else _link_types(input_ts, model.names)} |",
        f"| Output | {_link_types(output_ts, model.names)} |",
        "",
    ]
    if declaration.errors:
        lines += ["Errors:", "", *_errors(declaration), ""]
    lines += ["```sh", _curl(declaration, value), "```", "", "```ts", _client_call(declaration, value), "```", ""]
    return lines


def _type_sections(model: Model) -> list[str]:
    lines = ["## Types", ""]
    shown: set[str] = set()
    for key in sorted(model.structs.bodies, key=lambda key: model.names[key]):
        name = model.names[key]
        if name in shown:
            continue
        shown.add(name)
        cls, direction = model.structs.classes[key]
        lines += [f'<a id="type-{name.lower()}"></a>', f"### {name}", ""]
        docstring = docstring_of(cls)
        if docstring:
            lines += [" ".join(docstring.split()), ""]
        directions = {other[1] for other_key, other in model.structs.classes.items() if model.names[other_key] == name}
        lines += [
            ("Input and output" if len(directions) == 2 else direction.title()) + " fields:",
            "",
            "| field | type | | notes |",
            "|---|---|---|---|",
        ]
        for view in struct_view(model.renderer, cls, direction):
            presence = ("optional" if direction == "input" else "may be absent") if view.optional else "required"
            if direction == "output" and not view.optional:
                presence = "always"
            notes = " ".join([*view.doc, *(f"({detail})" for detail in view.details)]).replace("|", "\\|")
            lines.append(f"| `{view.name}` | {_link_types(view.ts_type, model.names)} | {presence} | {notes} |")
        lines.append("")
    return lines


def api_markdown(declarations: list[Declaration]) -> str:
    model = build_model(declarations)
    lines = [INTRODUCTION, "## Procedures", ""]
    groups: dict[str, list[Declaration]] = {}
    for declaration in declarations:
        groups.setdefault(declaration.path.split(".")[0], []).append(declaration)
    for group, members in groups.items():
        links = ", ".join(f"[{d.path}](#{anchor(d.path)})" for d in members)
        lines.append(f"- **{group}**: {links}")
    lines.append("")
    for declaration in declarations:
        lines += _procedure_section(declaration, model)
    lines += _type_sections(model)
    return "\n".join(lines).rstrip("\n") + "\n"
