"""Configuration: every bad value is refused at start-up with the variable's name."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.config import ConfigError, load_settings
from tests.support.servers import ROOT


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"WORKERS": "0"}, "WORKERS"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"APP_ENV": "staging"}, "APP_ENV"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"MAX_BATCH_SIZE": "-1"}, "MAX_BATCH_SIZE"),
        ({"AI_TIMEOUT_SECONDS": "soon"}, "AI_TIMEOUT_SECONDS"),
        ({"DATABASE_STATEMENT_CACHE_SIZE": "-1"}, "DATABASE_STATEMENT_CACHE_SIZE"),
        ({"APP_ENV": "production"}, "SECRET_KEY"),
        ({"APP_ENV": "production", "SECRET_KEY": "short"}, "SECRET_KEY"),
    ],
)
def test_bad_values_name_the_variable(environ: dict[str, str], named: str, tmp_path: object) -> None:
    with pytest.raises(ConfigError, match=named):
        load_settings({"DATA_DIR": str(tmp_path), **environ})


def test_defaults_and_lists(tmp_path: object) -> None:
    settings = load_settings(
        {"DATA_DIR": str(tmp_path), "ALLOWED_ORIGINS": "https://app.example/, https://admin.example", "DEBUG": "yes"}
    )
    assert settings.port == 8000 and settings.workers == 1 and settings.app_env == "development"
    assert settings.allowed_origins == ("https://app.example", "https://admin.example")
    assert settings.debug is True
    assert settings.database_statement_cache_size == 100
    assert load_settings({"DATA_DIR": str(tmp_path), "DATABASE_STATEMENT_CACHE_SIZE": "0"}).database_statement_cache_size == 0


def test_development_secret_is_stable_per_data_dir(tmp_path: object) -> None:
    first = load_settings({"DATA_DIR": str(tmp_path)}).secret_key
    assert len(first) >= 32
    assert load_settings({"DATA_DIR": str(tmp_path)}).secret_key == first


def test_production_accepts_a_long_secret(tmp_path: object) -> None:
    settings = load_settings({"DATA_DIR": str(tmp_path), "APP_ENV": "production", "SECRET_KEY": "k" * 40})
    assert settings.is_production and settings.secure_cookies


def test_the_server_refuses_to_start_with_a_clear_message() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "app"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "APP_ENV": "production", "PORT": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 2
    assert "configuration error: SECRET_KEY is required in production" in finished.stderr
    assert "Traceback" not in finished.stderr
