"""Configuration from the environment, validated once at start-up.

Every setting has one name, one type and one default here; `load_settings` turns a bad value into
a `ConfigError` that names the variable, so a typo fails the start with a clear message instead of
a stack trace later.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import msgspec

AppEnv = Literal["development", "test", "production"]

# A production secret must be long enough that it cannot be guessed; itsdangerous signs with it.
MIN_PRODUCTION_SECRET_LENGTH = 32


class ConfigError(Exception):
    pass


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    data_dir: str = ".data"
    database_url: str | None = None
    app_env: AppEnv = "development"
    secret_key: str = ""
    debug: bool = False
    # Requests
    max_body_bytes: int = 1024 * 1024
    max_batch_size: int = 50
    allowed_origins: tuple[str, ...] = ()
    # Sessions
    session_idle_minutes: int = 60 * 12
    session_lifetime_hours: int = 24 * 14
    demo_password: str = "demo-password"
    # Login throttling: failed attempts allowed per e-mail and per client address in the window.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 50
    login_failure_window_seconds: int = 15 * 60
    # How long a worker may reuse a credential it has just checked; below a second, so that a
    # revocation holds in every worker within one second. 0 reads the session row every request.
    session_cache_ms: int = 500
    # AI
    ai_model: str | None = None
    ai_fallback_models: tuple[str, ...] = ()
    ai_embedding_model: str | None = None
    ai_timeout_seconds: float = 30.0
    ai_num_retries: int = 2
    ai_rate_limit_per_minute: int = 100
    # Test support: extra procedure modules to register (comma-separated dotted names).
    extra_procedure_modules: tuple[str, ...] = ()
    database_pool_size: int = 10

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def secure_cookies(self) -> bool:
        return self.app_env != "development" and self.app_env != "test"


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _parse_int(name: str, value: str, minimum: int, maximum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number


def _parse_float(name: str, value: str, minimum: float, maximum: float) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if not minimum <= number <= maximum:
        raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {number}")
    return number


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}

    def text(name: str) -> str | None:
        value = env.get(name)
        return value if value not in (None, "") else None

    if (value := text("HOST")) is not None:
        values["host"] = value
    if (value := text("PORT")) is not None:
        values["port"] = _parse_int("PORT", value, 0, 65535)
    if (value := text("WORKERS")) is not None:
        values["workers"] = _parse_int("WORKERS", value, 1, 64)
    if (value := text("DATA_DIR")) is not None:
        values["data_dir"] = value
    if (value := text("DATABASE_URL")) is not None:
        if not value.startswith(("postgres://", "postgresql://")):
            raise ConfigError("DATABASE_URL must start with postgresql:// or postgres://")
        values["database_url"] = value
    app_env = text("APP_ENV") or "development"
    if app_env not in ("development", "test", "production"):
        raise ConfigError(f"APP_ENV must be development, test or production, got {app_env!r}")
    values["app_env"] = app_env
    if (value := text("DEBUG")) is not None:
        values["debug"] = _parse_bool("DEBUG", value)
    if (value := text("MAX_BODY_BYTES")) is not None:
        values["max_body_bytes"] = _parse_int("MAX_BODY_BYTES", value, 1024, 1024 * 1024 * 1024)
    if (value := text("MAX_BATCH_SIZE")) is not None:
        values["max_batch_size"] = _parse_int("MAX_BATCH_SIZE", value, 1, 10_000)
    if (value := text("ALLOWED_ORIGINS")) is not None:
        values["allowed_origins"] = tuple(origin.rstrip("/") for origin in _split(value))
    if (value := text("SESSION_IDLE_MINUTES")) is not None:
        values["session_idle_minutes"] = _parse_int("SESSION_IDLE_MINUTES", value, 1, 60 * 24 * 365)
    if (value := text("SESSION_LIFETIME_HOURS")) is not None:
        values["session_lifetime_hours"] = _parse_int("SESSION_LIFETIME_HOURS", value, 1, 24 * 365)
    if (value := text("LOGIN_MAX_FAILURES")) is not None:
        values["login_max_failures"] = _parse_int("LOGIN_MAX_FAILURES", value, 1, 1_000_000)
    if (value := text("LOGIN_MAX_FAILURES_PER_ADDRESS")) is not None:
        values["login_max_failures_per_address"] = _parse_int("LOGIN_MAX_FAILURES_PER_ADDRESS", value, 1, 1_000_000)
    if (value := text("LOGIN_FAILURE_WINDOW_SECONDS")) is not None:
        values["login_failure_window_seconds"] = _parse_int("LOGIN_FAILURE_WINDOW_SECONDS", value, 1, 7 * 24 * 3600)
    if (value := text("SESSION_CACHE_MS")) is not None:
        values["session_cache_ms"] = _parse_int("SESSION_CACHE_MS", value, 0, 999)
    if (value := text("DEMO_PASSWORD")) is not None:
        values["demo_password"] = value
    if (value := text("AI_MODEL")) is not None:
        values["ai_model"] = value
    if (value := text("AI_FALLBACK_MODELS")) is not None:
        values["ai_fallback_models"] = _split(value)
    if (value := text("AI_EMBEDDING_MODEL")) is not None:
        values["ai_embedding_model"] = value
    if (value := text("AI_TIMEOUT_SECONDS")) is not None:
        values["ai_timeout_seconds"] = _parse_float("AI_TIMEOUT_SECONDS", value, 0.05, 600)
    if (value := text("AI_NUM_RETRIES")) is not None:
        values["ai_num_retries"] = _parse_int("AI_NUM_RETRIES", value, 0, 10)
    if (value := text("AI_RATE_LIMIT_PER_MINUTE")) is not None:
        values["ai_rate_limit_per_minute"] = _parse_int("AI_RATE_LIMIT_PER_MINUTE", value, 1, 1_000_000)
    if (value := text("EXTRA_PROCEDURE_MODULES")) is not None:
        values["extra_procedure_modules"] = _split(value)
    if (value := text("DATABASE_POOL_SIZE")) is not None:
        values["database_pool_size"] = _parse_int("DATABASE_POOL_SIZE", value, 1, 500)

    secret = text("SECRET_KEY")
    if secret is None:
        if app_env == "production":
            raise ConfigError(
                f"SECRET_KEY is required in production (at least {MIN_PRODUCTION_SECRET_LENGTH} characters)"
            )
        # Development and tests get a per-data-dir secret so sessions survive a restart.
        secret = _development_secret(Path(str(values.get("data_dir", ".data"))))
    elif app_env == "production" and len(secret) < MIN_PRODUCTION_SECRET_LENGTH:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_PRODUCTION_SECRET_LENGTH} characters in production")
    values["secret_key"] = secret
    return msgspec.convert(values, Settings, str_keys=True)


def _development_secret(data_dir: Path) -> str:
    """A random secret kept in the data folder: stable across restarts, never committed."""
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret
