"""The attention explorer: a local web page that converts as you type and shows, for each
served model, the output and where every output character looked in the input.

``attnseq serve MODEL_DIR ...`` runs it (``server.serve``). The pieces, each its own module:

    explorer.py    Explorer: a loaded model and the JSON-ready results it gives for texts
    validation.py  checks a request (fields, sizes, the model's name) before any model runs
    batcher.py     Batcher: the one thread that runs a model, decoding waiting requests together
    app.py         the Starlette application: the page, GET /api/models, POST /api/convert
    guard.py       Limits, and Guard: the Host, Origin and Content-Type checks, the security
                   headers of every response
    protocol.py    uvicorn's HTTP protocol with a deadline and a size bound on request heads
    server.py      serving it with uvicorn; running it as a child process (tests, benchmarks)
    static/        the page: plain HTML, CSS and JavaScript, no build step, nothing fetched
                   from elsewhere, so it works offline

The web framework is an optional extra (``pip install 'attnseq[serve]'``): nothing else in
attnseq imports this package, and ``explorer``, ``validation`` and ``batcher`` need only the
library, so they import without it.
"""

from __future__ import annotations

import importlib.util

# The packages of the ``serve`` extra (pyproject.toml), by their import names.
DEPENDENCIES = ("starlette", "uvicorn", "httptools")


def missing_dependency() -> str | None:
    """The first package of the ``serve`` extra that cannot be imported, or None."""
    for name in DEPENDENCIES:
        if importlib.util.find_spec(name) is None:
            return name
    return None
