"""The Neural Turing Machine's addressing (Graves et al. 2014, section 3.3), one step a layer.

A head turns what its controller emits into a weighting ``w`` (B, N) over the N memory rows, in
four steps, each a layer below with its forward beside its backward:

    content        w_c = softmax(β K[k, M_i]),  K = cosine similarity,  β = softplus(β̂)
    interpolation  w_g = g w_c + (1 − g) w_prev,                        g = σ(ĝ)
    shift          w̃_i = Σ_j w_g[(i − j) mod N] s_j,  j ∈ shifts,      s = softmax(ŝ)
    sharpening     w_i = w̃_i^γ / Σ_n w̃_n^γ,                            γ = 1 + softplus(γ̂)

Every step takes the controller's raw outputs (β̂, ĝ, ŝ, γ̂: any real numbers) and applies the
activation that puts them in their range itself, so that a layer is one equation of the paper.
Everything is batched: B sequences at once, memories (B, N, M); the model loops over time.

Safe at the edges. The norms in the cosine are ``sqrt(Σ x² + ε)``, so a zero key or an empty
memory row gives a similarity of 0 and a finite gradient instead of 0/0; the key strength
multiplies a similarity in [−1, 1] inside a max-subtracted softmax, so any β is safe. The
sharpening is computed as ``softmax(γ log(w̃ + ε))``: the same weighting as the paper's
(up to the ε), but a large γ cannot underflow ``Σ w̃^γ`` to zero, and ``log`` never sees 0.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.layers.base import Layer
from attnseq.layers.core import softmax, softmax_backward

NORM_EPS = 1e-8  # inside the cosine's square roots: ‖x‖ = sqrt(Σ x² + NORM_EPS)
SHARPEN_EPS = 1e-6  # w̃ + SHARPEN_EPS inside the sharpening's log


def sigmoid(x):
    """σ(x) = (1 + tanh(x / 2)) / 2, which cannot overflow for large |x|."""
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def softplus(x):
    """log(1 + eˣ), computed as logaddexp(0, x) so that a large x does not overflow; its
    derivative is σ(x)."""
    return xp.logaddexp(0.0, x)


class ContentAddressing(Layer):
    """Content weighting: how well each memory row matches a key, sharpened by β.

    forward(k (B, M), beta_hat (B,), Mem (B, N, M)) -> w_c (B, N):

        β = softplus(β̂),   K_i = k·M_i / (‖k‖ ‖M_i‖),   w_c = softmax_i(β K_i)

    backward(dw_c) -> (dk, dbeta_hat, dMem).
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, k, beta_hat, Mem):
        beta = softplus(beta_hat)
        nk = xp.sqrt((k * k).sum(axis=-1) + NORM_EPS)  # (B,)
        nM = xp.sqrt((Mem * Mem).sum(axis=-1) + NORM_EPS)  # (B, N)
        dot = xp.matmul(Mem, k[:, :, None])[:, :, 0]  # (B, N): k·M_i
        K = dot / (nk[:, None] * nM)
        w = softmax(beta[:, None] * K)
        self.cache = (k, beta_hat, Mem, beta, nk, nM, K, w)
        return w

    def backward(self, dw):
        k, beta_hat, Mem, beta, nk, nM, K, w = self.cache
        dz = softmax_backward(w, dw)  # z = β K
        dbeta_hat = (dz * K).sum(axis=-1) * sigmoid(beta_hat)
        dK = dz * beta[:, None]
        ddot = dK / (nk[:, None] * nM)
        # K = dot / (nk nM): ∂K/∂nk = −K / nk and ∂‖x‖/∂x = x / ‖x‖
        dnk = -(dK * K).sum(axis=-1) / nk  # (B,)
        dnM = -dK * K / nM  # (B, N)
        dk = xp.matmul(ddot[:, None, :], Mem)[:, 0] + (dnk / nk)[:, None] * k
        dMem = Mem * (dnM / nM)[:, :, None]
        dMem += ddot[:, :, None] * k[:, None, :]  # in place: one (B, N, M) temporary less
        return dk, dbeta_hat, dMem


class Interpolation(Layer):
    """The interpolation gate: keep the content weighting or the previous step's weighting.

    forward(w_c (B, N), g_hat (B,), w_prev (B, N)) -> w_g = g w_c + (1 − g) w_prev, g = σ(ĝ).
    backward(dw_g) -> (dw_c, dg_hat, dw_prev).
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, w_c, g_hat, w_prev):
        g = sigmoid(g_hat)[:, None]  # (B, 1)
        self.cache = (w_c, w_prev, g)
        return g * w_c + (1.0 - g) * w_prev

    def backward(self, dw):
        w_c, w_prev, g = self.cache
        dg_hat = (dw * (w_c - w_prev)).sum(axis=-1) * (g * (1.0 - g))[:, 0]
        return g * dw, dg_hat, (1.0 - g) * dw


class CircularShift(Layer):
    """Rotate the weighting by a learned distribution over the allowed shifts.

    CircularShift(shifts=(-1, 0, 1)): the shifts j the head may make (row i moves to i + j).
    forward(w (B, N), s_hat (B, S)) -> w̃ with w̃_i = Σ_j s_j w[(i − j) mod N], s = softmax(ŝ):
    the circular convolution of the paper's equation (8). A weighting on the simplex stays on
    it: each s_j rotates the whole of w and the s_j sum to 1.
    backward(dw̃) -> (dw, ds_hat).
    """

    def __init__(self, shifts=(-1, 0, 1)):
        super().__init__()
        self.shifts = tuple(int(j) for j in shifts)
        self.cache = None

    def _rolled(self, a, sign: int):
        """Views of ``a`` (B, N) rolled by sign·j for each shift j, from one wrapped copy:
        view ``col`` holds a_{(i − sign·j) mod N} at i (``numpy.roll`` would copy each)."""
        reach = max(abs(j) for j in self.shifts)
        n = a.shape[1]
        if reach >= n:
            raise ValueError(f"shifts {self.shifts} need more than {n} memory rows")
        wrapped = xp.concatenate([a[:, n - reach:], a, a[:, :reach]], axis=1)  # (B, N + 2R)
        return [wrapped[:, reach - sign * j:reach - sign * j + n] for j in self.shifts]

    def forward(self, w, s_hat):
        s = softmax(s_hat)  # (B, S)
        out = xp.zeros_like(w)
        for col, w_j in enumerate(self._rolled(w, 1)):
            out += s[:, col:col + 1] * w_j  # w_j[i] = w_{i−j}
        self.cache = (w, s)
        return out

    def backward(self, dout):
        w, s = self.cache
        dw = xp.zeros_like(w)
        ds = xp.empty_like(s)
        for col, (dout_j, w_j) in enumerate(zip(self._rolled(dout, -1), self._rolled(w, 1),
                                                strict=True)):
            dw += s[:, col:col + 1] * dout_j  # dout_j[i] = dout_{i+j}
            ds[:, col] = (dout * w_j).sum(axis=-1)
        return dw, softmax_backward(s, ds)


class Sharpening(Layer):
    """Sharpen the shifted weighting, undoing the blur a fractional shift leaves.

    forward(w̃ (B, N), gamma_hat (B,)) -> w_i = (w̃_i + ε)^γ / Σ_n (w̃_n + ε)^γ,
    γ = 1 + softplus(γ̂) ≥ 1; computed as softmax(γ log(w̃ + ε)) (see the module docstring).
    backward(dw) -> (dw̃, dgamma_hat).
    """

    def __init__(self):
        super().__init__()
        self.cache = None

    def forward(self, w, gamma_hat):
        gamma = 1.0 + softplus(gamma_hat)  # (B,)
        log_w = xp.log(w + SHARPEN_EPS)
        out = softmax(gamma[:, None] * log_w)
        self.cache = (w, gamma_hat, gamma, log_w, out)
        return out

    def backward(self, dout):
        w, gamma_hat, gamma, log_w, out = self.cache
        dz = softmax_backward(out, dout)  # z = γ log(w̃ + ε)
        dgamma_hat = (dz * log_w).sum(axis=-1) * sigmoid(gamma_hat)
        return dz * gamma[:, None] / (w + SHARPEN_EPS), dgamma_hat


class Addressing(Layer):
    """A head's four steps in the paper's order, from its raw parameters to a weighting.

    Addressing(M, shifts=(-1, 0, 1)). The head's raw vector ``p`` (B, M + 3 + S) holds, in
    order, the key k (M), β̂, ĝ, the shift logits ŝ (S) and γ̂; ``width`` is M + 3 + S.
    forward(p, Mem (B, N, M), w_prev (B, N)) -> w (B, N);
    backward(dw) -> (dp, dMem, dw_prev).
    """

    def __init__(self, M: int, shifts=(-1, 0, 1)):
        super().__init__()
        self.M = M
        self.content, self.gate = ContentAddressing(), Interpolation()
        self.shift, self.sharpen = CircularShift(shifts), Sharpening()
        self.width = M + 3 + len(self.shift.shifts)
        self.weightings = None  # the last forward's (w_c, w_g, w̃, w), for plots

    def forward(self, p, Mem, w_prev):
        M, S = self.M, len(self.shift.shifts)
        w_c = self.content.forward(p[:, :M], p[:, M], Mem)
        w_g = self.gate.forward(w_c, p[:, M + 1], w_prev)
        w_s = self.shift.forward(w_g, p[:, M + 2:M + 2 + S])
        w = self.sharpen.forward(w_s, p[:, M + 2 + S])
        self.weightings = (w_c, w_g, w_s, w)
        return w

    def backward(self, dw):
        M, S = self.M, len(self.shift.shifts)
        dp = xp.empty((dw.shape[0], self.width), dtype=dw.dtype)
        dw_s, dp[:, M + 2 + S] = self.sharpen.backward(dw)
        dw_g, dp[:, M + 2:M + 2 + S] = self.shift.backward(dw_s)
        dw_c, dp[:, M + 1], dw_prev = self.gate.backward(dw_g)
        dp[:, :M], dp[:, M], dMem = self.content.backward(dw_c)
        return dp, dMem, dw_prev
