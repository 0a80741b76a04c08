"""What the explorer's server lets in: its limits, and the checks on every request's headers.

The server is meant for this machine: a browser page on any site could otherwise use it.
Three holes are closed here, before any route runs (``Guard``, an ASGI middleware):

- **DNS rebinding**: a site whose name is made to resolve to 127.0.0.1 would reach the server
  as if from its own origin and could read the model list and conversions. The ``Host``
  header names the site the browser thinks it talks to, so it must be one of ``hosts``: the
  loopback names, the address the server is bound to, and those given with ``--allow-host``.
- **Cross-origin requests**: a page may POST ``text/plain`` to any address without asking
  (a CORS "simple request"), so ``POST`` requires ``Content-Type: application/json``, which a
  browser sends cross-origin only after a preflight that this server never answers; and an
  ``Origin`` header, where there is one, must be this server's own (``http://`` + Host).
- **Framing and sniffing**: every response says ``X-Content-Type-Options: nosniff`` and
  ``X-Frame-Options: DENY``, with a Content-Security-Policy that lets the page load only its
  own script, styles and API (no inline script, no other site, no frame).

A refusal is JSON like every other (``{"error": message}``): 400 without a Host header, 403
for a host or origin not served, 415 for a POST that is not JSON.

``Limits`` gathers the bounds on sizes and times that the server enforces (``server.py`` gives
uvicorn its share; ``protocol.py`` the request heads; ``app.py`` the bodies).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The names under which this machine reaches itself: always allowed as a Host.
LOOPBACK = ("localhost", "127.0.0.1", "::1")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = (("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"),
                    ("content-security-policy", CSP), ("referrer-policy", "no-referrer"))
_RAW_HEADERS = tuple((name.encode(), value.encode()) for name, value in SECURITY_HEADERS)


@dataclass(frozen=True)
class Limits:
    """The server's bounds; the defaults are generous for a page typing dates, tight for a
    client that means harm. Times are in seconds."""

    head_bytes: int = 16 * 1024  # a request's line and headers together
    headers: int = 64  # header lines in one request
    head_timeout: float = 10.0  # for a request's head, from the connection or last response
    body_timeout: float = 10.0  # for a request's body, from the end of its head
    keep_alive: int = 5  # an idle kept-alive connection is closed after this (uvicorn's)
    concurrency: int = 256  # connections and requests at once; past it, 503 (uvicorn's)


DEFAULT_LIMITS = Limits()


def host_name(host: str) -> str:
    """The name in a Host header (or an origin's authority), without its port, lowercase:
    ``[::1]:8000`` -> ``::1``, ``Localhost:80`` -> ``localhost``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """ASGI middleware: refuse requests whose Host, Origin or Content-Type this server does
    not accept (see the module docstring), and add ``SECURITY_HEADERS`` to every response.
    ``hosts`` are the names allowed in a Host header, compared without their port."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...] = LOOPBACK):
        self.app = app
        self.hosts = frozenset(host_name(host) for host in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the lifespan messages
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope["method"], Headers(scope=scope))
        if refusal is not None:
            status, message = refusal
            response = JSONResponse({"error": message}, status_code=status,
                                    headers=dict(SECURITY_HEADERS))
            await response(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_RAW_HEADERS]
            await send(message)

        await self.app(scope, receive, send_secured)

    def refusal(self, method: str, headers: Headers) -> tuple[int, str] | None:
        """(status, message) of why a request with these headers is refused, or None."""
        host = headers.get("host")
        if not host:
            return 400, "request has no Host header"
        if host_name(host) not in self.hosts:
            return 403, (f"host {host_name(host)!r} is not served here; to serve it, start "
                         f"attnseq serve with --allow-host {host_name(host)}")
        origin = headers.get("origin")
        if origin is not None and origin.lower() != f"http://{host.strip().lower()}":
            return 403, f"cross-origin request from {origin!r} refused"
        if method == "POST":
            media_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if media_type != "application/json":
                got = repr(media_type) if media_type else "none"
                return 415, f"Content-Type must be application/json, got {got}"
        return None
