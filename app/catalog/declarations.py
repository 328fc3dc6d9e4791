"""One procedure's declaration as the catalog sees it, read from the registry in ONE place.

Everything else in `app.catalog` works from `Declaration`, never from `app.registry.Procedure`
directly, so a change to how procedures are declared (guards, new access rules) is adapted here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, Literal

from app.catalog.summaries import EXTRA_ERRORS, SUMMARIES
from app.errors import ERROR_CODES
from app.registry import Procedure, input_struct, row_id_fields


@dataclass(frozen=True, slots=True)
class ErrorCase:
    code: str
    http_status: int
    when: str


@dataclass(frozen=True, slots=True)
class Declaration:
    path: str
    kind: Literal["query", "mutation", "subscription"]
    summary: str  # empty when the procedure has none (a test refuses that)
    public: bool
    role: str  # minimum role inside the organization
    scope: str | None  # API-key scope
    feature: str | None  # plan feature ("basic", "full")
    feature_depends_on_input: bool
    metered: bool
    rate_limited: bool
    id_fields: tuple[str, ...]  # input fields naming a tenant-owned row
    input_type: Any  # None: takes no input
    output_type: Any

    @property
    def errors(self) -> list[ErrorCase]:
        return errors_of(self)


def _required_id_fields(procedure: Procedure) -> tuple[str, ...]:
    """The id fields a call always names, hence NOT_FOUND when the row is not the caller's. An
    optional one is a filter (tickets.list's assigneeId finds nothing) or has its own entry in
    the errors table (summaries.py)."""
    fields = row_id_fields(procedure)
    info = input_struct(procedure)
    if not fields or info is None:
        return ()
    required = {field.encode_name for field in info.fields if field.required}
    return tuple(field for field in fields if field in required)


def read_declaration(procedure: Procedure) -> Declaration:
    """The registry's declaration of one procedure, in the catalog's terms."""
    docstring = inspect.getdoc(procedure.handler) or ""
    summary = docstring.strip() or SUMMARIES.get(procedure.path, "")
    return Declaration(
        path=procedure.path,
        kind=procedure.kind,
        summary=summary,
        public=procedure.public,
        role=procedure.role,
        scope=procedure.scope,
        feature=procedure.feature,
        # The only input guard a declaration makes is `feature_for` (app.guards.plan_feature_for).
        feature_depends_on_input=bool(procedure.input_guards),
        metered=procedure.metered,
        rate_limited=procedure.rate_limited,
        id_fields=_required_id_fields(procedure),
        input_type=procedure.input_type if procedure.takes_input else None,
        output_type=procedure.output_type,
    )


def read_declarations(registry: dict[str, Procedure]) -> list[Declaration]:
    """Every registered procedure, sorted by path so the generated files are stable."""
    return [read_declaration(registry[path]) for path in sorted(registry)]


def errors_of(declaration: Declaration) -> list[ErrorCase]:
    """The error answers a procedure can give, derived from its declaration (app.calls' order)."""
    cases: list[ErrorCase] = []
    if not declaration.public:
        cases.append(ErrorCase("UNAUTHORIZED", 401, "no, bad, expired or revoked session or API key"))
        rights = ["a session's POST from another site"] if declaration.kind == "mutation" else []
        if declaration.role != "viewer":
            rights.append(f"a role below {declaration.role}")
        if declaration.scope is not None:
            rights.append(f"an API key without the {declaration.scope} scope")
        if declaration.feature is not None or declaration.feature_depends_on_input:
            rights.append("a plan without the feature")
        if rights:
            cases.append(ErrorCase("FORBIDDEN", 403, ", ".join(rights)))
    if declaration.input_type is not None:
        cases.append(ErrorCase("BAD_REQUEST", 400, "the input fails validation (the message names the field)"))
    if declaration.id_fields:
        fields = ", ".join(f"`{name}`" for name in declaration.id_fields)
        cases.append(ErrorCase("NOT_FOUND", 404, f"{fields} names no row of the caller's organization"))
    if declaration.metered or declaration.rate_limited:
        cases.append(
            ErrorCase(
                "TOO_MANY_REQUESTS",
                429,
                "over the period's AI quota (data: limit, used, resetsAt) or the per-user request rate "
                "(data: retryAfterSeconds)",
            )
        )
    if declaration.metered:
        cases.append(ErrorCase("INTERNAL_SERVER_ERROR", 500, "the AI provider failed after retries and fallbacks"))
    for code, when in EXTRA_ERRORS.get(declaration.path, {}).items():
        known = next((case for case in cases if case.code == code), None)
        if known is not None:
            cases[cases.index(known)] = ErrorCase(code, known.http_status, f"{known.when}; {when}")
        else:
            cases.append(ErrorCase(code, ERROR_CODES[code][1], when))
    return sorted(cases, key=lambda case: case.http_status)


def undocumented(declarations: list[Declaration]) -> list[str]:
    """Paths of procedures with neither a docstring nor an entry in app.catalog.summaries."""
    return [declaration.path for declaration in declarations if not declaration.summary.strip()]
