"""FastMultiHeadAttention: ``attnseq.layers.multihead.MultiHeadAttention``'s contract, faster.

The same equations (the book layer's docstring), with four speed-ups, each measured in
docs/performance.md ("The Transformer"):

- the scores' softmax runs in the buffer of S (fresh from Q Kᵀ, nothing else holds it), its
  maximum column by column and its sums as BLAS products (``attnseq.fast.reductions``), and
  masks are an additive 0/−∞ bias;
- C = A V and the gradients dV, dQ, dK are written straight into the heads' merged layout
  (``matmul_merged``): no copy to merge them after;
- packed rows (``attnseq.fast.packing``): an input given as a 2-d (M, D) array is the packed
  real positions of ``key_mask``. The affine maps run on the M rows; Q, K, V are unpacked
  (zero at the padding) for the scores, and C is packed again before Wo, so a packed x_q
  gives a packed output. A padding query's row of A is computed and dropped; a padding key
  is masked by ``key_mask`` as before;
- the decoding cache keeps K laid out as a contiguous Kᵀ (``keys_transposed``), and the
  affine maps are ``FastAffine`` (BLAS bias sums).
"""

from __future__ import annotations

import math

from attnseq.core.backend import xp
from attnseq.fast.affine import FastAffine
from attnseq.fast.packing import maybe_pack, maybe_unpack, packing_of
from attnseq.fast.reductions import last_axis_max, mask_bias, row_sums
from attnseq.layers.base import Layer, gather
from attnseq.layers.multihead import attention_mask, check_heads, split_heads


def keys_transposed(K):
    """K (N, h, T, dk) with the same values, laid out in memory as a contiguous Kᵀ (N, h, dk,
    T): a decoding step's scores Q Kᵀ then read whole rows of Kᵀ rather than the strided view
    of the projection. The cross-attention's keys, projected once, keep it for every step
    (a self-attention cache loses it: NumPy's concatenation cannot tell the layout of a
    one-position array)."""
    return xp.ascontiguousarray(K.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)


def matmul_merged(a, b):
    """a @ b, a (N, h, T, k) and b (N, h, k, dk), written straight into the heads' merged
    layout (N, T, h·dk), the inverse of ``split_heads``: no copy to merge them after."""
    N, h, T, _ = a.shape
    out = xp.empty((N, T, h, b.shape[-1]), dtype=xp.result_type(a, b))
    xp.matmul(a, b, out=out.transpose(0, 2, 1, 3))
    return out.reshape(N, T, -1)


def scores_softmax(S, bias=None):
    """A = softmax of the scores S (N, h, Tq, Tk) over the keys, computed in S's buffer (S
    is fresh from Q Kᵀ: nothing else holds it); ``bias`` (broadcastable, 0 or −∞) masks."""
    if bias is not None:
        S += bias
    S -= last_axis_max(S)  # exp never overflows: the largest term is exp(0)
    xp.exp(S, out=S)
    S /= row_sums(S)
    return S


def scores_softmax_backward(A, dA):
    """dS = A ⊙ (dA − Σ_k dA ⊙ A), computed in dA's buffer (fresh from dC Vᵀ)."""
    s = row_sums(dA * A)
    dA -= s
    dA *= A
    return dA


def _packing(x, key_mask):
    """The packing of x's rows: ``key_mask``'s real positions when x is packed (M, D)."""
    return packing_of(key_mask) if x.ndim == 2 else None


class FastMultiHeadAttention(Layer):
    """FastMultiHeadAttention(Wq, bq, Wk, Wv, bv, Wo, bo, heads, causal=False):
    ``MultiHeadAttention``'s contract, params and grads in the same order. x_q and x_kv may
    each be the packed (M, D) rows of ``key_mask``'s real positions (the module docstring)."""

    def __init__(self, Wq, bq, Wk, Wv, bv, Wo, bo, heads: int, causal: bool = False):
        super().__init__()
        check_heads(Wq.shape[0], heads)
        self.heads, self.causal = int(heads), bool(causal)
        # K's affine map keeps a zero bias of its own, outside params (as the book's)
        self.q, self.k, self.v, self.o = (FastAffine(W, b) for W, b in (
            (Wq, bq), (Wk, xp.zeros_like(bq)), (Wv, bv), (Wo, bo)))
        params, grads = gather([self.q, self.v, self.o])
        self.params = params[:2] + [Wk] + params[2:]
        self.grads = grads[:2] + [self.k.grads[0]] + grads[2:]
        self.scale = 1.0 / math.sqrt(Wq.shape[0] // self.heads)
        self.cache = None
        self.weights = None

    def _attend(self, Q, K, V, key_mask):
        """A = softmax(Q Kᵀ / √dk) over the allowed keys, and C = A V, heads merged."""
        S = Q @ K.transpose(0, 1, 3, 2)  # (N, h, Tq, Tk)
        S *= self.scale
        allowed = attention_mask(key_mask, self.causal, S.shape[2], S.shape[3])
        A = scores_softmax(S, None if allowed is None else mask_bias(allowed, S.dtype))
        return A, matmul_merged(A, V)  # (N, Tq, D)

    def forward(self, x_q, x_kv, key_mask=None):
        h = self.heads
        q_packing, kv_packing = _packing(x_q, key_mask), _packing(x_kv, key_mask)
        Q = split_heads(maybe_unpack(q_packing, self.q.forward(x_q)), h)  # (N, h, Tq, dk)
        K = split_heads(maybe_unpack(kv_packing, self.k.forward(x_kv)), h)  # (N, h, Tk, dk)
        V = split_heads(maybe_unpack(kv_packing, self.v.forward(x_kv)), h)
        A, C = self._attend(Q, K, V, key_mask)
        self.cache = (Q, K, V, A, q_packing, kv_packing)
        self.weights = A
        return self.o.forward(maybe_pack(q_packing, C))  # (N, Tq, D) or (M, D)

    def backward(self, dout):
        Q, K, V, A, q_packing, kv_packing = self.cache
        dC = split_heads(maybe_unpack(q_packing, self.o.backward(dout)), self.heads)
        dA = dC @ V.transpose(0, 1, 3, 2)  # (N, h, Tq, Tk)
        dV = matmul_merged(A.transpose(0, 1, 3, 2), dC)  # (N, Tk, D), heads merged
        dS = scores_softmax_backward(A, dA)
        dS *= self.scale
        dQ = matmul_merged(dS, K)  # (N, Tq, D)
        dK = matmul_merged(dS.transpose(0, 1, 3, 2), Q)  # (N, Tk, D)
        dx_q = self.q.backward(maybe_pack(q_packing, dQ))
        dx_kv = self.k.backward(maybe_pack(kv_packing, dK))
        dx_kv += self.v.backward(maybe_pack(kv_packing, dV))
        return dx_q, dx_kv

    # -- decoding: the K/V cache, K laid out as Kᵀ ------------------------------------------
    def project_kv(self, x_kv, key_mask=None):
        """x_kv (N, T, D), or the packed rows (M, D) of ``key_mask`` -> (K, V), each
        (N, h, T, dk): what a cache holds (K laid out as ``keys_transposed``)."""
        packing, h = _packing(x_kv, key_mask), self.heads
        return (keys_transposed(split_heads(maybe_unpack(packing, self.k.apply(x_kv)), h)),
                split_heads(maybe_unpack(packing, self.v.apply(x_kv)), h))

    def empty_kv(self, N: int, dtype):
        """An empty cache (K, V), each (N, h, 0, dk), for a self-attention before step 0."""
        dk = self.params[0].shape[0] // self.heads
        empty = xp.zeros((N, self.heads, 0, dk), dtype=dtype)
        return keys_transposed(empty), empty

    def step(self, x_q, K, V, key_mask=None):
        """Attend from x_q (N, Tq, D) over given keys and values (N, h, Tk, dk) ->
        (out (N, Tq, D), A (N, h, Tq, Tk)); as ``MultiHeadAttention.step``."""
        Q = split_heads(self.q.apply(x_q), self.heads)
        A, C = self._attend(Q, K, V, key_mask)
        return self.o.apply(C), A

    def self_step(self, x, K_cache, V_cache):
        """A causal self-attention step, as ``MultiHeadAttention.self_step``."""
        K_new, V_new = self.project_kv(x)
        K = xp.concatenate([K_cache, K_new], axis=2)
        V = xp.concatenate([V_cache, V_new], axis=2)
        out, A = self.step(x, K, V)  # the new query sees every cached key: no mask needed
        return out, A, K, V
