"""Multi-head scaled dot-product attention (Vaswani et al., 2017, section 3.2).

Queries come from x_q (N, Tq, D), keys and values from x_kv (N, Tk, D) (the same array for
self-attention, the encoder's output for cross-attention). With h heads of width dk = D / h:

    Q = x_q Wq + bq,  K = x_kv Wk,  V = x_kv Wv + bv           (N, T, D) → (N, h, T, dk)
    S = Q Kᵀ / √dk                                              (N, h, Tq, Tk)
    A = softmax_k(S), with masked keys at −∞ (weight exactly 0)
    C = A V                                                     (N, h, Tq, dk) → (N, Tq, D)
    out = C Wo + bo                                             (N, Tq, D)

K has no bias: a bias adds q·bk to all of a query's scores alike, which the softmax ignores,
so its gradient is exactly zero and it would never train.

Every head is one slice of a batched matmul over (N, h): no loop over batch or heads.
Masks: ``key_mask`` (N, Tk) bool, True at real keys (False at padding); ``causal=True``
lets query t see keys 0..t only (Tq = Tk), so a position never reads the future.

Backward, with dC split into heads:

    dA = dC Vᵀ,  dV = Aᵀ dC,  dS = A ⊙ (dA − Σ_k dA ⊙ A) / √dk,  dQ = dS K,  dK = dSᵀ Q

then back through the four affine maps; dx_kv sums what reaches it through K and V.

Packed rows (``attnseq.fast.packing``): with ``q_packing`` x_q is the (M, D) block of
the real positions of an (N, Tq) batch, with ``kv_packing`` x_kv is that of an (N, Tk) one;
the affine maps run on the M rows, Q, K, V are unpacked (zero at the padding) for the
scores, and C is packed again before Wo, so the output is (M, D) too. A padding query's
row of A is computed and dropped; a padding key is masked by ``key_mask`` as before.

Incremental decoding (``project_kv``, ``step``): a decoder step computes the new position's
keys and values only, appends them to a cache of the earlier ones, and attends with one
query row: O(t) work at step t instead of re-running the prefix. Cross-attention's keys and
values come from the encoder and are projected once, before the first step.
"""

from __future__ import annotations

import math

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError, positive_int
from attnseq.layers.base import Layer, gather
from attnseq.layers.core import Affine, last_axis_max, mask_bias, row_sums
from attnseq.fast.packing import maybe_pack, maybe_unpack


def split_heads(x, h: int):
    """(N, T, D) -> (N, h, T, D/h): head j is columns j·dk .. (j+1)·dk of D."""
    N, T, D = x.shape
    return x.reshape(N, T, h, D // h).transpose(0, 2, 1, 3)


def keys_transposed(K):
    """K (N, h, T, dk) with the same values, laid out in memory as a contiguous Kᵀ (N, h, dk,
    T): a decoding step's scores Q Kᵀ then read whole rows of Kᵀ, about 3× faster than from
    the strided view of the projection (256 rows, 14 keys). Concatenating such arrays along T
    and selecting their rows keep the layout, so a cache keeps it from step to step."""
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
    is fresh from Q Kᵀ: nothing else holds it); ``bias`` (broadcastable, 0 or −∞) masks.
    The sums are matrix-vector products (``attnseq.layers.core.column_sums`` says why)."""
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


def causal_mask(Tq: int, Tk: int):
    """(Tq, Tk) bool, True where query t may see key s: s ≤ t + (Tk − Tq) (the last Tq
    positions of Tk, as when a step's queries follow a cached prefix)."""
    return xp.arange(Tk)[None, :] <= xp.arange(Tq)[:, None] + (Tk - Tq)


def check_heads(d_model: int, heads: int) -> None:
    """heads must divide d_model: each head gets an equal slice of the D columns."""
    positive_int("heads", heads)
    positive_int("d_model", d_model)
    if d_model % heads:
        raise AttnseqError(f"heads ({heads}) must divide d_model ({d_model})")


class MultiHeadAttention(Layer):
    """MultiHeadAttention(Wq, bq, Wk, Wv, bv, Wo, bo, heads, causal=False); every W is
    (D, D), every b (D,).

    forward(x_q (N, Tq, D), x_kv (N, Tk, D), key_mask=None (N, Tk), q_packing=None,
    kv_packing=None) -> out (N, Tq, D), or (M, D) with ``q_packing`` (the module docstring).
    backward(dout) -> (dx_q, dx_kv). ``weights`` holds the last forward's A (N, h, Tq, Tk).
    """

    def __init__(self, Wq, bq, Wk, Wv, bv, Wo, bo, heads: int, causal: bool = False):
        super().__init__()
        check_heads(Wq.shape[0], heads)
        self.heads, self.causal = int(heads), bool(causal)
        # K's affine map keeps a zero bias of its own, outside params (see the docstring)
        self.q, self.k, self.v, self.o = (Affine(W, b, blas_sums=True) for W, b in (
            (Wq, bq), (Wk, xp.zeros_like(bq)), (Wv, bv), (Wo, bo)))
        params, grads = gather([self.q, self.v, self.o])
        self.params = params[:2] + [Wk] + params[2:]
        self.grads = grads[:2] + [self.k.grads[0]] + grads[2:]
        self.scale = 1.0 / math.sqrt(Wq.shape[0] // self.heads)
        self.cache = None
        self.weights = None

    def _bias(self, key_mask, Tq: int, Tk: int, dtype):
        """0 where weight may go and −∞ elsewhere, broadcastable to (N, h, Tq, Tk), or None
        for everywhere."""
        # one query after its prefix (a decoding step) may see every key: no causal mask
        allowed = causal_mask(Tq, Tk) if self.causal and Tq > 1 else None
        if key_mask is not None:
            keys = key_mask[:, None, None, :]
            allowed = keys if allowed is None else keys & allowed
        return None if allowed is None else mask_bias(allowed, dtype)

    def _attend(self, Q, K, V, key_mask):
        """A = softmax(Q Kᵀ / √dk) over the allowed keys, and C = A V, heads merged."""
        S = Q @ K.transpose(0, 1, 3, 2)  # (N, h, Tq, Tk)
        S *= self.scale
        A = scores_softmax(S, self._bias(key_mask, S.shape[2], S.shape[3], S.dtype))
        return A, matmul_merged(A, V)  # (N, Tq, D)

    def forward(self, x_q, x_kv, key_mask=None, q_packing=None, kv_packing=None):
        h = self.heads
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

    # -- incremental decoding: pure functions of the parameters, no cache touched ----------
    def project_kv(self, x_kv, kv_packing=None):
        """x_kv (N, T, D), or its packed rows (M, D) with ``kv_packing`` -> (K, V), each
        (N, h, T, dk): what a cache holds (K laid out as ``keys_transposed``)."""
        return (keys_transposed(split_heads(maybe_unpack(kv_packing, self.k.apply(x_kv)),
                                            self.heads)),
                split_heads(maybe_unpack(kv_packing, self.v.apply(x_kv)), self.heads))

    def empty_kv(self, N: int, dtype):
        """An empty cache (K, V), each (N, h, 0, dk), for a self-attention before step 0."""
        dk = self.q.params[0].shape[0] // self.heads
        empty = xp.zeros((N, self.heads, 0, dk), dtype=dtype)
        return keys_transposed(empty), empty

    def step(self, x_q, K, V, key_mask=None):
        """Attend from x_q (N, Tq, D) over given keys and values (N, h, Tk, dk) ->
        (out (N, Tq, D), A (N, h, Tq, Tk)). With ``causal``, the Tq queries are the last Tq
        of the Tk positions (a self-attention step: the cache already holds its own)."""
        Q = split_heads(self.q.apply(x_q), self.heads)
        A, C = self._attend(Q, K, V, key_mask)
        return self.o.apply(C), A

    def self_step(self, x, K_cache, V_cache):
        """A causal self-attention step: x (N, 1, D) is the new position; its keys and
        values are appended to the caches (N, h, t, dk) -> (out (N, 1, D), A (N, h, 1, t+1),
        K (N, h, t+1, dk), V)."""
        K_new, V_new = self.project_kv(x)
        K = xp.concatenate([K_cache, K_new], axis=2)
        V = xp.concatenate([V_cache, V_new], axis=2)
        out, A = self.step(x, K, V)  # the new query sees every cached key: no mask needed
        return out, A, K, V
