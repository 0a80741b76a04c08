"""Reading and writing the Neural Turing Machine's memory through a weighting (Graves et al.
2014, sections 3.1 and 3.2).

The memory of each of B sequences is an (N, M) matrix: N rows (locations) of M numbers. A head's
weighting ``w`` (B, N) is a distribution over the rows, made by ``attnseq.ntm.addressing``:

    read    r = Σ_i w_i M_i                               (B, M)
    write   M' = M ∘ (1 − w eᵀ) + w aᵀ,   e = σ(ê), a = tanh(â)

The write erases first (each row i loses the fraction w_i e of every column, e ∈ (0, 1)^M) and
then adds a ∈ (−1, 1)^M in proportion to w_i; a row the head does not look at is unchanged.
Both are layers with their backward beside their forward; neither owns parameters (the
controller's projections make k, ê, â).
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer
from attnseq.ntm.addressing import sigmoid


class MemoryRead(Layer):
    """forward(w (B, N), Mem (B, N, M)) -> r (B, M), r = Σ_i w_i M_i.
    backward(dr) -> (dw, dMem): dw_i = dr·M_i, dMem_i = w_i dr.
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, w, Mem):
        self.cache = (w, Mem)
        return xp.matmul(w[:, None, :], Mem)[:, 0]  # (B, 1, N) @ (B, N, M)

    def backward(self, dr):
        w, Mem = self.cache
        dw = xp.matmul(Mem, dr[:, :, None])[:, :, 0]  # (B, N)
        return dw, w[:, :, None] * dr[:, None, :]


class MemoryWrite(Layer):
    """forward(Mem (B, N, M), w (B, N), e_hat (B, M), a_hat (B, M)) -> Mem' (B, N, M),

        Mem' = Mem ∘ (1 − w eᵀ) + w aᵀ,   e = σ(ê),   a = tanh(â).

    backward(dMem') -> (dMem, dw, de_hat, da_hat):

        dMem = dMem' ∘ (1 − w eᵀ)
        dw_i = Σ_m dMem'_im (a_m − Mem_im e_m)
        de_m = −Σ_i dMem'_im Mem_im w_i,   da_m = Σ_i dMem'_im w_i

    Forward returns a new array: the memory before the write stays in the cache (and in the
    caller's hands) for backward.
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, Mem, w, e_hat, a_hat):
        e, a = sigmoid(e_hat), xp.tanh(a_hat)
        keep = 1.0 - w[:, :, None] * e[:, None, :]  # (B, N, M): 1 − w eᵀ
        self.cache = (Mem, w, e, a, keep)
        return Mem * keep + w[:, :, None] * a[:, None, :]

    def backward(self, dMem_new):
        Mem, w, e, a, keep = self.cache
        dw = xp.matmul(dMem_new, a[:, :, None])[:, :, 0]  # Σ_m dMem'_im a_m
        dMem_Mem = dMem_new * Mem  # (B, N, M)
        dw -= xp.matmul(dMem_Mem, e[:, :, None])[:, :, 0]
        de = -xp.matmul(w[:, None, :], dMem_Mem)[:, 0]  # (B, M)
        da = xp.matmul(w[:, None, :], dMem_new)[:, 0]
        return dMem_new * keep, dw, de * e * (1.0 - e), da * (1.0 - a * a)
