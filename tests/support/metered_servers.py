"""App processes serving the metering test procedures, several on one database, started together."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.support.servers import LiveServer, start_app

METERED_PROCEDURE_MODULES = "tests.support.wire_procedures,tests.support.metered_procedures"


def start_metered_servers(database_url: str, count: int, **env: str) -> list[LiveServer]:
    """`count` processes with the `meter.*` procedures; `env` adds settings (AI_RATE_LIMIT_PER_MINUTE)."""
    with ThreadPoolExecutor(count) as starting:
        futures = [
            starting.submit(start_app, database_url, TEST_PROCEDURE_MODULES=METERED_PROCEDURE_MODULES, **env)
            for _ in range(count)
        ]
    started = [future.result() for future in futures if future.exception() is None]
    if len(started) < count:
        for server in started:
            server.stop()
        raise next(error for future in futures if (error := future.exception()) is not None)
    return started
