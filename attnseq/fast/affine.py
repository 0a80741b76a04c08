"""FastAffine: the book's ``Affine`` with its bias gradient summed by the BLAS.

forward is the book's (x (*S, I) folded into one (rows, I) @ (I, O) product: an (N, 1, I)
decoding step is one product, not N small ones); backward sums db with ``column_sums``, a
matrix-vector product, several times faster than NumPy's reduction over the rows of a
float32 block (docs/performance.md, "The Transformer").
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.fast.reductions import column_sums
from attnseq.layers.core import Affine


class FastAffine(Affine):
    """FastAffine(W (I, O), b (O,)): ``Affine``'s contract; forward(x (*S, I)) -> (*S, O).
    ``apply(x)`` is forward without a cache, for the fast layers' decoding steps."""

    def apply(self, x):
        W, b = self.params
        # one (rows, I) @ (I, O) product: NumPy multiplies an (N, 1, I) x as N small ones
        out = x.reshape(-1, W.shape[0]) @ W
        out += b
        return out.reshape(*x.shape[:-1], W.shape[1])

    def backward(self, dout):
        W, _ = self.params
        dW, db = self.grads
        d2 = dout.reshape(-1, W.shape[1])  # (rows, O)
        xp.matmul(self.x2.T, d2, out=dW)
        db[...] = column_sums(d2)
        return (d2 @ W.T).reshape(self.x_shape)
