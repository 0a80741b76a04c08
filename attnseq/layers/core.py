"""Embedding, affine and softmax: the layers without recurrence.

All of them work on any number of leading axes, so the "Time" variants of the book
(``TimeEmbedding``, ``TimeAffine``) are the same code applied to (N, T, ...) arrays: every
time step is computed at once, as one gather or one matmul over N·T rows.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer


def column_sums(a):
    """Σ over the rows of a (R, C) -> (C,), e.g. a bias's gradient. As a matrix-vector product
    the BLAS sums a float32 (R, C) block several times faster than a reduction along its first
    axis does (docs/performance.md, "The Transformer"). LayerNorm and the Transformer's
    affine maps (``Affine(..., blas_sums=True)``) use it; the book's layers keep NumPy's
    sums, whose order of additions the documented LSTM results were trained with."""
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


def softmax(x, axis: int = -1, mask=None):
    """Numerically stable softmax of ``x`` along ``axis``.

    ``mask`` (broadcastable to ``x``, True where a position may receive weight) gives masked
    positions exactly zero weight. Every row must keep at least one unmasked position.
    """
    if mask is not None:
        x = x + mask_bias(mask, x.dtype)
    top = last_axis_max(x) if axis in (-1, x.ndim - 1) else x.max(axis=axis, keepdims=True)
    y = x - top  # exp never overflows: the largest term is exp(0)
    xp.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def softmax_backward(y, dy, axis: int = -1):
    """Gradient through ``y = softmax(x)``: ``dx = y * (dy - Σ dy·y)``, summed along ``axis``."""
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


class Embedding(Layer):
    """Row lookup: ``out = W[idx]``.

    W: (V, D). forward(idx) with idx of any integer shape S returns (*S, D); ``apply(idx)``
    is the same lookup without a cache (a decoding step's).
    """

    def __init__(self, W):
        super().__init__()
        self.params = [W]
        self.grads = [xp.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def apply(self, idx):
        return self.params[0][idx]

    def backward(self, dout):
        """Add ``dout`` (*S, D) into the rows of dW; ids that repeat accumulate (the book's
        ``np.add.at``: a plain ``dW[idx] += dout`` would keep one row of each repeat)."""
        (dW,) = self.grads
        dW[...] = 0
        xp.add.at(dW, self.idx.ravel(), dout.reshape(-1, dW.shape[1]))
        return None


class TimeEmbedding(Embedding):
    """The book's TimeEmbedding: an ``Embedding`` over (N, T) ids, returning (N, T, D)."""


class Affine(Layer):
    """``out = x @ W + b``.

    W: (I, O), b: (O,). forward(x) with x of shape (*S, I) returns (*S, O): leading axes are
    folded into one matmul over all rows. ``blas_sums``: sum b's gradient over the rows with
    ``column_sums`` (the Transformer's layers) rather than NumPy's reduction (the book's).
    """

    def __init__(self, W, b, *, blas_sums: bool = False):
        super().__init__()
        self.blas_sums = bool(blas_sums)
        self.params = [W, b]
        self.grads = [xp.zeros_like(W), xp.zeros_like(b)]
        self.x_shape = self.x2 = None

    def forward(self, x):
        W, b = self.params
        # (N·T, I), kept for backward: a copy when x is a strided view, made only once
        x2 = x.reshape(-1, W.shape[0])
        self.x_shape, self.x2 = x.shape, x2
        out = x2 @ W  # (N·T, O)
        out += b
        return out.reshape(*x.shape[:-1], W.shape[1])

    def apply(self, x):
        """``forward`` without a cache, for decoding steps: x (*S, I) -> x @ W + b (*S, O)."""
        W, b = self.params
        # one (rows, I) @ (I, O) product: NumPy multiplies an (N, 1, I) x as N small ones
        out = x.reshape(-1, W.shape[0]) @ W
        out += b
        return out.reshape(*x.shape[:-1], W.shape[1])

    def backward(self, dout):
        W, _ = self.params
        dW, db = self.grads
        d2 = dout.reshape(-1, W.shape[1])  # (N·T, O)
        xp.matmul(self.x2.T, d2, out=dW)
        db[...] = column_sums(d2) if self.blas_sums else d2.sum(axis=0)
        return (d2 @ W.T).reshape(self.x_shape)


class TimeAffine(Affine):
    """The book's TimeAffine: an ``Affine`` over (N, T, I) inputs, returning (N, T, O)."""


class Softmax(Layer):
    """Softmax over the last axis, as a layer: forward(x) -> y, backward(dy) -> dx."""

    def __init__(self):
        super().__init__()
        self.y = None

    def forward(self, x):
        self.y = softmax(x)
        return self.y

    def backward(self, dout):
        return softmax_backward(self.y, dout)
