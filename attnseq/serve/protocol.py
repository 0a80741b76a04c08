"""uvicorn's HTTP protocol (httptools) with a deadline and a size bound on every request head.

uvicorn bounds some of what a client can hold (``server.py`` sets them from ``Limits``): a
kept-alive connection idle after a response is closed (``timeout_keep_alive``), and past
``limit_concurrency`` connections a request gets a 503. But it arms no timer before a
connection's first request nor while a head arrives, and httptools takes a head of any size
and any number of headers: a client sending a byte a second, or a megabyte of headers, or
opening connections and saying nothing, would hold them forever.

``GuardedProtocol`` adds, per connection:

- a **head deadline**: a request's line and headers must all have arrived within
  ``Limits.head_timeout`` of the connection's opening, or of the last response on it. A
  connection that sent nothing is closed; one part-way through a head gets a 408 first.
- a **head size bound**: past ``Limits.head_bytes`` bytes, or ``Limits.headers`` header
  lines, the request gets a 431 and the connection is closed. Bytes are counted as they
  arrive, so a head that never ends is refused as soon as it is too long.

The body has its own bound on time, read by the application (``app.py``). Refusals are JSON,
``{"error": message}``, as every other of the server's.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from attnseq.serve.guard import DEFAULT_LIMITS, Limits


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; uvicorn then calls send_400_response."""


def refusal_bytes(status: int, message: str) -> bytes:
    """A whole HTTP response refusing a request: ``{"error": message}``, connection closed."""
    body = json.dumps({"error": message}).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\nx-content-type-options: nosniff\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n")
    return head.encode("ascii") + body


class GuardedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with the head deadline and size bound of ``limits`` (a subclass per
    ``Limits``: ``guarded(limits)``)."""

    limits: ClassVar[Limits] = DEFAULT_LIMITS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0  # bytes received for the head awaited (0: none yet)
        self._head_lines = 0
        self._refusal: tuple[int, str] | None = None
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        awaiting = self._head_timer is not None
        if awaiting:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still waiting after this chunk: every byte counted so far belongs to the head.
        if awaiting and self._head_timer is not None and \
                self._head_bytes > self.limits.head_bytes:
            self._refuse(431, self._too_large())

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_lines += 1
        if self._head_lines > self.limits.headers:
            self._refusal = (431, f"request has over {self.limits.headers} header lines")
            raise _Refused

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.head_bytes:  # a head that came whole in one chunk
            self._refusal = (431, self._too_large())
            raise _Refused
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's head is awaited, unless a pipelined one has already come.
        if not self.pipeline and not self.transport.is_closing():
            self._await_head()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot parse (``msg``), or to a head that a
        callback here refused: JSON, as every refusal."""
        self._refuse(*(self._refusal or (400, msg)))

    def _too_large(self) -> str:
        return f"request line and headers are over {self.limits.head_bytes} bytes"

    def _await_head(self) -> None:
        self._stop_head_timer()
        self._head_bytes = self._head_lines = 0
        self._head_timer = self.loop.call_later(self.limits.head_timeout, self._head_late)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self._head_bytes:
            self._refuse(408, f"request head not received within "
                              f"{self.limits.head_timeout:g} s")
        elif not self.transport.is_closing():
            self.transport.close()  # nothing sent: nothing to answer

    def _refuse(self, status: int, message: str) -> None:
        self._stop_head_timer()
        if not self.transport.is_closing():
            self.transport.write(refusal_bytes(status, message))
            self.transport.close()


def guarded(limits: Limits) -> type[GuardedProtocol]:
    """The protocol class for uvicorn's ``http`` setting, enforcing ``limits``."""
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits})
