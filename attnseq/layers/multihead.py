"""Multi-head scaled dot-product attention (Vaswani et al., 2017, section 3.2).

Queries come from x_q (N, Tq, D), keys and values from x_kv (N, Tk, D) (the same array for
self-attention, the encoder's output for cross-attention). With h heads of width dk = D / h:

    Q = x_q Wq + bq,  K = x_kv Wk,  V = x_kv Wv + bv           (N, T, D) → (N, h, T, dk)
    C, A = Attention(Q, K, V)                                   (N, h, Tq, dk), (N, h, Tq, Tk)
    out = merge(C) Wo + bo                                      (N, Tq, D)

K has no bias: a bias adds q·bk to all of a query's scores alike, which the softmax ignores,
so its gradient is exactly zero and it would never train.

Every head is one slice of a batched matmul over (N, h): no loop over batch or heads.
Masks: ``key_mask`` (N, Tk) bool, True at real keys (False at padding); ``causal=True``
lets query t see keys 0..t only (Tq = Tk), so a position never reads the future.

Decoding (``project_kv``, ``empty_kv``, ``step``, ``self_step``): a decoder step projects
the new position's keys and values only, appends them to a cache of the earlier ones, and
attends with one query row: O(t) work at step t instead of re-running the prefix. The cache
is K, V (N, h, t, dk). Cross-attention's keys and values come from the encoder and are
projected once, before the first step. ``attnseq.fast.multihead.FastMultiHeadAttention``
computes the same with fewer copies (and on packed rows).
"""

from __future__ import annotations

import math

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError, positive_int
from attnseq.layers.base import Layer, gather
from attnseq.layers.core import Affine, softmax, softmax_backward


def scaled_dot_product_attention(Q, K, V, mask=None):
    """The paper's equation (1):  Attention(Q, K, V) = softmax(Q Kᵀ / √dk) V.

    Q (..., Tq, dk), K (..., Tk, dk), V (..., Tk, dv); ``mask`` broadcastable to
    (..., Tq, Tk), True where a query may attend (elsewhere its weight is exactly 0).
    Returns (C (..., Tq, dv), A (..., Tq, Tk)), A the attention weights.
    """
    S = Q @ K.swapaxes(-1, -2) / math.sqrt(Q.shape[-1])  # (..., Tq, Tk)
    A = softmax(S, mask=mask)
    return A @ V, A


def scaled_dot_product_attention_backward(Q, K, V, A, dC):
    """The gradients of ``scaled_dot_product_attention`` from dC (..., Tq, dv):

        dA = dC Vᵀ,  dV = Aᵀ dC,  dS = A ⊙ (dA − Σ_k dA ⊙ A) / √dk,  dQ = dS K,  dK = dSᵀ Q

    Returns (dQ, dK, dV), shaped as Q, K, V.
    """
    dA = dC @ V.swapaxes(-1, -2)  # (..., Tq, Tk)
    dV = A.swapaxes(-1, -2) @ dC
    dS = softmax_backward(A, dA) / math.sqrt(Q.shape[-1])
    return dS @ K, dS.swapaxes(-1, -2) @ Q, dV


def split_heads(x, h: int):
    """(N, T, D) -> (N, h, T, D/h): head j is columns j·dk .. (j+1)·dk of D."""
    N, T, D = x.shape
    return x.reshape(N, T, h, D // h).transpose(0, 2, 1, 3)


def merge_heads(x):
    """(N, h, T, dk) -> (N, T, h·dk), the inverse of ``split_heads``."""
    N, h, T, dk = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, h * dk)


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


def attention_mask(key_mask, causal: bool, Tq: int, Tk: int):
    """Where weight may go, broadcastable to (N, h, Tq, Tk), or None for everywhere."""
    # one query after its prefix (a decoding step) may see every key: no causal mask
    allowed = causal_mask(Tq, Tk) if causal and Tq > 1 else None
    if key_mask is not None:
        keys = key_mask[:, None, None, :]
        allowed = keys if allowed is None else keys & allowed
    return allowed


class MultiHeadAttention(Layer):
    """MultiHeadAttention(Wq, bq, Wk, Wv, bv, Wo, bo, heads, causal=False); every W is
    (D, D), every b (D,).

    forward(x_q (N, Tq, D), x_kv (N, Tk, D), key_mask=None (N, Tk)) -> out (N, Tq, D);
    backward(dout) -> (dx_q, dx_kv). ``weights`` holds the last forward's A (N, h, Tq, Tk).
    """

    def __init__(self, Wq, bq, Wk, Wv, bv, Wo, bo, heads: int, causal: bool = False):
        super().__init__()
        check_heads(Wq.shape[0], heads)
        self.heads, self.causal = int(heads), bool(causal)
        # K's affine map keeps a zero bias of its own, outside params (see the docstring)
        self.q, self.k, self.v, self.o = (Affine(W, b) for W, b in (
            (Wq, bq), (Wk, xp.zeros_like(bq)), (Wv, bv), (Wo, bo)))
        params, grads = gather([self.q, self.v, self.o])
        self.params = params[:2] + [Wk] + params[2:]
        self.grads = grads[:2] + [self.k.grads[0]] + grads[2:]
        self.cache = None
        self.weights = None

    def forward(self, x_q, x_kv, key_mask=None):
        h = self.heads
        Q = split_heads(self.q.forward(x_q), h)  # (N, h, Tq, dk)
        K = split_heads(self.k.forward(x_kv), h)  # (N, h, Tk, dk)
        V = split_heads(self.v.forward(x_kv), h)
        mask = attention_mask(key_mask, self.causal, Q.shape[2], K.shape[2])
        C, A = scaled_dot_product_attention(Q, K, V, mask)
        self.cache = (Q, K, V, A)
        self.weights = A
        return self.o.forward(merge_heads(C))  # (N, Tq, D)

    def backward(self, dout):
        Q, K, V, A = self.cache
        dC = split_heads(self.o.backward(dout), self.heads)
        dQ, dK, dV = scaled_dot_product_attention_backward(Q, K, V, A, dC)
        dx_q = self.q.backward(merge_heads(dQ))
        dx_kv = self.k.backward(merge_heads(dK)) + self.v.backward(merge_heads(dV))
        return dx_q, dx_kv

    # -- decoding: the K/V cache --------------------------------------------------------
    def project_kv(self, x_kv, key_mask=None):
        """x_kv (N, T, D) -> (K, V), each (N, h, T, dk): what a cache holds. (``key_mask``
        is the contract's: the fast layer reads packed rows by it.)"""
        Wk, Wv, bv = self.params[2:5]
        return split_heads(x_kv @ Wk, self.heads), split_heads(x_kv @ Wv + bv, self.heads)

    def empty_kv(self, N: int, dtype):
        """An empty cache (K, V), each (N, h, 0, dk), for a self-attention before step 0."""
        dk = self.params[0].shape[0] // self.heads
        return (xp.zeros((N, self.heads, 0, dk), dtype=dtype),
                xp.zeros((N, self.heads, 0, dk), dtype=dtype))

    def step(self, x_q, K, V, key_mask=None):
        """Attend from x_q (N, Tq, D) over given keys and values (N, h, Tk, dk) ->
        (out (N, Tq, D), A (N, h, Tq, Tk)). With ``causal``, the Tq queries are the last Tq
        of the Tk positions (a self-attention step: the cache already holds its own)."""
        Wq, bq, _, _, _, Wo, bo = self.params
        Q = split_heads(x_q @ Wq + bq, self.heads)
        C, A = scaled_dot_product_attention(
            Q, K, V, attention_mask(key_mask, self.causal, Q.shape[2], K.shape[2]))
        return merge_heads(C) @ Wo + bo, A

    def self_step(self, x, K_cache, V_cache):
        """A causal self-attention step: x (N, 1, D) is the new position; its keys and
        values are appended to the caches (N, h, t, dk) -> (out (N, 1, D), A (N, h, 1, t+1),
        K (N, h, t+1, dk), V)."""
        K_new, V_new = self.project_kv(x)
        K = xp.concatenate([K_cache, K_new], axis=2)
        V = xp.concatenate([V_cache, V_new], axis=2)
        out, A = self.step(x, K, V)  # the new query sees every cached key: no mask needed
        return out, A, K, V
