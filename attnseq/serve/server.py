"""Running the explorer: in this process (``attnseq serve``), or as a child process.

``serve`` binds the socket itself before it hands it to uvicorn, so that an address in use
is one clear ``AttnseqError`` (the command line's exit 2) and port 0 works: the line it
prints names the port the system chose. ``server_process`` starts ``attnseq serve --port 0``
in a subprocess and reads that line; the browser test and the load benchmark use it to run
the real server, as a user would, on a free loopback port.

The server answers requests whose Host is a loopback name or the address it is bound to, and
those of ``allow_hosts`` (``--allow-host``: a deliberate bind to another interface, reached
by a name of its own); see ``guard.py``. Its bounds on time and size are ``Limits``: uvicorn
enforces its share (idle kept-alive connections, connections at once), ``protocol.py`` the
request heads, ``app.py`` the bodies.
"""

from __future__ import annotations

import os
import re
import selectors
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from attnseq.core.errors import AttnseqError
from attnseq.decoding.threads import one_blas_thread
from attnseq.serve.explorer import Explorer
from attnseq.serve.guard import DEFAULT_LIMITS, LOOPBACK, Limits

# What ``serve`` prints once it listens; ``server_process`` waits for it.
READY = re.compile(r"^serving .* at (http://\S+)/$")


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port), or the one-line error of why not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise AttnseqError(f"cannot listen on {host}:{port}: {reason}") from None


def serve(explorers: Sequence[Explorer], host: str = "127.0.0.1", port: int = 8000,
          report: Callable[[str], None] = print, allow_hosts: Sequence[str] = (),
          limits: Limits = DEFAULT_LIMITS) -> None:
    """Serve the explorer page and API for ``explorers`` until interrupted (Ctrl-C)."""
    import uvicorn

    from attnseq.serve.app import create_app

    sock = listen(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    app = create_app(explorers, hosts=(*LOOPBACK, bound_host, *allow_hosts), limits=limits)
    where = f"[{bound_host}]" if ":" in bound_host else bound_host
    names = ", ".join(explorer.name for explorer in explorers)
    report(f"serving {names} at http://{where}:{bound_port}/")
    sys.stdout.flush()
    # Each model decodes on a thread of its own (attnseq.serve.batcher): one BLAS thread per
    # call keeps those threads and the BLAS's own from fighting over the cores.
    with one_blas_thread():
        uvicorn.Server(uvicorn_config(app, limits)).run(sockets=[sock])


def uvicorn_config(app: Any, limits: Limits, **settings: Any):
    """uvicorn's settings for serving ``app`` within ``limits`` (``settings`` add to them)."""
    import uvicorn

    from attnseq.serve.protocol import guarded

    # Access lines for every request would cost more than a conversion; errors still show.
    return uvicorn.Config(app, log_level="warning", access_log=False, http=guarded(limits),
                          timeout_keep_alive=limits.keep_alive,
                          limit_concurrency=limits.concurrency, server_header=False,
                          **settings)


@contextmanager
def server_process(model_dirs: Sequence, *, timeout: float = 60.0,
                   env: dict | None = None, options: Sequence[str] = ()) -> Iterator[str]:
    """Run ``python -m attnseq serve MODEL_DIR ... --port 0 [OPTIONS]`` on loopback for the
    block and yield its base URL (``http://127.0.0.1:PORT``); stop it after. A server that
    fails to start raises ``RuntimeError`` with its error output."""
    command = [sys.executable, "-m", "attnseq", "serve", *map(str, model_dirs), "--port", "0",
               *options]
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True,
                                env={**os.environ, **(env or {})})
        try:
            yield _wait_ready(proc, errors, timeout)
        finally:
            proc.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:  # always: the server's stdout is a pipe
                proc.stdout.close()


def _wait_ready(proc: subprocess.Popen, errors, timeout: float) -> str:
    """The URL from the server's ready line, read within ``timeout`` seconds."""
    stdout = proc.stdout
    if stdout is None:
        raise ValueError("the server's stdout must be a pipe (stdout=subprocess.PIPE)")
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if sel.select(timeout=max(0.0, deadline - time.monotonic())):
                line = stdout.readline()
                match = READY.match(line.rstrip("\n"))
                if match:
                    return match.group(1)
                if not line:  # end of output: the process has ended
                    break
    proc.kill()
    code = proc.wait()
    errors.seek(0)
    raise RuntimeError(f"attnseq serve did not start (exit code {code}): "
                       f"{errors.read().strip() or 'no error output'}")
