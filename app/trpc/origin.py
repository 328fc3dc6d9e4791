"""Where a request comes from: the client's address, its site, and the CORS answer it gets.

Pure functions over the ASGI scope's headers and the settings, so the rules can be read (and
tested) in one place:

- The peer's `X-Forwarded-For`, `-Host` and `-Proto` are believed only when the peer is one of
  TRUSTED_PROXIES. uvicorn's own proxy handling is off (see app/__main__.py): otherwise any local
  process could choose the address the login throttle counts it under.
- A request may act with the browser's ambient credentials (the session cookie) only when it
  comes from this site or from an origin in ALLOWED_ORIGINS. Its site is read from `Origin`, or
  from `Referer` when there is no `Origin`, and from Fetch Metadata (`Sec-Fetch-Site`), which
  browsers send even on top-level navigations that carry no `Origin`. Origins are compared
  exactly: a browser always sends them in canonical form (`scheme://host[:port]`, no slash).
- Responses always say `Vary: Origin`: whether they carry CORS headers depends on it, and a
  shared cache must not hand one origin's answer to another.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from app.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# The browser's own verdict on where a request comes from; "same-site" is a sibling subdomain,
# which is another origin and as untrusted as any other unless it is listed.
_FOREIGN_FETCH_SITES = ("cross-site", "same-site")


@dataclass(slots=True)
class RequestSource:
    client_address: str | None
    # True when a session cookie may act for this request (see `origin_trusted`).
    origin_trusted: bool
    # Access-Control-* headers for an allowed origin, and always `vary: origin`. Shared between
    # requests from the same origin: read it, copy it, never change it.
    cors: dict[str, str]


def inspect_request(scope: dict[str, Any], settings: Settings) -> RequestSource:
    raw = scope["headers"]
    for name, _ in raw:
        if name in _JUDGED:
            break
    else:
        # No Origin, Referer, Fetch Metadata or forwarding headers (a server-to-server call, a
        # script): nothing to judge, and the peer is the client, proxied or not.
        return RequestSource(_peer(scope), True, _VARY_ONLY)
    found = read_headers(raw)
    origins = found.get(b"origin", _NONE)
    peer = _peer(scope)
    proxied = bool(settings.trusted_proxies) and peer is not None and is_trusted_proxy(peer, settings.trusted_proxies)
    referer = _single(found.get(b"referer", _NONE))
    # This server's own origin matters only when the request names one (most API calls do not).
    own = own_origin(str(scope.get("scheme", "http")), found, proxied) if origins or referer else None
    return RequestSource(
        client_address(peer, found.get(b"x-forwarded-for", _NONE), proxied, settings),
        origin_trusted(origins, referer, _single(found.get(b"sec-fetch-site", _NONE)), own, settings.allowed_origins),
        cors_headers(origins, settings.allowed_origins),
    )


# ---- headers ----------------------------------------------------------------------------------

_READ = frozenset(
    (b"origin", b"referer", b"sec-fetch-site", b"host", b"x-forwarded-for", b"x-forwarded-host", b"x-forwarded-proto")
)


# Their presence is what makes a request's source worth judging (every HTTP/1.1 request names a Host).
_JUDGED = _READ - {b"host"}
_NONE: list[str] = []  # a header that is absent (never appended to)


def read_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, list[str]]:
    """Every value of the headers this module reads, in order, in one pass over the request's
    headers (ASGI header names are lower-case)."""
    found: dict[bytes, list[str]] = {}
    for name, value in raw:
        if name in _READ:
            found.setdefault(name, []).append(value.decode("latin-1"))
    return found


def _single(values: list[str]) -> str | None:
    # A header that should appear once but appears several times is not believed at all.
    return values[0] if len(values) == 1 else None


def merge_vary(headers: dict[str, str], *values: str) -> dict[str, str]:
    """A copy of `headers` with `values` added to its Vary header, each name once, first
    spelling kept. (Every answer merges the same few values: the merged text is remembered.)"""
    return {**headers, "vary": _merged_vary(headers.get("vary", ""), values)}


# ---- proxies and the client's address ---------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


@lru_cache(maxsize=4096)  # the same few proxy and client addresses come back on every request
def is_trusted_proxy(address: str, trusted: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(trusted))


@lru_cache(maxsize=4096)
def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _peer(scope: dict[str, Any]) -> str | None:
    client = scope.get("client")
    return client[0] if client else None


def client_address(peer: str | None, forwarded_for: list[str], proxied: bool, settings: Settings) -> str | None:
    """The address of the client: the peer, or, behind trusted proxies, the nearest address in
    `X-Forwarded-For` that is not itself a trusted proxy. Entries further left were written by
    whoever sent the request and could be anything, so the walk goes right to left and stops at
    the first address no trusted proxy vouches for."""
    if not proxied:
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_address(hop):
            return peer  # garbage in the chain: fall back to what the socket says
        if not is_trusted_proxy(hop, settings.trusted_proxies):
            return hop
    return hops[0] if hops else peer


# ---- this server's own origin -------------------------------------------------------------------


def canonical_origin(scheme: str, host: str) -> str:
    """`scheme://host[:port]` as a browser writes it: lower case, default port left out."""
    scheme = scheme.lower()
    host = host.strip().lower()
    name, colon, port = host.rpartition(":")
    if colon and "]" not in port and _DEFAULT_PORTS.get(scheme) == port:
        host = name
    return f"{scheme}://{host}"


def own_origin(scheme: str, found: dict[bytes, list[str]], proxied: bool) -> str | None:
    """The origin the browser saw this server under. A trusted proxy's `X-Forwarded-Host` and
    `-Proto` say what it received (nginx passes its upstream's name as `Host` by default); the
    last value is the one the proxy nearest us wrote."""
    host = _single(found.get(b"host", []))
    if proxied:
        forwarded_host = _last(found.get(b"x-forwarded-host", []))
        forwarded_proto = _last(found.get(b"x-forwarded-proto", []))
        host = forwarded_host or host
        scheme = forwarded_proto or scheme
    return canonical_origin(scheme, host) if host else None


def _last(values: list[str]) -> str | None:
    parts = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return parts[-1] if parts else None


# ---- may the session cookie act? -----------------------------------------------------------------


def referer_origin(referer: str) -> str | None:
    try:
        parts = urlsplit(referer)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname if port is None else f"{parts.hostname}:{port}"
    if ":" in parts.hostname:  # an IPv6 literal keeps its brackets
        host = f"[{parts.hostname}]" if port is None else f"[{parts.hostname}]:{port}"
    return canonical_origin(parts.scheme, host)


def origin_trusted(
    origins: list[str],
    referer: str | None,
    fetch_site: str | None,
    own: str | None,
    allowed: tuple[str, ...],
) -> bool:
    """True when the request comes from this site or an allowed origin, as far as one can tell.

    A request with no `Origin`, no `Referer` and no Fetch Metadata (a script, an old browser)
    is let through: it proves nothing either way, and SameSite keeps the cookie off most
    cross-site requests of old browsers anyway."""
    if len(origins) > 1:
        return False  # no browser sends two; whoever did wants one of them believed
    origin = origins[0] if origins else None
    if origin == "null":
        # An opaque origin (sandboxed frame, file:, a redirect across origins): only the
        # browser's own Fetch Metadata can vouch for it.
        return fetch_site == "same-origin"
    if origin is None and referer is not None:
        origin = referer_origin(referer)
    if origin is not None and origin in allowed:
        return True
    if fetch_site in _FOREIGN_FETCH_SITES:
        return False
    return origin is None or origin == own


# ---- CORS ------------------------------------------------------------------------------------------


_VARY_ONLY = {"vary": "origin"}


def cors_headers(origins: list[str], allowed: tuple[str, ...]) -> dict[str, str]:
    """The CORS headers of an answer (shared: copy before changing)."""
    if len(origins) != 1 or origins[0] not in allowed:
        return _VARY_ONLY
    return _allowed_origin_headers(origins[0])


@lru_cache(maxsize=64)  # one entry per allowed origin
def _allowed_origin_headers(origin: str) -> dict[str, str]:
    return {"access-control-allow-origin": origin, "access-control-allow-credentials": "true", "vary": "origin"}


@lru_cache(maxsize=128)
def _merged_vary(vary: str, values: tuple[str, ...]) -> str:
    names: list[str] = []
    for value in (vary, *values):
        for name in value.split(","):
            name = name.strip()
            if name and name.lower() not in (known.lower() for known in names):
                names.append(name)
    return ", ".join(names)


def preflight_headers(cors: dict[str, str], request_headers: dict[str, str]) -> dict[str, str]:
    """The answer to an OPTIONS preflight: permissions only for an allowed origin."""
    if "access-control-allow-origin" not in cors:
        return cors
    # The allowed headers echo the request's, so the answer varies with them too.
    return merge_vary(
        {
            **cors,
            "access-control-allow-methods": "GET, POST, OPTIONS",
            "access-control-allow-headers": request_headers.get(
                "access-control-request-headers", "content-type, trpc-accept, authorization"
            ),
            "access-control-max-age": "600",
        },
        "access-control-request-headers",
    )
