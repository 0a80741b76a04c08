"""The web application: one static page and a JSON API over the served models (Starlette).

    GET  /               the attention explorer (static/index.html, its script and styles)
    GET  /api/models     {"models": [Explorer.describe(), ...], "max_beam": 16}
    POST /api/convert    {"text", "model"?, "beam"?, "n_best"?} (attnseq.serve.validation)
                         -> {"model", "text", **Explorer.explain(...)}, or a 4xx
                         {"error": message}; a model that fails answers 500 {"error": ...}

Every other refusal (an unknown path, a method not allowed, a Host, Origin or Content-Type
refused by ``attnseq.serve.guard.Guard``, which wraps the routes) is JSON as well. A body is
read within ``Limits.body_timeout`` seconds (else 408); a client that goes away part-way
through its body costs one line of log.

Requests are checked here, on the event loop (parsing and the vocabulary lookups are cheap
and touch no model), so a bad request is answered at once and never reaches a batch; the
conversions run on each model's ``Batcher`` thread, and the loop awaits their futures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from attnseq.core.errors import AttnseqError
from attnseq.serve.batcher import Batcher
from attnseq.serve.explorer import Explorer
from attnseq.serve.guard import DEFAULT_LIMITS, LOOPBACK, Guard, Limits
from attnseq.serve.validation import (
    MAX_BEAM,
    MAX_BODY,
    ApiError,
    check_text,
    parse_body,
    parse_convert,
)

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("attnseq.serve")


def create_app(explorers: Sequence[Explorer], hosts: Sequence[str] = LOOPBACK,
               limits: Limits = DEFAULT_LIMITS) -> Starlette:
    """The application serving ``explorers`` (at least one, with distinct names), each
    converting on a ``Batcher`` thread of its own, to requests whose Host is one of ``hosts``
    (``Guard``). ``app.state.batchers`` maps each name to its batcher (tests and benchmarks
    read their counts)."""
    if not explorers:
        raise AttnseqError("no model to serve")
    models = {}
    for explorer in explorers:
        if explorer.name in models:
            raise AttnseqError(f"two models are named {explorer.name!r}")
        models[explorer.name] = explorer
    batchers = {name: Batcher(_decoder(explorer), name) for name, explorer in models.items()}

    async def index(request: Request):
        return FileResponse(STATIC / "index.html")

    async def list_models(request: Request):
        return JSONResponse({"models": [m.describe() for m in models.values()],
                             "max_beam": MAX_BEAM})

    async def convert(request: Request):
        try:
            body = await _read_body(request, MAX_BODY, limits.body_timeout)
            req = parse_convert(parse_body(body), models)
            check_text(models[req.model], req.text)
        except ApiError as exc:
            # A body too slow or too large is not read to its end: the connection is closed
            # (else the rest of it would be read, only to be thrown away).
            headers = {"connection": "close"} if exc.status in (408, 413) else None
            return JSONResponse({"error": exc.message}, status_code=exc.status,
                                headers=headers)
        except ClientDisconnect:
            client = request.client
            log.warning("a client%s closed its connection before sending its whole request",
                        f" ({client.host}:{client.port})" if client else "")
            return JSONResponse({"error": "the request ended early"}, status_code=400)
        future = batchers[req.model].submit((req.beam, req.n_best), req.text)
        try:
            result = await asyncio.wrap_future(future)
        except Exception as exc:  # noqa: BLE001 -- one request fails, the server goes on
            log.exception("converting %r with %s failed", req.text, req.model)
            return JSONResponse({"error": f"the model failed: {exc}"}, status_code=500)
        return JSONResponse({"model": req.model, "text": req.text, **result})

    @asynccontextmanager
    async def lifespan(app):
        yield
        for batcher in batchers.values():
            batcher.close(timeout=5)

    app = Starlette(routes=[Route("/", index), Route("/api/models", list_models),
                            Route("/api/convert", convert, methods=["POST"]),
                            Mount("/static", StaticFiles(directory=STATIC), name="static")],
                    middleware=[Middleware(Guard, hosts=tuple(hosts))],
                    exception_handlers={HTTPException: _http_error}, lifespan=lifespan)
    app.state.batchers = batchers
    return app


async def _http_error(request: Request, exc: Exception):
    """Starlette's own refusals (no such path, a method not allowed) as JSON too. Registered
    for HTTPException only; Starlette types every handler's exception as Exception."""
    if not isinstance(exc, HTTPException):
        raise exc
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def _decoder(explorer: Explorer):
    """The batch function of ``explorer``'s Batcher: its key is (beam, n_best), None: greedy."""
    def run(key, texts):
        beam, n_best = key
        search = None if beam is None else explorer.converter.beam(beam=beam, n_best=n_best)
        return explorer.explain(texts, search)
    return run


async def _read_body(request: Request, limit: int, seconds: float) -> bytes:
    """The request body, refused with a 413 as soon as it grows past ``limit`` bytes (a
    client cannot make the server read or hold more, whatever it says its length is), and
    with a 408 unless it has all come within ``seconds``."""
    body = bytearray()
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise ApiError(413, f"request body is over {limit} bytes")
    except TimeoutError:
        raise ApiError(408, f"request body not received within {seconds:g} s") from None
    return bytes(body)
