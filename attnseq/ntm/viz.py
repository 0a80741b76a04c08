"""The NTM's figure: one copy run seen from inside (the paper's Figure 6: inputs and outputs
over time, and where the write and read heads looked). The training curves of
docs/figures/ntm are the benchmark's (``benchmarks.ntm``).

As in ``attnseq.experiments.viz``, figures are ``matplotlib.figure.Figure`` objects that never
touch pyplot; ``attnseq.experiments.viz.save_figure`` writes them (on an Agg canvas,
atomically).
"""

from __future__ import annotations

import numpy
from matplotlib.figure import Figure

from attnseq.experiments.viz import CMAP, DPI

COPY_INCHES = (12.0, 7.0)


def used_rows(*weights: numpy.ndarray, threshold: float = 0.01, margin: int = 2):
    """The memory rows worth drawing, in circular order: those any head gave more than
    ``threshold`` at some step, with ``margin`` rows either side, the band starting after
    the longest run of unused rows (a head that walks backwards from row 0 wraps round to
    row N − 1). All rows when no row is used; an int array of row indices."""
    n = weights[0].shape[1]
    used = numpy.max([w.max(axis=0) for w in weights], axis=0) > threshold
    hit = numpy.flatnonzero(used)
    gaps = (numpy.roll(hit, -1) - hit - 1) % n  # unused rows after each used row
    if hit.size == 0 or gaps.max() <= 2 * margin:
        return numpy.arange(n)
    first = hit[(numpy.argmax(gaps) + 1) % hit.size]  # the used row after the longest gap
    span = n - int(gaps.max())
    count = min(n, span + 2 * margin)
    return (first - min(margin, n - span) + numpy.arange(count)) % n


def copy_figure(xs: numpy.ndarray, ys: numpy.ndarray, write_w: numpy.ndarray,
                read_w: numpy.ndarray, title: str = "") -> Figure:
    """One sequence: xs (T, I) the inputs, ys (T, O) the output probabilities, write_w and
    read_w (T, N) the heads' weightings; time runs along x in all four panels."""
    fig = Figure(figsize=COPY_INCHES, dpi=DPI, layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    rows = used_rows(write_w, read_w)
    panels = ((axes[0, 0], xs.T, "inputs", "channel (last: delimiter)", False),
              (axes[0, 1], ys.T, "outputs", "bit", False),
              (axes[1, 0], write_w[:, rows].T, "write weighting", "memory row", True),
              (axes[1, 1], read_w[:, rows].T, "read weighting", "memory row", True))
    for ax, image, name, ylabel, memory in panels:
        im = ax.imshow(image, aspect="auto", cmap=CMAP, vmin=0.0, vmax=1.0,
                       interpolation="nearest")
        if memory:  # label the rows by their own index: the band may wrap round
            ticks = numpy.linspace(0, len(rows) - 1, min(len(rows), 8)).round().astype(int)
            ax.set_yticks(ticks, [str(r) for r in rows[ticks]])
        ax.set_title(name)
        ax.set_ylabel(ylabel)
        fig.colorbar(im, ax=ax, shrink=0.8)
    for ax in axes[1]:
        ax.set_xlabel("time step")
    if title:
        fig.suptitle(title)
    return fig
