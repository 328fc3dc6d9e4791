"""The generated API catalog: the TypeScript package, docs/api.md and /api/schema.json.

- The committed files are what the registry generates now (`make types` leaves no change).
- Every procedure has a summary, so docs/api.md and the editor tooltips describe it.
- A strict front end (tests/interop/typed/frontend.ts) that calls every procedure type-checks
  with `tsc --strict` against the package, and each of its `@ts-expect-error` lines is an error.
- The README's TypeScript example compiles as written.
- The real @trpc/client typed with the generated AppRouter (tests/interop/typed/product.ts) runs
  against the live server, and every answer it received conforms to the declared output type.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shutil
import subprocess
import sys
import tempfile
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from app.catalog.declarations import read_declaration, read_declarations, undocumented
from app.catalog.examples import as_json
from app.catalog.reference import reference_example
from app.catalog.summaries import EXAMPLE_INPUTS, EXTRA_ERRORS, SUMMARIES
from app.registry import PROCEDURE_MODULES, Procedure, load_procedures
from tests.support.factories import create_api_key, create_org, create_user

ROOT = Path(__file__).resolve().parents[1]
INTEROP = ROOT / "tests" / "interop"
TYPED = INTEROP / "typed"
TSC = INTEROP / "node_modules" / ".bin" / "tsc"
NODE = shutil.which("node")

needs_node = pytest.mark.skipif(NODE is None, reason="`node` is not on PATH: the type checks run tsc")


def product_procedures() -> dict[str, Procedure]:
    """The product's procedures (not the test-only ones another test may have registered)."""
    return {path: p for path, p in load_procedures().items() if p.handler.__module__ in PROCEDURE_MODULES}


def tsc(*args: str) -> subprocess.CompletedProcess[str]:
    if not TSC.exists():
        pytest.fail(f"{TSC} is missing: run `npm ci` in tests/interop (make test does)")
    return subprocess.run([NODE or "node", str(TSC), *args], capture_output=True, text=True, timeout=600, cwd=INTEROP)


@pytest.fixture
def scratch() -> Iterator[Path]:
    """A folder inside tests/interop, so that Node and tsc resolve its node_modules from there."""
    folder = Path(tempfile.mkdtemp(prefix=".check-", dir=INTEROP))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- the committed files are fresh ------------------------------------------------------------


def test_the_committed_catalog_is_what_the_registry_generates(tmp_path: Path) -> None:
    # A fresh process: the registry holds exactly the product's procedures there.
    subprocess.run([sys.executable, "-m", "app.catalog", str(tmp_path)], cwd=ROOT, check=True, capture_output=True)
    generated = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    assert Path("clients/typescript/index.d.ts") in generated and Path("docs/api.md") in generated
    stale = [str(path) for path in generated if (ROOT / path).read_text() != (tmp_path / path).read_text()]
    assert not stale, f"generated files differ from the registry: {stale}; run `make types` and commit"
    package_files = {path.relative_to(ROOT) for path in (ROOT / "clients" / "typescript").rglob("*") if path.is_file()}
    assert package_files <= set(generated), f"files not generated any more: {package_files - set(generated)}"


def test_the_package_pins_the_versions_the_repository_checks_it_with() -> None:
    package = json.loads((ROOT / "clients" / "typescript" / "package.json").read_text())
    assert package["name"] == "helpdesk-ai-client" and package["types"] == "./index.d.ts"
    # No devDependencies: a front end links this folder (file:../clients/typescript), and npm would
    # install a linked package's devDependencies into it. The peers' floor is what tests run.
    assert "devDependencies" not in package and "dependencies" not in package
    locked = json.loads((INTEROP / "package-lock.json").read_text())["packages"]
    for name, requirement in package["peerDependencies"].items():
        assert requirement == "^" + locked[f"node_modules/{name}"]["version"], name


def test_every_procedure_has_a_summary_and_a_reference_section() -> None:
    declarations = read_declarations(product_procedures())
    assert undocumented(declarations) == []
    reference = (ROOT / "docs" / "api.md").read_text()
    index = (ROOT / "clients" / "typescript" / "index.d.ts").read_text()
    for declaration in declarations:
        assert f"### {declaration.path}\n" in reference
        assert f"See docs/api.md#{declaration.path.lower().replace('.', '')}" in index


def test_the_hand_written_catalog_entries_name_registered_procedures() -> None:
    registered = set(product_procedures())
    for table in (SUMMARIES, EXTRA_ERRORS, EXAMPLE_INPUTS):
        assert set(table) <= registered, f"entries for procedures that do not exist: {set(table) - registered}"


def test_a_procedure_added_without_a_summary_is_caught() -> None:
    async def handler(ctx: Any) -> None:
        return None

    existing = next(iter(product_procedures().values()))
    added = dataclasses.replace(existing, path="tickets.undocumentedThing", handler=handler)
    assert undocumented([read_declaration(added)]) == ["tickets.undocumentedThing"]


# ---- TypeScript ---------------------------------------------------------------------------------


@needs_node
def test_the_strict_front_end_and_the_typed_scenario_type_check() -> None:
    # tsc also fails on an `@ts-expect-error` line that is not an error (TS2578), so every wrong
    # input, wrong kind and unknown procedure in frontend.ts is proven refused.
    result = tsc("-p", str(TYPED))
    assert result.returncode == 0, result.stdout + result.stderr
    # Teams that also turn on exactOptionalPropertyTypes can pass `undefined` for an optional input.
    stricter = tsc("-p", str(TYPED), "--exactOptionalPropertyTypes")
    assert stricter.returncode == 0, stricter.stdout + stricter.stderr
    config = json.loads((TYPED / "tsconfig.json").read_text())
    assert config["compilerOptions"]["strict"] is True


@needs_node
def test_removing_a_ts_expect_error_line_makes_tsc_fail(scratch: Path) -> None:
    source = (TYPED / "frontend.ts").read_text()
    directives = source.count("// @ts-expect-error")
    assert directives >= 15
    (scratch / "frontend.ts").write_text(source.replace("// @ts-expect-error", "// (expected error)"))
    (scratch / "tsconfig.json").write_text(json.dumps({"extends": "../typed/tsconfig.json", "include": ["*.ts"]}))
    result = tsc("-p", str(scratch))
    errors = [line for line in result.stdout.splitlines() if re.search(r"error TS\d+", line)]
    assert result.returncode != 0
    assert len({line.split(":")[0] for line in errors}) >= directives, result.stdout


def test_the_front_end_calls_every_procedure() -> None:
    source = (TYPED / "frontend.ts").read_text()
    missing = [path for path in product_procedures() if f"client.{path}." not in source]
    assert not missing, f"tests/interop/typed/frontend.ts does not call {missing}"


@needs_node
def test_the_readme_typescript_example_compiles_as_written(scratch: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    blocks = [block for block in re.findall(r"```ts\n(.*?)```", readme, re.S) if "AppRouter" in block]
    assert blocks, "the README has no TypeScript example using AppRouter"
    for number, block in enumerate(blocks):
        (scratch / f"readme{number}.ts").write_text(block)
    (scratch / "tsconfig.json").write_text(json.dumps({"extends": "../typed/tsconfig.json", "include": ["*.ts"]}))
    result = tsc("-p", str(scratch))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "docs/api.md" in readme and "/api/schema.json" in readme


@needs_node
def test_the_reference_client_examples_compile(scratch: Path) -> None:
    reference = (ROOT / "docs" / "api.md").read_text()
    examples = re.findall(r"```ts\n(.*?)```", reference, re.S)
    assert len(examples) >= len(product_procedures())
    header = (
        "import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';\n"
        "import superjson from 'superjson';\n"
        "import type { AppRouter } from 'helpdesk-ai-client';\n"
        "const url = '/api/trpc';\n"
        "const client = createTRPCClient<AppRouter>({ links: [splitLink({\n"
        "  condition: (op) => op.type === 'subscription',\n"
        "  true: httpSubscriptionLink({ url, transformer: superjson }),\n"
        "  false: httpBatchLink({ url, transformer: superjson }),\n"
        "})] });\n"
    )
    bodies = "".join(f"export async function example{n}() {{\n{example}}}\n" for n, example in enumerate(examples))
    (scratch / "examples.ts").write_text(header + bodies)
    (scratch / "tsconfig.json").write_text(json.dumps({"extends": "../typed/tsconfig.json", "include": ["*.ts"]}))
    result = tsc("-p", str(scratch))
    assert result.returncode == 0, result.stdout + result.stderr


async def test_the_reference_curl_inputs_are_accepted_by_the_server(db, live_server) -> None:
    """Each example input, sent as its curl line sends it, passes validation (a random id may
    then be NOT_FOUND, a key may be refused a password change, but none is BAD_REQUEST)."""
    org = await create_org(db, plan="business")
    key = await create_api_key(db, org.id, ("admin",))
    declarations = [d for d in read_declarations(product_procedures()) if d.kind != "subscription"]

    def send(declaration: Any) -> tuple[int, Any]:
        value = reference_example(declaration)
        url = f"{live_server.url}/api/trpc/{declaration.path}"
        body = None
        if declaration.kind == "mutation":
            body = as_json({"json": value}).encode() if value is not None else b"{}"
        elif value is not None:
            url += "?input=" + urllib.parse.quote(as_json({"json": value}))
        request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
        request.add_header("Authorization", f"Bearer {key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    for declaration in declarations:
        if declaration.path == "auth.logout":
            continue  # nothing to log out with a key; and it must not end other tests' sessions
        status, answer = await asyncio.to_thread(send, declaration)
        assert status != 400, f"{declaration.path}: the documented input was refused: {answer}"


# ---- the schema endpoint -----------------------------------------------------------------------


def test_schema_json_describes_every_procedure_with_json_schemas(live_server) -> None:
    with urllib.request.urlopen(live_server.url + "/api/schema.json", timeout=30) as response:
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/json")
        document = json.loads(response.read())
    by_path = {procedure["path"]: procedure for procedure in document["procedures"]}
    assert set(product_procedures()) <= set(by_path)
    components = document["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        return components[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    create = by_path["tickets.create"]
    assert create["kind"] == "mutation" and create["access"] == {"public": False, "role": "agent", "apiKeyScope": "ticket:write"}
    created_input = resolve(create["input"])
    assert set(created_input["required"]) == {"subject", "description"}
    assert created_input["properties"]["subject"]["maxLength"] == 500
    codes = {(error["code"], error["httpStatus"]) for error in create["errors"]}
    assert {("BAD_REQUEST", 400), ("UNAUTHORIZED", 401), ("FORBIDDEN", 403)} <= codes
    assert "TOO_MANY_REQUESTS" not in {code for code, _ in codes}  # not metered
    status = by_path["system.status"]
    assert status["access"]["public"] is True and status["input"] is None
    assert resolve(status["output"])["properties"]["database"]["enum"] == ["ok", "unavailable"]
    metered = by_path["ai.summarizeTicket"]
    assert metered["metered"] is True and metered["planFeature"] == "basic"
    assert "TOO_MANY_REQUESTS" in {error["code"] for error in metered["errors"]}
    assert by_path["system.heartbeat"]["outputIsStream"] is True


# ---- the real client, typed, against the real server --------------------------------------------


def untag(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            return datetime.fromisoformat(value["$date"].replace("Z", "+00:00"))
        return {key: untag(item) for key, item in value.items()}
    if isinstance(value, list):
        return [untag(item) for item in value]
    return value


def conforms(value: Any, annotation: Any) -> bool:
    """`value` is exactly an instance of the declared type: nothing missing, nothing extra."""
    try:
        converted = msgspec.convert(value, annotation, strict=True)
    except msgspec.ValidationError:
        return False
    except TypeError:  # a type msgspec cannot decode (a union of untagged Structs): piece by piece
        return _conforms_piecewise(value, annotation)
    return msgspec.to_builtins(converted, builtin_types=(datetime,)) == msgspec.to_builtins(
        value, builtin_types=(datetime,)
    )


def _conforms_piecewise(value: Any, annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, member) for member in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        fields = {info.encode_name: info for info in msgspec.structs.fields(annotation)}
        return (
            isinstance(value, dict)
            and set(value) == set(fields)
            and all(conforms(value[name], info.type) for name, info in fields.items())
        )
    return False


def output_item_type(procedure: Procedure) -> Any:
    if procedure.kind == "subscription":
        return list[typing.get_args(procedure.output_type)[0]]  # type: ignore[misc]  # built at run time
    return procedure.output_type


@needs_node
async def test_the_typed_client_agrees_with_the_live_server(db, live_server, scratch: Path) -> None:
    org = await create_org(db, plan="business")
    admin_key = await create_api_key(db, org.id, ("admin",))
    read_key = await create_api_key(db, org.id, ("ticket:read",))
    # Feedback is a person's: the script signs this agent in and keeps the session cookie.
    agent = await create_user(db, org.id, role="agent")
    compiled = await asyncio.to_thread(tsc, "-p", str(TYPED), "--noEmit", "false", "--outDir", str(scratch))
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    run = await asyncio.to_thread(
        subprocess.run,
        [NODE or "node", str(scratch / "product.js"), live_server.url, admin_key, read_key, agent.email, agent.password],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=INTEROP,
    )
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    calls, checks = outcome["calls"], outcome["checks"]
    assert "crashed" not in calls, calls.get("crashed")
    assert checks and all(checks.values()), {name: ok for name, ok in checks.items() if not ok}

    expected_errors = {"notFound": ("NOT_FOUND", 404), "forbidden": ("FORBIDDEN", 403), "badRequest": ("BAD_REQUEST", 400)}
    registry = product_procedures()
    for name, call in calls.items():
        if name in expected_errors:
            assert call["ok"] is False, (name, call)
            assert (call["error"]["code"], call["error"]["httpStatus"]) == expected_errors[name], (name, call)
            continue
        assert call["ok"] is True, (name, call)
        declared = output_item_type(registry[call["path"]])
        assert conforms(untag(call["value"]), declared), f"{call['path']} answered outside its type: {call['value']}"
    assert len({call["path"] for call in calls.values()}) >= 15
