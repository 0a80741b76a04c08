"""How the training cost grows with the input length and with the batch size.

The workload is a synthetic reversal task made here (no data to download): inputs are random
strings of L letters, targets the same letters reversed, so the decoder runs L + 1 steps
(the letters and the end token) against L encoder states. Length is what attention makes
expensive: the LSTMs cost O(L) per example but the attention matmuls O(L²), so the seconds
per example are shown next to the analytic FLOPs per example (scaled to the first point).

Two sweeps, each timing ``scaling_iters`` training steps after one warm-up step per point:

* length: L in ``scaling_lengths`` at batch ``scaling_length_batch``;
* batch: N in ``scaling_batches`` at L = ``scaling_batch_length``. FLOPs per example do not
  depend on N, so any fall in seconds per example is matmul efficiency won by larger blocks.

Each sweep is drawn as a small PNG with matplotlib's object API (``Figure`` and the Agg canvas),
so no global pyplot state is touched.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from attnseq.models import AttentionSeq2seq
from benchmarks.flops import train_step_flops
from benchmarks.workload import Settings, summarize, time_train_steps

PAD, START, END = 0, 1, 2
LETTERS = 26
VOCAB = 3 + LETTERS  # the three special ids, then the letters


def reversal_batch(n: int, length: int, rng: numpy.random.Generator):
    """``n`` random reversal pairs as (xs (n, length), ts (n, length + 2)) int32 ids.

    No padding: every input has exactly ``length`` letters, so the cost of a point is the cost
    of that length. (The date encoder reverses its inputs; here the reversal *is* the task.)
    """
    xs = rng.integers(3, VOCAB, size=(n, length), dtype=numpy.int32)
    ts = numpy.empty((n, length + 2), dtype=numpy.int32)
    ts[:, 0] = START
    ts[:, 1:-1] = xs[:, ::-1]
    ts[:, -1] = END
    return xs, ts


def measure_point(settings: Settings, *, batch: int, length: int, seed: int = 0) -> dict:
    """Time training steps of a fresh attention model at one (batch, length)."""
    rng = numpy.random.default_rng(seed)
    # Twice the batch, so that consecutive timed steps read different rows.
    xs, ts = reversal_batch(2 * batch, length, rng)
    model = AttentionSeq2seq(VOCAB, settings.wordvec, settings.hidden, seed=seed, pad_id=PAD)
    timing = replace(settings, batch=batch, warmup=1, iters=settings.scaling_iters)
    step = summarize(time_train_steps(model, xs, ts, timing, seed=seed))
    flops = train_step_flops(batch, length, length + 1, settings.wordvec, settings.hidden,
                             VOCAB).total
    return {"batch": batch, "length": length, "step_seconds": step,
            "seconds_per_example": step["median"] / batch, "flops_per_example": flops / batch,
            "gflops": flops / step["median"] / 1e9}


def scaling(settings: Settings, out_dir: Path | None = None) -> dict:
    """Both sweeps; with ``out_dir``, also ``scaling_length.png`` and ``scaling_batch.png``."""
    by_length = [measure_point(settings, batch=settings.scaling_length_batch, length=L)
                 for L in settings.scaling_lengths]
    by_batch = [measure_point(settings, batch=N, length=settings.scaling_batch_length)
                for N in settings.scaling_batches]
    result = {"task": "reversal", "vocab": VOCAB, "by_length": by_length, "by_batch": by_batch}
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        result["charts"] = {
            "length": str(_chart(by_length, "length", "input length L (characters)",
                                 f"batch {settings.scaling_length_batch}",
                                 out_dir / "scaling_length.png")),
            "batch": str(_chart(by_batch, "batch", "batch size N",
                                f"input length {settings.scaling_batch_length}",
                                out_dir / "scaling_batch.png")),
        }
    return result


def _chart(points: list[dict], key: str, xlabel: str, fixed: str, path: Path) -> Path:
    """Seconds per example against ``key`` on log-log axes, with the FLOP-proportional curve."""
    x = numpy.array([p[key] for p in points], dtype=float)
    measured = numpy.array([p["seconds_per_example"] for p in points])
    flops = numpy.array([p["flops_per_example"] for p in points])
    expected = flops / flops[0] * measured[0]  # what constant GFLOP/s would give
    fig = Figure(figsize=(5.0, 3.4), dpi=110)
    FigureCanvasAgg(fig)  # attaches itself to the figure; nothing global
    ax = fig.add_subplot()
    ax.plot(x, measured * 1e3, "o-", label="measured")
    ax.plot(x, expected * 1e3, "--", color="grey", label="∝ matmul FLOPs per example")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(x, [str(int(v)) for v in x])
    plain = FuncFormatter(lambda v, _: f"{v:g}")  # 0.2, not 2×10⁻¹
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("ms per example (training)")
    ax.set_title(f"attnseq training cost vs {key} ({fixed})", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path
