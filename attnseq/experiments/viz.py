"""The chapter's figures: accuracy curves (Figure 8-26) and attention heatmaps (Figure 8-27).

Figures are built as ``matplotlib.figure.Figure`` objects on an Agg canvas, never through
pyplot, so nothing here touches matplotlib's global state (no current figure, no backend
switch) and the functions work the same in a script, a test or a headless server::

    fig, maps = attention_figure(Converter.load("runs/attention"), ["September 25, 1984"])
    save_figure(fig, "attention.png")

Sizes are fixed per panel, so an image's pixel size is predictable: an attention grid of
``rows`` x ``cols`` panels is ``cols * PANEL_INCHES[0] * DPI`` by ``rows * PANEL_INCHES[1] * DPI``
pixels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

import numpy
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from attnseq.core.errors import AttnseqError

DPI = 100
PANEL_INCHES = (6.0, 4.5)  # one attention heatmap: room for ~30 labelled input characters
ACCURACY_INCHES = (12.0, 4.5)  # the two panels of the accuracy figure, side by side
COLUMNS = 2  # attention panels per row of the grid
CMAP = "viridis"  # perceptually uniform: equal steps in weight look like equal steps in colour
SPACE = "\u2423"  # '␣': a blank tick label would hide where the spaces are


class AttentionMap(NamedTuple):
    """One conversion's attention: ``weights`` (len(outputs), len(inputs)); row i is what
    output token i attended to over the input tokens in reading order. Rows sum to 1.
    """

    inputs: list[str]
    outputs: list[str]
    weights: numpy.ndarray


def _new_figure(inches: tuple[float, float]) -> Figure:
    """A figure on its own Agg canvas: no pyplot, no global figure registry."""
    fig = Figure(figsize=inches, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def token_label(token: str) -> str:
    """A tick label for a token: spaces become '␣' so that they stay visible."""
    return token.replace(" ", SPACE)


# -- Figure 8-27: attention heatmaps ----------------------------------------------------------

def attention_figure(converter, texts: Sequence[str], *, columns: int = COLUMNS,
                     search=None) -> tuple[Figure, list[AttentionMap]]:
    """Convert ``texts`` with an attention model and draw one heatmap per text.

    ``search`` (an ``attnseq.decoding.BeamSearch``) converts by beam search and draws the
    attention of each text's best hypothesis; None converts greedily. Returns the figure and,
    for each text, the ``AttentionMap`` drawn (its ``weights`` are the exact matrix shown).
    Raises ``AttnseqError`` for a model without attention, an empty text, or characters
    outside the model's vocabulary -- before anything is drawn.
    """
    if isinstance(texts, str):
        texts = [texts]  # one text, not a sequence of one-character texts
    if not texts:
        raise AttnseqError("no texts to show attention for")
    maps = [AttentionMap(list(i), list(o), w)
            for i, o, w in converter.attention(list(texts), search=search)]
    titles = [f"{text!r} \u2192 {converter.vocab.join(m.outputs)!r}"
              for text, m in zip(texts, maps)]
    return heatmap_figure(maps, titles=titles, columns=columns), maps


def heatmap_figure(maps: Sequence[AttentionMap], *, titles: Sequence[str] | None = None,
                   columns: int = COLUMNS) -> Figure:
    """Draw attention maps in a grid, ``columns`` panels wide, with one shared colour bar.

    In each panel the input tokens run along x in reading order and the output tokens down y
    (the first output at the top), every cell labelled; colours span 0..1 in every panel so
    panels compare. The figure has one axes per map plus one for the colour bar.
    """
    if not maps:
        raise AttnseqError("no attention maps to draw")
    if titles is not None and len(titles) != len(maps):
        raise AttnseqError(f"got {len(titles)} titles for {len(maps)} attention maps")
    cols = max(1, min(int(columns), len(maps)))
    rows = math.ceil(len(maps) / cols)
    fig = _new_figure((cols * PANEL_INCHES[0], rows * PANEL_INCHES[1]))
    grid = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(grid.flat):
        if k >= len(maps):
            ax.remove()  # an unused cell of the last row
            continue
        m = maps[k]
        weights = numpy.asarray(m.weights, dtype=float)
        if weights.shape != (len(m.outputs), len(m.inputs)):
            raise AttnseqError(f"attention map {k + 1}: weights {weights.shape} do not match "
                               f"{len(m.outputs)} outputs x {len(m.inputs)} inputs")
        _draw_heatmap(ax, m, weights)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    # Every panel uses the same 0..1 scale, so one colour bar serves them all.
    scale = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=CMAP)
    fig.colorbar(scale, ax=grid.ravel().tolist()[:len(maps)], label="attention weight",
                 shrink=0.9)
    return fig


def _draw_heatmap(ax, m: AttentionMap, weights: numpy.ndarray) -> None:
    """One panel: weights (len(m.outputs), len(m.inputs)), input along x, output down y."""
    if weights.size:
        ax.imshow(weights, cmap=CMAP, vmin=0.0, vmax=1.0, aspect="auto",
                  interpolation="nearest")
    else:  # the model stopped at once: an empty panel that still shows the input
        ax.set_xlim(-0.5, len(m.inputs) - 0.5)
        ax.text(0.5, 0.5, "no output", transform=ax.transAxes, ha="center", va="center")
    ax.set_xticks(range(len(m.inputs)), labels=[token_label(t) for t in m.inputs], fontsize=8)
    ax.set_yticks(range(len(m.outputs)), labels=[token_label(t) for t in m.outputs], fontsize=8)
    ax.tick_params(length=0)
    ax.set_xlabel("input (reading order)")
    ax.set_ylabel("output")


# -- a Transformer's heads: every layer's and head's weights ------------------------------------

HEAD_INCHES = (3.2, 2.6)  # one head's panel of the per-head grid
START_LABEL = "<s>"  # the start token, what the decoder reads at its first step


def heads_figure(heads: Mapping, title: str = "") -> Figure:
    """Draw one text's ``Converter.attention_heads`` entry as a grid: a row per layer of
    encoder self-attention, then decoder self-attention, then cross-attention, a column per
    head; each panel's x axis is the keys (input tokens, or for the decoder's self-attention
    the tokens it read: the start token, then the outputs but the last), its y axis the
    queries (input tokens, or the output token each step emitted)."""
    read = [START_LABEL, *heads["outputs"][:-1]]
    kinds = (("encoder", heads["inputs"], heads["inputs"]),
             ("decoder", heads["outputs"], read),
             ("cross", heads["outputs"], heads["inputs"]))
    rows = [(f"{kind} layer {l + 1}", A, q, k) for kind, q, k in kinds
            for l, A in enumerate(heads[kind])]
    n_heads = rows[0][1].shape[0]
    fig = _new_figure((n_heads * HEAD_INCHES[0], len(rows) * HEAD_INCHES[1]))
    grid = fig.subplots(len(rows), n_heads, squeeze=False)
    for r, (name, A, queries, keys) in enumerate(rows):
        for h in range(n_heads):
            ax = grid[r, h]
            if A.shape[1] and A.shape[2]:
                ax.imshow(A[h], cmap=CMAP, vmin=0.0, vmax=1.0, aspect="auto",
                          interpolation="nearest")
            ax.set_xticks(range(len(keys)), labels=[token_label(t) for t in keys], fontsize=5)
            ax.set_yticks(range(len(queries)), labels=[token_label(t) for t in queries],
                          fontsize=5)
            ax.tick_params(length=0)
            ax.set_title(f"{name}, head {h + 1}", fontsize=7)
    fig.colorbar(ScalarMappable(norm=Normalize(0.0, 1.0), cmap=CMAP), ax=grid.ravel().tolist(),
                 label="attention weight", shrink=0.5)
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


# -- Figure 8-26: accuracy curves -------------------------------------------------------------

def elapsed_seconds(records: Sequence[Mapping]) -> list[float]:
    """Time at the end of each epoch: the records' ``wall_seconds`` (wall clock since training
    began, evaluation included) when every record has it, else the cumulative ``seconds``.
    """
    if records and all("wall_seconds" in r for r in records):
        return [float(r["wall_seconds"]) for r in records]
    return numpy.cumsum([float(r["seconds"]) for r in records]).tolist()


def accuracy_figure(curves: Mapping[str, Sequence[Mapping]]) -> Figure:
    """Test exact-match accuracy of several models: per epoch (left, the book's Figure 8-26)
    and against elapsed seconds (right). ``curves`` maps a model name to its per-epoch
    records (a ``History`` or a list of dicts with ``epoch``, ``accuracy``, ``seconds``).
    """
    if not curves:
        raise AttnseqError("no curves to draw")
    fig = _new_figure(ACCURACY_INCHES)
    by_epoch, by_time = fig.subplots(1, 2)
    max_epoch = 1
    for k, (name, records) in enumerate(curves.items()):
        records = list(records)
        epochs = [int(r["epoch"]) for r in records]
        acc = [float(r["accuracy"]) for r in records]
        max_epoch = max([max_epoch, *epochs])
        # clip_on=False: a marker at accuracy 1.0 sits on the frame and must not be cut in half
        style = {"color": f"C{k}", "marker": "o", "markersize": 4, "clip_on": False}
        by_epoch.plot(epochs, acc, label=name, **style)
        by_time.plot(elapsed_seconds(records), acc, label=name, **style)
    by_epoch.set_xlim(0.5, max_epoch + 0.5)
    by_epoch.set_xticks(range(1, max_epoch + 1))
    by_epoch.set_xlabel("epoch")
    by_epoch.set_title("accuracy per epoch")
    by_time.set_xlim(left=0)
    by_time.set_xlabel("wall-clock seconds since training began")
    by_time.set_title("accuracy against time")
    for ax in (by_epoch, by_time):
        ax.set_ylim(0.0, 1.0)
        ax.set_ylabel("test exact-match accuracy")
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best")
    return fig


# -- saving -----------------------------------------------------------------------------------

def save_figure(fig: Figure, path) -> Path:
    """Write ``fig`` to ``path``, in the format its suffix names (.png, .svg, .pdf, ...).

    The image is written beside the target and renamed over it, so a failed save never leaves
    half a file; directories on the way are created. Errors are ``AttnseqError``.
    """
    path = Path(path)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    if path.is_dir():
        raise AttnseqError(f"{path} is a directory; give a file name such as {path / 'a.png'}")
    kind = path.suffix[1:].lower()
    if kind not in canvas.get_supported_filetypes():
        raise AttnseqError(f"{path}: cannot tell the image format from the suffix; use "
                           ".png, .svg or .pdf")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(tmp, format=kind, dpi="figure")
        os.replace(tmp, path)
    except OSError as exc:
        with suppress(OSError):  # best effort: the original error is the one to report
            tmp.unlink()
        raise AttnseqError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path

