"""What stands between the workspace and the rest of the machine (and network).

- Host check: only the names the server was started for are answered, which defeats DNS rebinding (a web page
  whose domain resolves to 127.0.0.1 reaching the workspace from the user's own browser).
- Access token: required when bound beyond loopback; given once as ?token=, then kept in an HttpOnly cookie.
- Edits: POST only, from the same origin (Origin or Referer), with the CSRF token the page's form carries.
- Every response: a Content-Security-Policy without inline script, nosniff, no framing, no referrer.
"""
from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse, RedirectResponse

COOKIE = "winloss_token"
SECURITY_HEADERS = [
    (b"content-security-policy", (b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                  b"media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def new_token() -> str:
    return secrets.token_urlsafe(24)


def same(a: str | None, b: str) -> bool:
    return a is not None and hmac.compare_digest(a.encode(), b.encode())


class Guard:
    """ASGI middleware: host check, access token, same-origin POST, security headers."""

    def __init__(self, app, hosts: set[str] | None, access_token: str | None):
        self.app = app
        self.hosts = None if hosts is None else {h.lower() for h in hosts}
        self.access_token = access_token

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        refusal = self._refuse(scope, headers, host)
        if refusal is not None:
            return await self._secure(refusal)(scope, receive, send)

        async def send_secure(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_secure)

    def _refuse(self, scope, headers: Headers, host: str):
        name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.split("]")[0].lower() + "]"
        if self.hosts is not None and name not in self.hosts:
            return PlainTextResponse("unknown host: this workspace answers only the address it printed", 421)
        if self.access_token:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if same(query.get("token"), self.access_token):
                rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
                response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
                response.set_cookie(COOKIE, self.access_token, httponly=True, samesite="strict")
                return response
            cookie = _cookie(headers.get("cookie", ""), COOKIE)
            if not same(cookie, self.access_token):
                return PlainTextResponse("access token required: open the URL `winloss serve` printed", 403)
        if scope["method"] not in ("GET", "HEAD", "POST"):
            return PlainTextResponse("method not allowed", 405)
        if scope["method"] == "POST":
            origin = headers.get("origin") or _origin(headers.get("referer", ""))
            if origin != f"{scope.get('scheme', 'http')}://{host}":
                return PlainTextResponse("edits must come from the workspace's own pages", 403)
        return None

    @staticmethod
    def _secure(response):
        response.headers.update({k.decode(): v.decode() for k, v in SECURITY_HEADERS})
        return response


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def _origin(referer: str) -> str | None:
    parts = referer.split("/")
    return "/".join(parts[:3]) if len(parts) >= 3 and parts[0] in ("http:", "https:") else None
