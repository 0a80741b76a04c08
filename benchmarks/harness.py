"""Running the benchmarks: which ones, in which order, and what comes out.

``run_benchmarks(settings, only=..., out_dir=...)`` runs the chosen measurements and returns
one document: the settings, the machine, every measurement's raw result, and the table rows.
``python -m benchmarks`` is this function plus printing and writing the JSON.

The order is chosen so that the measurements that need a quiet machine (throughput, the torch
peer) run first, while the process is still small, and the long time-to-accuracy runs last.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import report
from benchmarks.memory import peak_memory
from benchmarks.scaling import scaling
from benchmarks.throughput import decoding_throughput, training_throughput
from benchmarks.time_to_accuracy import time_to_accuracy
from benchmarks.workload import Settings, date_task, date_workload

# What ``--only`` accepts, in the order they run.
NAMES = ("training", "decoding", "torch", "memory", "scaling", "time_to_accuracy")


def torch_available() -> bool:
    """True when ``torch`` can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def parse_only(text: str | None) -> tuple[str, ...]:
    """``"training,torch"`` -> ("training", "torch"); None or "" -> every name."""
    if not text:
        return NAMES
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in NAMES]
    if unknown:
        raise ValueError(f"unknown benchmark(s) {', '.join(unknown)}; choose from "
                         f"{', '.join(NAMES)}")
    return tuple(n for n in NAMES if n in names)


def run_benchmarks(settings: Settings, *, only=NAMES, out_dir: Path | None = None,
                   log: Callable[[str], None] = print) -> dict:
    """Run the benchmarks named in ``only``; return {settings, environment, results, rows}.

    ``out_dir`` receives the scaling charts (the caller writes the JSON). ``log`` gets one line
    as each measurement starts and ends.
    """
    results: dict = {}
    skipped: dict = {}
    task = date_task(settings) if set(only) & {"training", "decoding", "torch",
                                               "time_to_accuracy"} else None

    def measure(name: str, fn) -> None:
        log(f"[bench] {name} ...")
        start = time.perf_counter()
        results[name] = fn()
        results[name]["harness_seconds"] = time.perf_counter() - start
        log(f"[bench] {name} done in {results[name]['harness_seconds']:.1f} s")

    if "training" in only:
        measure("training", lambda: training_throughput(date_workload(task, settings),
                                                         settings))
    if "decoding" in only:
        measure("decoding", lambda: decoding_throughput(date_workload(task, settings),
                                                         settings))
    if "torch" in only:
        if torch_available():
            from benchmarks.torch_peer import torch_peer  # noqa: PLC0415 - optional

            measure("torch", lambda: torch_peer(date_workload(task, settings), settings))
        else:
            skipped["torch"] = "torch is not importable (pip install torch==2.13.0)"
            log(f"[bench] torch skipped: {skipped['torch']}")
    if "memory" in only:
        measure("memory", lambda: peak_memory(settings))
    if "scaling" in only:
        measure("scaling", lambda: scaling(settings, out_dir))
    if "time_to_accuracy" in only:
        measure("time_to_accuracy", lambda: time_to_accuracy(task, settings))
    one_epoch = len(task.train) if task is not None else None
    return {"settings": settings.to_dict(), "environment": report.environment(),
            "results": results, "skipped": skipped,
            "rows": report.rows(results, one_epoch=one_epoch)}
