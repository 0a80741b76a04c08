"""The NTM's figures: the training curve, and one copy run seen from inside (the paper's
Figure 6: inputs and outputs over time, and where the write and read heads looked).

As in ``attnseq.viz``, figures are ``matplotlib.figure.Figure`` objects that never touch
pyplot; ``attnseq.viz.save_figure`` writes them (on an Agg canvas, atomically).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy
from matplotlib.figure import Figure

from attnseq.viz import CMAP, DPI

CURVE_INCHES = (10.0, 4.0)
COPY_INCHES = (12.0, 7.0)


def curve_figure(histories: Mapping[str, Sequence[Mapping]]) -> Figure:
    """Cost and bit errors per training sequence against sequences seen, one line per
    machine: ``histories`` maps a name to ``attnseq.copytask.train``'s records."""
    fig = Figure(figsize=CURVE_INCHES, dpi=DPI, layout="constrained")
    cost_ax, err_ax = fig.subplots(1, 2)
    for name, history in histories.items():
        seen = [r["sequences"] for r in history]
        cost_ax.plot(seen, [r["cost_bits"] for r in history], label=name)
        err_ax.plot(seen, [r["bit_errors"] for r in history], label=name)
    for ax, what in ((cost_ax, "cost (bits per sequence)"),
                     (err_ax, "bit errors per sequence")):
        ax.set_xlabel("training sequences (lengths 1-20)")
        ax.set_ylabel(what)
        ax.set_yscale("symlog", linthresh=0.1)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return fig


def used_rows(*weights: numpy.ndarray, threshold: float = 0.01, margin: int = 2) -> slice:
    """The band of memory rows any head gave more than ``threshold`` at some step, with
    ``margin`` rows either side (all rows when none did): what is worth drawing."""
    hit = numpy.flatnonzero(numpy.max([w.max(axis=0) for w in weights], axis=0) > threshold)
    if hit.size == 0:
        return slice(0, weights[0].shape[1])
    return slice(max(0, hit[0] - margin), min(weights[0].shape[1], hit[-1] + margin + 1))


def copy_figure(xs: numpy.ndarray, ys: numpy.ndarray, write_w: numpy.ndarray,
                read_w: numpy.ndarray, title: str = "") -> Figure:
    """One sequence: xs (T, I) the inputs, ys (T, O) the output probabilities, write_w and
    read_w (T, N) the heads' weightings; time runs along x in all four panels."""
    fig = Figure(figsize=COPY_INCHES, dpi=DPI, layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    rows = used_rows(write_w, read_w)
    panels = ((axes[0, 0], xs.T, "inputs", "channel (last: delimiter)", None),
              (axes[0, 1], ys.T, "outputs", "bit", None),
              (axes[1, 0], write_w[:, rows].T, "write weighting", "memory row", rows.start),
              (axes[1, 1], read_w[:, rows].T, "read weighting", "memory row", rows.start))
    for ax, image, name, ylabel, first in panels:
        extent = None
        if first is not None:  # label the rows by their real index
            extent = (-0.5, image.shape[1] - 0.5, first + image.shape[0] - 0.5, first - 0.5)
        im = ax.imshow(image, aspect="auto", cmap=CMAP, vmin=0.0, vmax=1.0,
                       interpolation="nearest", extent=extent)
        ax.set_title(name)
        ax.set_ylabel(ylabel)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax in axes[1]:
        ax.set_xlabel("time step")
    if title:
        fig.suptitle(title)
    return fig
