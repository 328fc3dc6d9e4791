"""The ASGI application: the tRPC endpoint, health checks, and the services' lifetime.

`/api/trpc/...` goes straight to the tRPC endpoint (the hot path skips Starlette's router);
everything else goes to a small Starlette app: `/healthz` (the process is alive), `/readyz`
(the database answers), `/api/schema.json` (every procedure with JSON Schemas, app.catalog) and
the admin dashboard under `/admin` (app.admin_site).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from app import __version__
from app.admin_site import ADMIN_ROUTES
from app.assist.embedding_refresh import settle_background_work
from app.assist.triage import TriageWorker
from app.catalog.declarations import read_declarations
from app.catalog.json_schema import schema_json
from app.config import Settings, load_settings
from app.context import Services
from app.database import apply_schema, create_pool, database_answers
from app.registry import load_procedures
from app.trpc.endpoint import Receive, Scope, Send, TRPCEndpoint
from app.wiring import build_engines

log = logging.getLogger("app")
TRPC_PREFIX = "/api/trpc"
# At shutdown, background embedding refreshes get this long to finish (each takes well under a
# second); what is left is cancelled and recomputed on demand.
BACKGROUND_WORK_DEADLINE_SECONDS = 10.0


def create_app(settings: Settings, extra_procedure_modules: tuple[str, ...] = ()) -> Any:
    """The ASGI app. `extra_procedure_modules` registers test-only procedures (tests/support/serve.py)."""
    registry = load_procedures(extra_procedure_modules)
    state: dict[str, Services] = {"services": Services(settings=settings, pool=None, version=__version__)}

    async def healthz(_: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    async def readyz(_: Request) -> JSONResponse:
        ready = await database_answers(state["services"].pool)
        return JSONResponse({"database": "ok" if ready else "unavailable"}, status_code=200 if ready else 503)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        services = state["services"]
        if settings.database_url is None:
            raise RuntimeError("DATABASE_URL is not set: start the server with `python -m app`")
        await apply_schema(settings.database_url)
        services.pool = await create_pool(
            settings.database_url, settings.database_pool_size, settings.database_statement_cache_size
        )
        await build_engines(services)
        triage = services.extras["triage_worker"] = TriageWorker(services)
        triage.start()
        try:
            yield
        finally:
            # A triage in hand is handed back (the next start takes it, charged once).
            await triage.stop()
            # Requests are over (uvicorn waited for them): let the vectors they scheduled land
            # before the pool goes away.
            await settle_background_work(BACKGROUND_WORK_DEADLINE_SECONDS)
            await services.pool.close()

    schema_cache: list[bytes] = []

    async def schema(_: Request) -> Response:
        # Built on first request: the registry is complete by then, and most processes never serve it.
        if not schema_cache:
            schema_cache.append(schema_json(read_declarations(registry), __version__))
        return Response(schema_cache[0], media_type="application/json", headers={"Cache-Control": "no-cache"})

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/api/schema.json", schema), *ADMIN_ROUTES]
    site = Starlette(routes=routes, lifespan=lifespan)
    trpc = TRPCEndpoint(lambda: state["services"], TRPC_PREFIX)

    async def application(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(TRPC_PREFIX + "/"):
            await trpc(scope, receive, send)
        else:
            await site(scope, receive, send)

    application.state = state  # type: ignore[attr-defined]
    return application


def create_app_from_env() -> Any:
    """uvicorn's factory in every worker process; settings come from the environment."""
    return create_app(load_settings())
