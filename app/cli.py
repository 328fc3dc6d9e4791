"""What every command-line entry point does first: settings from the environment, then the
database (DATABASE_URL, or the embedded server), then its one piece of work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from app.config import ConfigError, Settings, load_settings
from app.database import prepare_database


def settings_from_environment() -> Settings:
    """The validated settings; a configuration error is printed and exits with status 2."""
    try:
        return load_settings()
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def run_database_command(work: Callable[[Settings, str], Coroutine[Any, Any, str]]) -> int:
    """Run `work(settings, database_url)` and print its report. A ValueError is the operator's
    mistake (an unknown organization or plan): printed, exit status 2."""
    settings = settings_from_environment()
    try:
        report = asyncio.run(work(settings, prepare_database(settings)))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(report)
    return 0
