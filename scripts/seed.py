"""`make seed`: the demo organizations, their members and helpdesk data (app.demo.seed).

Idempotent: nothing is written when the database already holds an organization. Uses
DATABASE_URL, or the embedded development database when it is unset.
"""

from __future__ import annotations

import asyncio
import sys

from app.config import ConfigError, load_settings
from app.database import prepare_database
from app.demo.seed import seed_if_empty


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    lines = asyncio.run(seed_if_empty(prepare_database(settings), settings.demo_password))
    print("\n".join(lines) if lines else "The database already holds organizations; nothing seeded.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
