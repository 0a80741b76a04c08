"""Peak memory (resident set size) of a short training run, measured in a child process.

A fresh interpreter runs the whole path a user's training takes at the settings' size:
generate the date data, encode it, build the attention model, train ``memory_batches`` steps
(``Trainer.step``: Adam and clipping), and decode the test set once. Its peak RSS is the
figure reported.

How the peak is read. ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` in the parent (KiB on Linux)
is the obvious way, and it is reported too, but on Linux it is not the child's own peak: the
kernel carries the RSS high-water mark of the address space a child replaces at ``exec`` into
the child's ``ru_maxrss``, and ``subprocess`` forks (or vforks) from the parent, so a parent
that is itself large (a test runner, or this harness after importing torch) lends the child
its own size. The child therefore also reports ``VmHWM`` from ``/proc/self/status``: the peak
of its own address space, which starts afresh at ``exec``. That is the kept figure; where
``/proc`` is missing, the child's ``ru_maxrss`` is used instead.

Run as ``python -m benchmarks.memory --child SETTINGS_JSON`` it is that child.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

from attnseq.training.accuracy import accuracy
from benchmarks.workload import Settings, date_task, date_workload, step_trainer

KIB_PER_MB = 1024  # ru_maxrss is in KiB on Linux; reported in MiB ("MB" in the table)


def peak_memory(settings: Settings, *, timeout: float = 600.0) -> dict:
    """Run the training child and return its peak RSS in MB (and how it was measured)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    repo = Path(__file__).resolve().parents[1]  # where ``-m benchmarks.memory`` resolves
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", json.dumps(settings.to_dict())],
        cwd=repo, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the memory child failed ({done.returncode}):\n{done.stderr}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    own = child["vmhwm_kib"] if child["vmhwm_kib"] is not None else child["maxrss_kib"]
    return {
        "peak_rss_mb": own / KIB_PER_MB,
        "peak_from": "VmHWM" if child["vmhwm_kib"] is not None else "ru_maxrss",
        # The kernel's figures, for comparison; both include this process's size at the fork
        # (see the module docstring), and the parent's stays at the largest child it ever ran.
        "child_ru_maxrss_mb": child["maxrss_kib"] / KIB_PER_MB,
        "children_maxrss_mb": after / KIB_PER_MB,
        "children_maxrss_changed": after > before,
        "samples": settings.samples,
        "batches": settings.memory_batches,
        "batch": settings.batch,
        "hidden": settings.hidden,
        "final_loss": child["loss"],
        "test_accuracy": child["accuracy"],
    }


def _child(settings: Settings) -> dict:
    """What the child runs: data, model, ``memory_batches`` training steps, one evaluation."""
    task = date_task(settings)
    work = date_workload(task, settings)
    model, vocab = work.model, work.conv.vocab
    trainer = step_trainer(model, settings)
    b = settings.batch
    loss = float("nan")
    for i in range(settings.memory_batches):
        lo = (i * b) % max(len(work.train_xs) - b + 1, 1)
        loss, _ = trainer.step(work.train_xs[lo:lo + b], work.train_ts[lo:lo + b])
    acc = accuracy(model, work.test_xs, work.test_ts, start_id=vocab.start_id,
                   end_id=vocab.end_id, pad_id=vocab.pad_id, batch_size=settings.decode_batch)
    return {"vmhwm_kib": _vmhwm_kib(),
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "loss": loss, "accuracy": acc}


def _vmhwm_kib() -> int | None:
    """This process's peak resident set size, in KiB, from ``/proc`` (None where absent)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])  # "VmHWM:   123456 kB"
    except OSError:
        pass
    return None


def _settings_from_json(text: str) -> Settings:
    d = json.loads(text)
    names = {f.name for f in fields(Settings)}
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items() if k in names}
    return Settings(**d)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory",
                                     description="the peak-memory benchmark's child process")
    parser.add_argument("--child", metavar="SETTINGS_JSON", required=True,
                        help="run the training child with these settings; print JSON")
    args = parser.parse_args(argv)
    print(json.dumps(_child(_settings_from_json(args.child))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
