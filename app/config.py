"""Configuration from the environment, validated once at start-up.

Every setting has one name, one type and one default here; `load_settings` turns a bad value into
a `ConfigError` that names the variable, so a typo fails the start with a clear message instead of
a stack trace later.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import msgspec

AppEnv = Literal["development", "test", "production"]
SameSite = Literal["lax", "strict", "none"]

# A production secret must be long enough that it cannot be guessed; itsdangerous signs with it.
MIN_PRODUCTION_SECRET_LENGTH = 32
_DEFAULT_PORTS = {"http": 80, "https": 443}


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
    # A request whose body has not fully arrived by then is answered 408 and closed.
    body_read_timeout_seconds: float = 30.0
    # A subscription quiet for this long sends a keep-alive ping, so proxies do not drop it.
    sse_ping_seconds: float = 15.0
    allowed_origins: tuple[str, ...] = ()
    # Reverse proxies (addresses or networks) whose X-Forwarded-For/-Host/-Proto are believed.
    trusted_proxies: tuple[str, ...] = ()
    # Sessions
    session_idle_minutes: int = 60 * 12
    session_lifetime_hours: int = 24 * 14
    # "none" lets a front end on another site use the cookie; it is then always Secure.
    session_cookie_samesite: SameSite = "lax"
    demo_password: str = "demo-password"
    # Login throttling (app.auth.throttle): failures per (e-mail, client address) before growing
    # delays start, per address over all e-mails, and per e-mail over all addresses.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 50
    login_max_failures_per_account: int = 200
    login_failure_window_seconds: int = 15 * 60
    # How long a worker may reuse a credential it has just checked; below a second, so that a
    # revocation holds in every worker within one second. 0 reads the session row every request.
    session_cache_ms: int = 500
    # AI
    ai_model: str | None = None
    ai_fallback_models: tuple[str, ...] = ()
    ai_embedding_model: str | None = None
    ai_embedding_dimensions: int = 512  # the local engine's; a hosted model is asked for the same
    ai_api_base: str | None = None  # an OpenAI-compatible server of the team's own, if any
    ai_api_key: str | None = None  # else litellm reads the provider's usual variable
    ai_timeout_seconds: float = 30.0
    ai_num_retries: int = 2
    ai_rate_limit_per_minute: int = 100
    # The models organizations and calls may pick; empty: the ones configured above plus the local engine.
    ai_allowed_models: tuple[str, ...] = ()
    # Test support: extra procedure modules to register (comma-separated dotted names).
    database_pool_size: int = 10
    # asyncpg's per-connection cache of named prepared statements (its default, 100). 0 turns it
    # off, which PgBouncer in transaction mode needs (before 1.21 it cannot follow a named
    # statement from one server connection to the next): every statement is then parsed anew.
    database_statement_cache_size: int = 100

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def secure_cookies(self) -> bool:
        # Browsers refuse a SameSite=None cookie that is not Secure.
        return self.app_env not in ("development", "test") or self.session_cookie_samesite == "none"


Parse = Callable[[str, str], object]  # (variable name, raw value) -> field value


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _text(_: str, value: str) -> str:
    return value


def _listing(_: str, value: str) -> tuple[str, ...]:
    return _split(value)


def _origins(name: str, value: str) -> tuple[str, ...]:
    """Each origin in the form a browser sends it (`scheme://host[:port]`, lower case, no default
    port, no slash), so that requests can be compared with them exactly."""
    origins = []
    for entry in _split(value):
        try:
            parts = urlsplit(entry)
            port = parts.port
        except ValueError:
            raise ConfigError(f"{name}: {entry!r} is not an origin") from None
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ConfigError(f"{name}: {entry!r} is not an origin like https://app.example.com")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ConfigError(f"{name}: {entry!r} is not an origin like https://app.example.com")
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        if port is not None and port != _DEFAULT_PORTS[parts.scheme]:
            host = f"{host}:{port}"
        origins.append(f"{parts.scheme}://{host}")
    return tuple(origins)


def _networks(name: str, value: str) -> tuple[str, ...]:
    networks = []
    for entry in _split(value):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigError(f"{name}: {entry!r} is not an IP address or network") from None
    return tuple(networks)


def _same_site(name: str, value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in ("lax", "strict", "none"):
        raise ConfigError(f"{name} must be lax, strict or none, got {value!r}")
    return lowered


def _boolean(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def _bounded(convert: Callable[[str], float], noun: str, minimum: float, maximum: float) -> Parse:
    def parse(name: str, value: str) -> float:
        try:
            number = convert(value)
        except ValueError:
            raise ConfigError(f"{name} must be {noun}, got {value!r}") from None
        if not minimum <= number <= maximum:
            raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {number}")
        return number

    return parse


def _integer(minimum: int, maximum: int) -> Parse:
    return _bounded(int, "a whole number", minimum, maximum)


def _number(minimum: float, maximum: float) -> Parse:
    return _bounded(float, "a number", minimum, maximum)


def _database_url(name: str, value: str) -> str:
    if not value.startswith(("postgres://", "postgresql://")):
        raise ConfigError(f"{name} must start with postgresql:// or postgres://")
    return value


def _app_env(name: str, value: str) -> str:
    if value not in ("development", "test", "production"):
        raise ConfigError(f"{name} must be development, test or production, got {value!r}")
    return value


# Every environment variable the server reads: (variable, Settings field, parser).
VARIABLES: tuple[tuple[str, str, Parse], ...] = (
    ("HOST", "host", _text),
    ("PORT", "port", _integer(0, 65535)),
    ("WORKERS", "workers", _integer(1, 64)),
    ("DATA_DIR", "data_dir", _text),
    ("DATABASE_URL", "database_url", _database_url),
    ("DATABASE_POOL_SIZE", "database_pool_size", _integer(1, 500)),
    ("DATABASE_STATEMENT_CACHE_SIZE", "database_statement_cache_size", _integer(0, 10_000)),
    ("APP_ENV", "app_env", _app_env),
    ("DEBUG", "debug", _boolean),
    ("MAX_BODY_BYTES", "max_body_bytes", _integer(1024, 1024 * 1024 * 1024)),
    ("MAX_BATCH_SIZE", "max_batch_size", _integer(1, 10_000)),
    ("BODY_READ_TIMEOUT_SECONDS", "body_read_timeout_seconds", _number(0.1, 3600)),
    ("SSE_PING_SECONDS", "sse_ping_seconds", _number(0.05, 3600)),
    ("ALLOWED_ORIGINS", "allowed_origins", _origins),
    ("TRUSTED_PROXIES", "trusted_proxies", _networks),
    ("SESSION_COOKIE_SAMESITE", "session_cookie_samesite", _same_site),
    ("SESSION_IDLE_MINUTES", "session_idle_minutes", _integer(1, 60 * 24 * 365)),
    ("SESSION_LIFETIME_HOURS", "session_lifetime_hours", _integer(1, 24 * 365)),
    ("SESSION_CACHE_MS", "session_cache_ms", _integer(0, 999)),
    ("LOGIN_MAX_FAILURES", "login_max_failures", _integer(1, 1_000_000)),
    ("LOGIN_MAX_FAILURES_PER_ADDRESS", "login_max_failures_per_address", _integer(1, 1_000_000)),
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", "login_max_failures_per_account", _integer(1, 1_000_000)),
    ("LOGIN_FAILURE_WINDOW_SECONDS", "login_failure_window_seconds", _integer(1, 7 * 24 * 3600)),
    ("DEMO_PASSWORD", "demo_password", _text),
    ("AI_MODEL", "ai_model", _text),
    ("AI_FALLBACK_MODELS", "ai_fallback_models", _listing),
    ("AI_EMBEDDING_MODEL", "ai_embedding_model", _text),
    ("AI_EMBEDDING_DIMENSIONS", "ai_embedding_dimensions", _integer(8, 4096)),
    ("AI_API_BASE", "ai_api_base", _text),
    ("AI_API_KEY", "ai_api_key", _text),
    ("AI_TIMEOUT_SECONDS", "ai_timeout_seconds", _number(0.05, 600)),
    ("AI_NUM_RETRIES", "ai_num_retries", _integer(0, 10)),
    ("AI_RATE_LIMIT_PER_MINUTE", "ai_rate_limit_per_minute", _integer(1, 1_000_000)),
    ("AI_ALLOWED_MODELS", "ai_allowed_models", _listing),
)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for variable, field_name, parse in VARIABLES:
        raw = env.get(variable)
        if raw not in (None, ""):
            values[field_name] = parse(variable, raw)
    app_env = values.get("app_env", "development")

    secret = env.get("SECRET_KEY") or None
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
    _check_cross_site_cookie(values)
    return msgspec.convert(values, Settings, str_keys=True)


def _check_cross_site_cookie(values: dict[str, object]) -> None:
    """SameSite=None sends the session cookie on requests from every site, and only over HTTPS.
    Outside development it must serve HTTPS front ends that are actually listed."""
    if values.get("session_cookie_samesite") != "none" or values.get("app_env", "development") == "development":
        return
    origins = values.get("allowed_origins") or ()
    assert isinstance(origins, tuple)
    if not origins or any(not origin.startswith("https://") for origin in origins):
        raise ConfigError(
            "SESSION_COOKIE_SAMESITE=none needs HTTPS: list the front ends in ALLOWED_ORIGINS, "
            "all https://, and serve the API over HTTPS (the cookie is Secure)"
        )


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
