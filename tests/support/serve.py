"""`python -m tests.support.serve`: the real server (`python -m app`) with test-only procedures.

The wire, metering and benchmark suites need procedures the product does not have (an adder, a
failing call, a slow stream). They are named by TEST_PROCEDURE_MODULES, which only this entry
point reads: the product's own configuration has no way to load extra code.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from app.__main__ import main
from app.config import load_settings
from app.server import create_app

TEST_APP_FACTORY = "tests.support.serve:create_test_app"


def test_procedure_modules() -> tuple[str, ...]:
    return tuple(name.strip() for name in os.environ.get("TEST_PROCEDURE_MODULES", "").split(",") if name.strip())


def create_test_app() -> Any:
    """uvicorn's factory in every worker: the product's app plus the named test procedures."""
    return create_app(load_settings(), extra_procedure_modules=test_procedure_modules())


if __name__ == "__main__":
    sys.exit(main(app_factory=TEST_APP_FACTORY))
