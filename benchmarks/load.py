"""Issue 15's load test: concurrent clients against ``attnseq serve`` on loopback.

``python -m benchmarks.load MODEL_DIR [MODEL_DIR ...] [--clients 8] [--seconds 10]
[--warmup 2] [--beam K] [--json FILE]``

It starts the real server (``python -m attnseq serve ... --port 0``, a subprocess, exactly as
a user would) and runs ``--clients`` clients, each on one kept-alive HTTP connection,
sending ``POST /api/convert`` for date questions of the generated kind (a different question
each time, so nothing can be cached), round-robin over the models, each waiting for its
answer before the next request: a closed loop, so the rate measured is the rate the server
sustains. Requests in the first ``--warmup`` seconds are not counted (the server's first
requests build its caches, Python's among them); then ``--seconds`` of them are. It prints
conversions per second, the latency's median, 99th percentile and maximum, and the errors
(any answer but 200, or a failed connection), against the target of issue 15: at least 200
conversions/s with p99 under 100 ms, and no errors.

The clients run in this process and the server in its own, so on a small machine they share
the cores: the figures include the clients' cost. To keep that cost small the clients are
coroutines on one asyncio event loop, writing each request as bytes and reading only the
status line and Content-Length of each answer (the server always sends one): with 32 of
them, about half the CPU per request of as many threads of ``http.client`` (docs/serve.md,
"Load test").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import urllib.request
from urllib.parse import urlsplit

from attnseq.core.option_types import positive_int_option
from attnseq.serve.server import server_process
from attnseq.tasks.dates import generate_dates

TARGET_RATE = 200.0  # conversions per second
TARGET_P99 = 0.100  # seconds


async def client(host: str, port: int, bodies: list[bytes], stop_at: float,
                 count_from: float, latencies: list[float], errors: list[str]) -> None:
    """Send ``bodies`` in turn until ``stop_at`` (time.perf_counter), recording the latency
    of every answer that arrived after ``count_from`` and every error."""
    head = (f"POST /api/convert HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/json\r\nContent-Length: ").encode()
    reader, writer = await asyncio.open_connection(host, port)
    i = 0
    while (start := time.perf_counter()) < stop_at:
        body = bodies[i % len(bodies)]
        try:
            async with asyncio.timeout(30):
                writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
                status = await read_answer(reader)
            ok, problem = status == 200, f"status {status}"
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as exc:
            ok, problem = False, f"{type(exc).__name__}: {exc}"
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
        end = time.perf_counter()
        if start >= count_from:
            if ok:
                latencies.append(end - start)
            else:
                errors.append(problem)
        i += 1
    writer.close()


async def read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP response (its body by its Content-Length); its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in lines[1:]
                   if line.lower().startswith(b"content-length:")), None)
    if length is None:
        raise ValueError("an answer without Content-Length")
    await reader.readexactly(length)
    return int(lines[0].split(b" ", 2)[1])


def request_bodies(models: list[str], count: int, beam: int | None, seed: int) -> list[bytes]:
    """``count`` request bodies: generated date questions, round-robin over ``models``."""
    bodies = []
    for n, pair in enumerate(generate_dates(count, seed=seed)):
        body = {"text": pair[0], "model": models[n % len(models)]}
        if beam is not None:
            body["beam"] = beam
        bodies.append(json.dumps(body).encode())
    return bodies


def load_test(url: str, models: list[str], clients: int, seconds: float, warmup: float,
              beam: int | None = None) -> dict:
    """Run the clients against the server at ``url``; the measured figures as a dict."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    bodies = [request_bodies(models, 2000, beam, seed=k) for k in range(clients)]
    latencies: list[float] = []
    errors: list[str] = []

    async def run_all() -> None:
        start = time.perf_counter()
        count_from, stop_at = start + warmup, start + warmup + seconds
        await asyncio.gather(*(client(host, port, bodies[k], stop_at, count_from, latencies,
                                      errors) for k in range(clients)))

    asyncio.run(run_all())
    ordered = sorted(latencies)

    def percentile(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")

    return {"clients": clients, "seconds": seconds, "beam": beam, "models": models,
            "conversions": len(latencies), "per_second": len(latencies) / seconds,
            "p50_ms": 1e3 * (statistics.median(ordered) if ordered else float("nan")),
            "p99_ms": 1e3 * percentile(0.99), "max_ms": 1e3 * (ordered[-1] if ordered
                                                                else float("nan")),
            "errors": len(errors), "first_errors": sorted(set(errors))[:5]}


def report(result: dict) -> str:
    met = (result["per_second"] >= TARGET_RATE and result["p99_ms"] < 1e3 * TARGET_P99
           and result["errors"] == 0)
    search = f"beam {result['beam']}" if result["beam"] else "greedy"
    return (f"{result['clients']} clients, {result['seconds']:g} s, {search}, models "
            f"{', '.join(result['models'])}:\n"
            f"  {result['per_second']:.1f} conversions/s ({result['conversions']} in all), "
            f"latency p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max "
            f"{result['max_ms']:.1f} ms, {result['errors']} errors\n"
            f"  target: >= {TARGET_RATE:g}/s, p99 < {1e3 * TARGET_P99:g} ms, 0 errors: "
            f"{'met' if met else 'MISSED'}"
            + "".join(f"\n  error: {e}" for e in result["first_errors"]))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks.load",
                                description="Concurrent clients against attnseq serve on "
                                            "127.0.0.1: conversions/s, p50/p99 latency, "
                                            "errors.")
    p.add_argument("model_dirs", metavar="MODEL_DIR", nargs="+")
    p.add_argument("--clients", type=positive_int_option, default=8,
                   help="concurrent clients (default: 8)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="measured duration (default: 10)")
    p.add_argument("--warmup", type=float, default=2.0,
                   help="seconds of requests before the measurement (default: 2)")
    p.add_argument("--beam", type=positive_int_option, default=None, metavar="K",
                   help="ask for beam search with K beams (default: greedy)")
    p.add_argument("--json", metavar="FILE", help="also write the figures here")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    with server_process(args.model_dirs) as url:
        with urllib.request.urlopen(url + "/api/models", timeout=30) as response:
            models = [m["name"] for m in json.load(response)["models"]]
        print(f"server at {url}; {args.clients} clients for {args.warmup:g} + "
              f"{args.seconds:g} s", file=sys.stderr)
        result = load_test(url, models, args.clients, args.seconds, args.warmup, args.beam)
    print(report(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
