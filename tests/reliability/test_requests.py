"""Hostile and careless requests against the real server (uvicorn, in a thread, on a free
loopback port), sent as raw bytes: each gets its status and its one-line JSON error, and the
server goes on. Slow and idle clients are cut off within the time-outs, set short here so
that each test takes a few seconds; a client that leaves part-way through its body costs one
line of log. ``docs/reliability.md`` ("The server") counts these cases by category; a test
below checks that its table and this file agree.
"""

import http.client
import json
import logging
import re
import select
import socket
import threading
import time
from pathlib import Path

import pytest

from attnseq import cli
from attnseq.decoding.threads import one_blas_thread
from attnseq.experiments.run import Task, run
from attnseq.models.config_entry import model_config
from attnseq.serve.app import create_app
from attnseq.serve.explorer import Explorer
from attnseq.serve.guard import CSP, LOOPBACK, Limits
from attnseq.serve.server import listen, uvicorn_config
from attnseq.training.trainer import TrainConfig

LIMITS = Limits(head_timeout=1.0, body_timeout=1.0, keep_alive=1)
GRACE = 1.5  # seconds a time-out may take beyond its setting on a busy machine
DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
GOOD = b'{"text": "1/2/03"}'


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A tiny attention model: what it converts to does not matter here, only that it runs."""
    out = tmp_path_factory.mktemp("requests") / "attention"
    with one_blas_thread():
        run(Task.dates(300, seed=1), model_config("attention", dict(hidden_size=8,
                                                                    wordvec_size=8)),
            TrainConfig(epochs=1, decay_epochs=1), out=out, progress=False, samples=0,
            report=lambda line: None)
    return out


@pytest.fixture(scope="module")
def port(model_dir):
    """The port of a server on 127.0.0.1 with ``LIMITS``, running for the module."""
    import uvicorn

    sock = listen("127.0.0.1", 0)
    app = create_app([Explorer.load(model_dir)], hosts=(*LOOPBACK, "127.0.0.1"),
                     limits=LIMITS)
    server = uvicorn.Server(uvicorn_config(app, LIMITS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield sock.getsockname()[1]
    server.should_exit = True
    thread.join(10)
    sock.close()


def request(body: bytes = GOOD, *, method: str = "POST", path: str = "/api/convert",
            host: str | None = "127.0.0.1", headers: str = "",
            content_type: str | None = "application/json") -> bytes:
    """A raw HTTP/1.1 request: ``headers`` are extra header lines, each ending in CRLF."""
    lines = f"{method} {path} HTTP/1.1\r\n"
    lines += f"Host: {host}\r\n" if host is not None else ""
    lines += f"Content-Type: {content_type}\r\n" if content_type is not None else ""
    lines += headers + (f"Content-Length: {len(body)}\r\n" if method == "POST" else "")
    return lines.encode() + b"\r\n" + (body if method == "POST" else b"")


def answer(sock: socket.socket) -> tuple[int, http.client.HTTPMessage, bytes]:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response.status, response.headers, response.read()


def exchange(port: int, raw: bytes, chunk: int = 4096):
    """Send ``raw`` in chunks, stopping early once the server answers (it may refuse a head
    long before its end, and close), and return (status, headers, body). A server that
    answered and closed between the check and a send resets the connection (it closed with
    our bytes unread): its answer is in our socket's buffer already, and is read as any."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        for start in range(0, len(raw), chunk):
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(raw[start:start + chunk])
            except (ConnectionResetError, BrokenPipeError):
                break
        return answer(sock)


HUGE_HEADER = f"X-Big: {'a' * 1_000_000}\r\n"
MANY_HEADERS = "".join(f"X-H{i}: {i}\r\n" for i in range(10_000))

# (category, name, raw request, status, error message; {port} is the server's)
CASES = [
    ("body", "an integer past Python's digit limit",
     request(b'{"text": "1/2/03", "beam": ' + b"9" * 5000 + b"}"), 400,
     "request body holds a number of 5000 digits; at most 20"),
    ("body", "8000 opening brackets", request(b"[" * 8000), 400,
     "request body nests 8000 levels deep; at most 16"),
    ("body", "a text of 5000 opening brackets", request(b'{"text":' + b"[" * 5000), 400,
     "request body nests 5001 levels deep; at most 16"),
    ("body", "not JSON", request(b"text=1/2/03"), 400,
     "request body is not JSON: Expecting value: line 1 column 1 (char 0)"),
    ("body", "not UTF-8", request(b'{"text": "\xff"}'), 400,
     "request body is not JSON: 'utf-8' codec can't decode byte 0xff in position 10: "
     "invalid start byte"),
    ("body", "a JSON array", request(b'["1/2/03"]'), 400,
     "request body must be a JSON object, got list"),
    ("body", "an unknown field", request(b'{"txt": "1/2/03"}'), 400,
     "unknown field 'txt'; the fields are text, model, beam, n_best"),
    ("body", "a beam of NaN", request(b'{"text": "1/2/03", "beam": NaN}'), 400,
     "beam must be an integer from 1 to 16, got nan"),
    ("body", "a lone surrogate", request(b'{"text": "\\ud800"}'), 422,
     "unknown character '\\ud800' in input '\\ud800'"),
    ("body", "20 KiB of body", request(b'{"text": "' + b"1" * 20_000 + b'"}'), 413,
     "request body is over 16384 bytes"),
    ("body", "chunks without end", b"POST /api/convert HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
     + b"1000\r\n" + b"1" * 4096 + b"\r\n" + b"1000\r\n" + b"1" * 4096 + b"\r\n"
     + b"1000\r\n" + b"1" * 4096 + b"\r\n" + b"1000\r\n" + b"1" * 4096 + b"\r\n"
     + b"1000\r\n" + b"1" * 4096 + b"\r\n", 413, "request body is over 16384 bytes"),
    ("content type", "text/plain (a cross-site simple request)",
     request(content_type="text/plain"), 415,
     "Content-Type must be application/json, got 'text/plain'"),
    ("content type", "a form", request(content_type="application/x-www-form-urlencoded"), 415,
     "Content-Type must be application/json, got 'application/x-www-form-urlencoded'"),
    ("content type", "none", request(content_type=None), 415,
     "Content-Type must be application/json, got none"),
    ("host", "a rebound name", request(host="attacker.example:{port}"), 403,
     "host 'attacker.example' is not served here; to serve it, start attnseq serve with "
     "--allow-host attacker.example"),
    ("host", "this machine's other address", request(method="GET", path="/api/models",
                                                     host="10.1.2.3"), 403,
     "host '10.1.2.3' is not served here; to serve it, start attnseq serve with "
     "--allow-host 10.1.2.3"),
    ("host", "no Host header", request(host=None), 400, "request has no Host header"),
    ("origin", "another site", request(headers="Origin: http://attacker.example\r\n"), 403,
     "cross-origin request from 'http://attacker.example' refused"),
    ("origin", "another port of this machine",
     request(headers="Origin: http://127.0.0.1:1\r\n"), 403,
     "cross-origin request from 'http://127.0.0.1:1' refused"),
    ("origin", "a sandboxed page", request(headers="Origin: null\r\n"), 403,
     "cross-origin request from 'null' refused"),
    ("head", "a 1 MB header", request(headers=HUGE_HEADER), 431,
     "request line and headers are over 16384 bytes"),
    ("head", "10 000 headers", request(headers=MANY_HEADERS), 431,
     "request has over 64 header lines"),
    ("head", "a 100 KB path", request(method="GET", path="/" + "a" * 100_000), 431,
     "request line and headers are over 16384 bytes"),
    ("head", "not HTTP", b"HELLO\r\n\r\n", 400, "Invalid HTTP request received."),
    ("path", "an unknown path", request(method="GET", path="/api/nothing"), 404, "Not Found"),
    ("path", "out of the static folder", request(method="GET", path="/static/../app.py"), 404,
     "Not Found"),
    ("path", "a GET of the API", request(method="GET"), 405, "Method Not Allowed"),
]


@pytest.mark.parametrize("category,name,raw,status,message", CASES,
                         ids=[f"{c[0]}: {c[1]}" for c in CASES])
def test_a_hostile_request_gets_its_status_and_one_line_error(port, category, name, raw,
                                                              status, message):
    got, headers, body = exchange(port, raw.replace(b"{port}", str(port).encode()))
    assert (got, json.loads(body)) == (status, {"error": message})
    assert headers["content-type"] == "application/json"
    assert headers["x-content-type-options"] == "nosniff"
    if status in (413, 431):  # what is left of the request is not read: closed
        assert headers["connection"] == "close"
    # and the server goes on
    assert exchange(port, request())[0] == 200


def test_a_loopback_host_with_its_own_origin_converts(port):
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "[::1]"):
        status, _, body = exchange(port, request(host=host,
                                                 headers=f"Origin: http://{host}\r\n"))
        assert status == 200 and json.loads(body)["text"] == "1/2/03"


def test_every_response_forbids_framing_and_sniffing_and_the_page_has_a_strict_csp(port):
    page = exchange(port, request(method="GET", path="/"))
    script = exchange(port, request(method="GET", path="/static/app.js"))
    refused = exchange(port, request(content_type="text/plain"))
    assert [page[0], script[0], refused[0]] == [200, 200, 415]
    for _, headers, _ in (page, script, refused):
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["content-security-policy"] == CSP
    assert page[0] == 200 and b"<script src=\"/static/app.js\">" in page[2]
    assert "script-src 'self';" in CSP and "'unsafe-inline'" not in CSP
    assert not re.search(rb"<script>|<style>| style=| on[a-z]+=", page[2])  # nothing inline


def test_allow_host_admits_a_name_chosen_for_a_non_loopback_bind(model_dir):
    from starlette.testclient import TestClient

    app = create_app([Explorer.load(model_dir)], hosts=(*LOOPBACK, "explorer.lan"))
    with TestClient(app, base_url="http://explorer.lan:8000") as client:
        assert client.post("/api/convert", json={"text": "1/2/03"}).status_code == 200
    args = cli.build_parser().parse_args(["serve", "M", "--host", "0.0.0.0", "--allow-host",
                                          "explorer.lan", "--allow-host", "10.1.2.3"])
    assert args.allow_host == ["explorer.lan", "10.1.2.3"]


def closed_within(sock: socket.socket, seconds: float) -> tuple[float, bytes]:
    """Seconds until the server closed ``sock`` (at most ``seconds``) and what it sent."""
    start, data = time.monotonic(), b""
    sock.settimeout(seconds)
    while chunk := sock.recv(65536):
        data += chunk
    return time.monotonic() - start, data


def test_a_client_sending_its_head_slowly_is_answered_408_and_closed(port):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.monotonic()
        for line in (b"POST /api/convert HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"X-A: 1"):
            sock.sendall(line)  # a line every 0.4 s: the head is late after 1 s
            if select.select([sock], [], [], 0.4)[0]:
                break
        _, data = closed_within(sock, LIMITS.head_timeout + GRACE)
        assert time.monotonic() - start < LIMITS.head_timeout + GRACE
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert data.endswith(b'{"error": "request head not received within 1 s"}')


def test_a_connection_that_says_nothing_is_closed(port):
    with socket.create_connection(("127.0.0.1", port)) as sock:
        seconds, data = closed_within(sock, LIMITS.head_timeout + GRACE)
    assert data == b"" and seconds < LIMITS.head_timeout + GRACE


def test_an_idle_kept_alive_connection_is_closed(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request())
        assert answer(sock)[0] == 200
        seconds, data = closed_within(sock, LIMITS.keep_alive + GRACE)
    assert data == b"" and seconds < LIMITS.keep_alive + GRACE


def test_a_client_sending_its_body_slowly_is_answered_408_and_closed(port):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request(b'{"text": "1/2/03"}' + b" " * 100)[:-100])
        seconds, data = closed_within(sock, LIMITS.body_timeout + GRACE)
    assert seconds < LIMITS.body_timeout + GRACE
    assert data.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert data.endswith(b'{"error":"request body not received within 1 s"}')


class Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_a_client_leaving_mid_body_costs_one_line_of_log(port):
    lines = Lines()
    loggers = [logging.getLogger(name) for name in ("attnseq.serve", "uvicorn.error",
                                                    "uvicorn", "asyncio")]
    for logger in loggers:
        logger.addHandler(lines)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(request(b'{"text": "1/2/03"}' + b" " * 100)[:-100])
            time.sleep(0.2)
        deadline = time.monotonic() + 5
        while not lines.lines and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a traceback or a second line would have come by now
    finally:
        for logger in loggers:
            logger.removeHandler(lines)
    assert len(lines.lines) == 1 and "\n" not in lines.lines[0]
    assert re.fullmatch(r"a client \(127\.0\.0\.1:\d+\) closed its connection before "
                        r"sending its whole request", lines.lines[0])


def test_the_reliability_page_counts_these_cases():
    """docs/reliability.md's table for the server: each category's cases and handled."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## The server"):]
    end = section.find("\n## ", 1)  # the next section, if any
    section = section if end < 0 else section[:end]
    rows = re.findall(r"^\| request (\w[\w ]*?) \| (\d+) \| (\d+) \|$", section, re.M)
    counts: dict[str, int] = {}
    for category, *_ in CASES:
        counts[category] = counts.get(category, 0) + 1
    # every case passes above, so each category is handled in full
    assert {name: (int(cases), int(handled)) for name, cases, handled in rows} == {
        name: (n, n) for name, n in counts.items()}
