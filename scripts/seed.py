"""`make seed`: the demo organizations, their members and helpdesk data (app.demo.seed).

Idempotent: nothing is written when the database already holds an organization. Uses
DATABASE_URL, or the embedded development database when it is unset.
"""

from __future__ import annotations

import sys

from app.cli import run_database_command
from app.config import Settings
from app.demo.seed import seed_if_empty


async def seed(settings: Settings, database_url: str) -> str:
    lines = await seed_if_empty(database_url, settings.demo_password)
    return "\n".join(lines) if lines else "The database already holds organizations; nothing seeded."


def main() -> int:
    return run_database_command(seed)


if __name__ == "__main__":
    sys.exit(main())
