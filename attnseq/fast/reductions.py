"""Reductions in fewer, larger operations: sums and means as BLAS matrix-vector products,
the maximum of many short rows column by column, masks as an additive bias.

Each returns the numbers of the NumPy reduction it replaces (up to the order of float
additions); ``tests/fast/test_reductions.py`` holds them to that. The fast layers
(``FastAffine``, ``FastLayerNorm``, ``FastMultiHeadAttention``) use them.
"""

from __future__ import annotations

from attnseq.core.backend import xp


def column_sums(a):
    """Σ over the rows of a (R, C) -> (C,), e.g. a bias's gradient. As a matrix-vector product
    the BLAS sums a float32 (R, C) block several times faster than a reduction along its first
    axis does (docs/performance.md, "The Transformer"). ``FastLayerNorm`` and ``FastAffine``
    use it; the book's layers keep NumPy's sums, whose order of additions the documented LSTM
    results were trained with."""
    return xp.ones(a.shape[0], dtype=a.dtype) @ a


def _rows_weighted(x, weight: float):
    """Σ over the last axis of x (*S, D) of ``weight`` · x, kept as (*S, 1): one matrix-vector
    product, for the same reason as ``column_sums``."""
    D = x.shape[-1]
    return (x.reshape(-1, D) @ xp.full((D, 1), weight, dtype=x.dtype)).reshape(
        *x.shape[:-1], 1)


def row_means(x):
    """The mean over the last axis of x (*S, D), kept as (*S, 1)."""
    return _rows_weighted(x, 1.0 / x.shape[-1])


def row_sums(x):
    """The sum over the last axis of x (*S, D), kept as (*S, 1)."""
    return _rows_weighted(x, 1.0)


def row_dots(a, b):
    """Σ over the last axis of a ⊙ b, both (*S, D), kept as (*S, 1): one pass of ``einsum``,
    with no (*S, D) product made first."""
    return xp.einsum("...d,...d->...", a, b)[..., None]


def mask_bias(mask, dtype):
    """0 where ``mask`` is True, −∞ where it is False, as ``dtype``: added to scores, the
    same numbers as ``where(mask, x, −∞)``, in a cheaper pass (and in place if need be)."""
    return xp.where(mask, xp.zeros((), dtype), xp.asarray(-xp.inf, dtype))


def last_axis_max(x):
    """max over the last axis of x (*S, C), kept as (*S, 1); the same numbers as
    ``x.max(axis=-1, keepdims=True)``. NumPy reduces a short last axis one row at a time,
    which for many short rows (attention scores (N, h, Tq, Tk)) costs several times what
    an elementwise maximum over the C columns in turn does, each pass vectorised over all
    the rows; few long rows keep NumPy's reduction (docs/performance.md, "The
    Transformer")."""
    C = x.shape[-1]
    if C < 2 or x.size < 8 * C * C:  # rows < 8·C: the column passes' overhead would dominate
        return x.max(axis=-1, keepdims=True)
    m = x[..., :1].copy()
    for j in range(1, C):
        xp.maximum(m, x[..., j:j + 1], out=m)
    return m
