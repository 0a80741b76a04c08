"""The summary table: one row per measurement, with the ratio each target of issue 5 uses.

``rows(results)`` turns the measurements' result dicts into rows; ``format_table`` prints
them; ``environment`` describes the machine; ``write_json`` saves everything. A measurement
that was not run (``--only``, or no torch) gives rows marked ``n/a``. Targets:

    training GFLOP/s ÷ float32 matmul GFLOP/s          ≥ 0.70
    attnseq s/epoch ÷ torch s/epoch                     ≤ 0.8
    attnseq decode rate ÷ torch decode rate             ≥ 1.5
    batched decode rate ÷ one-at-a-time rate            ≥ 20
    default-recipe time to target ÷ book-recipe time    ≤ 0.25
    default-recipe examples to target                   ≤ one epoch (the train set's size)
    peak RSS of a training run                          < 500 MB
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy

from attnseq.decoding.threads import blas_threads

MET, MISSED, NA, INFO, UNKNOWN = "met", "missed", "n/a", "", "inconclusive"


def row(measurement, value, ratio=None, target="", status=INFO, bound=""):
    return {"measurement": measurement, "value": value, "ratio": ratio, "bound": bound,
            "target": target, "status": status}


def _check(ratio, op: str, limit: float) -> str:
    return MET if (ratio <= limit if op == "≤" else ratio >= limit) else MISSED


def ratio_row(name, num, den, value, op, limit, *, bound=""):
    """A row whose ratio is num / den, checked against ``op limit`` (op is "≤" or "≥")."""
    target = f"{op} {limit:g}"
    if num is None or den is None or den == 0:
        return row(name, value or "not measured", None, target, NA)
    ratio = num / den
    status = _check(ratio, op, limit)
    if bound == "≤" and status == MISSED:
        status = UNKNOWN  # only an upper bound, and it is above the limit: cannot tell
    return row(name, value, ratio, target, status, bound)


def rows(results: dict, *, one_epoch: int | None = None) -> list[dict]:
    """The table's rows from the results of ``benchmarks.harness.run_benchmarks``."""
    tr, dec = results.get("training"), results.get("decoding")
    tt, mem = results.get("time_to_accuracy"), results.get("memory")
    th, sc = results.get("torch"), results.get("scaling")
    out = []
    if tr:
        value = (f"{tr['samples_per_second']:.0f} samples/s, {tr['seconds_per_epoch']:.1f} "
                 f"s/epoch, {tr['gflops']:.1f} vs matmul {tr['matmul']['gflops']:.1f} GFLOP/s")
        if "measured_epoch_seconds" in tr:
            value += f"; a real epoch took {tr['measured_epoch_seconds']:.1f} s"
        out.append(ratio_row("training GFLOP/s ÷ matmul GFLOP/s", tr["gflops"],
                              tr["matmul"]["gflops"], value, "≥", 0.70))
    else:
        out.append(ratio_row("training GFLOP/s ÷ matmul GFLOP/s", None, None, "", "≥", 0.70))
    if tr and th:
        value = f"{tr['seconds_per_epoch']:.1f} vs {th['seconds_per_epoch']:.1f} s/epoch"
        out.append(ratio_row("attnseq ÷ torch s/epoch", tr["seconds_per_epoch"],
                              th["seconds_per_epoch"], value, "≤", 0.8))
    else:
        out.append(ratio_row("attnseq ÷ torch s/epoch", None, None, "", "≤", 0.8))
    if th:  # both decoding rates from the torch peer's run, where their passes take turns
        value = (f"{th['attnseq_decode_per_second']:.0f} vs {th['decode_per_second']:.0f} "
                 f"pairs/s")
        out.append(ratio_row("attnseq ÷ torch decode rate", th["attnseq_decode_per_second"],
                              th["decode_per_second"], value, "≥", 1.5))
    else:
        out.append(ratio_row("attnseq ÷ torch decode rate", None, None, "", "≥", 1.5))
    if dec:
        value = (f"{dec['batched_per_second']:.0f} vs {dec['single_per_second']:.0f} pairs/s, "
                 f"{dec['batched_gflops']:.1f} vs {dec['single_gflops']:.1f} GFLOP/s "
                 f"({dec['single_pairs']} one at a time)")
        out.append(ratio_row("batched ÷ one-at-a-time decoding", dec["batched_per_second"],
                              dec["single_per_second"], value, "≥", 20))
    else:
        out.append(ratio_row("batched ÷ one-at-a-time decoding", None, None, "", "≥", 20))
    out.extend(_accuracy_rows(tt, one_epoch))
    if mem:
        out.append(row("peak RSS of a training run", f"{mem['peak_rss_mb']:.0f} MB",
                        mem["peak_rss_mb"], "< 500 MB",
                        MET if mem["peak_rss_mb"] < 500 else MISSED))
    else:
        out.append(row("peak RSS of a training run", "not measured", None, "< 500 MB", NA))
    if th:
        out.append(row(f"torch {th['torch_version']} ({th['threads']} threads)",
                        f"{th['samples_per_second']:.0f} samples/s, "
                        f"{th['decode_per_second']:.0f} decoded pairs/s"))
    if sc:
        out.extend(_scaling_rows(sc))
    return out


def _accuracy_rows(tt: dict | None, one_epoch: int | None) -> list[dict]:
    name = "time to target: default ÷ book"
    if not tt:
        return [row(name, "not measured", None, "≤ 0.25", NA),
                row("examples to target (default)", "not measured", None, "≤ one epoch", NA)]
    d, b = tt["default"], tt["book"]
    pct = f"{100 * tt['target_accuracy']:g}%"
    value = (f"{d['median_train_seconds']:.1f} s vs {b['median_train_seconds']:.1f} s to {pct} "
             f"(reached {d['reached']}/{len(d['runs'])}, {b['reached']}/{len(b['runs'])})")
    if not d["median_reached"]:
        first = row(name, value, None, "≤ 0.25", MISSED)
    else:
        # If the book's median run never got there, its time is a lower bound: ratio ≤ value.
        first = ratio_row(name, d["median_train_seconds"], b["median_train_seconds"], value,
                           "≤", 0.25, bound="" if b["median_reached"] else "≤")
    epoch = one_epoch if one_epoch is not None else tt["train_examples"]
    examples = d["median_examples"]
    status = MET if d["median_reached"] and examples <= epoch else MISSED
    second = row("examples to target (default)", f"{examples:.0f} examples", examples,
                  f"≤ {epoch} (one epoch)", status)
    return [first, second]


def _scaling_rows(sc: dict) -> list[dict]:
    """Informative rows: how seconds per example grow over each sweep."""
    out = []
    for key, sweep, unit in (("length", sc["by_length"], "L"), ("batch", sc["by_batch"], "N")):
        if len(sweep) < 2:
            continue
        lo, hi = sweep[0], sweep[-1]
        growth = hi["seconds_per_example"] / lo["seconds_per_example"]
        flops = hi["flops_per_example"] / lo["flops_per_example"]
        out.append(row(f"s/example, {unit} {lo[key]} → {hi[key]}",
                        f"{1e3 * lo['seconds_per_example']:.2f} → "
                        f"{1e3 * hi['seconds_per_example']:.2f} ms (×{growth:.2f}; "
                        f"FLOPs ×{flops:.2f})", growth))
    return out


def format_table(table: list[dict]) -> str:
    """The rows as an aligned plain-text table."""
    header = ("measurement", "value", "ratio", "target", "status")
    lines = [header]
    for r in table:
        ratio = "" if r["ratio"] is None else f"{r['bound']}{r['ratio']:.3g}"
        lines.append((r["measurement"], r["value"], ratio, r["target"], r["status"]))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def environment() -> dict:
    """The machine and library versions a result was measured with."""
    threads = blas_threads()
    env = {"python": sys.version.split()[0], "numpy": numpy.__version__,
           "platform": platform.platform(), "cpu": _cpu_name(),
           "cores_available": len(os.sched_getaffinity(0)),
           "numpy_threads": threads,
           "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if "torch" in sys.modules:
        env["torch"] = sys.modules["torch"].__version__
    return env


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_json(path: Path, document: dict) -> Path:
    """Write ``document`` as indented JSON, through a temporary file renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, default=float) + "\n")
    tmp.replace(path)
    return path
