"""The admin dashboard at /admin: the committed single-page app (built from admin/ by esbuild).

Files come from app/static/admin; any other path under /admin is a client-side route and gets
index.html; without a session cookie a route redirects to the sign-in route, so a signed-out
browser never asks the API who it is only to be told 401. Every answer carries a Content-Security-Policy that allows only this origin's script
and styles (nothing inline) and forbids framing, so the signed-in dashboard cannot be clickjacked.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from app.auth.sessions import SESSION_COOKIE

STATIC_DIR = Path(__file__).resolve().parent / "static" / "admin"
ADMIN_PREFIX = "/admin"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    # The bundle's file names do not change between builds: always revalidate.
    "cache-control": "no-cache",
}


def _asset(relative: str) -> Path | None:
    """The file under STATIC_DIR that the path names, or None (never anything outside it)."""
    if not relative or relative.endswith("/"):
        return None
    candidate = (STATIC_DIR / relative).resolve()
    if STATIC_DIR not in candidate.parents or not candidate.is_file():
        return None
    return candidate


async def admin_page(request: Request) -> Response:
    relative = request.path_params.get("path", "")
    asset = _asset(relative) if "." in relative.rsplit("/", 1)[-1] else None
    if asset is None and relative.startswith("assets/"):
        return Response("Not found", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    if asset is None and relative != "signin" and not request.cookies.get(SESSION_COOKIE):
        # Only whether the cookie is there: the page still learns who is signed in from auth.me.
        return RedirectResponse(ADMIN_PREFIX + "/signin", status_code=303, headers=SECURITY_HEADERS)
    path = asset or STATIC_DIR / "index.html"
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    return Response(path.read_bytes(), media_type=media_type, headers=SECURITY_HEADERS)


async def admin_root(_: Request) -> Response:
    return RedirectResponse(ADMIN_PREFIX + "/", status_code=308)


ADMIN_ROUTES = [
    Route(ADMIN_PREFIX, admin_root, methods=["GET", "HEAD"]),
    Route(ADMIN_PREFIX + "/{path:path}", admin_page, methods=["GET", "HEAD"]),
]
