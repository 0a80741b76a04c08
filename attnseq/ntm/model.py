"""The Neural Turing Machine (Graves et al. 2014): an LSTM controller with one read head and
one write head on an N × M memory, batched over B sequences and looped over time.

At step t, with x_t (B, I) the input and r_{t−1} (B, M) what the read head read last:

    h_t, c_t = LSTM([x_t, r_{t−1}], h_{t−1}, c_{t−1})          the controller (fast.cell.FastLSTM)
    p_t      = h_t W_head + b_head                            both heads' raw parameters
    w^r_t    = Addressing(p^r_t, Mem_{t−1}, w^r_{t−1});  r_t = Σ_i w^r_t,i Mem_{t−1},i
    w^w_t    = Addressing(p^w_t, Mem_{t−1}, w^w_{t−1})
    Mem_t    = Mem_{t−1} ∘ (1 − w^w_t eᵀ) + w^w_t aᵀ           e = σ(ê_t), a = tanh(â_t)
    y_t      = [h_t, r_t] W_out + b_out                        logits of the output bits

Both heads address the memory as it was before this step's write, so the order of the two heads
does not matter. The memory starts at a small constant (``memory_init``, 1e-6: Collier & Beel
2018 found a constant initialisation converges fastest), the reads at zero and both weightings
on row 0 (a one-hot weighting, so that shifting it walks the rows from the first).

``controller_only=True`` is the baseline: the same LSTM on x_t alone, y_t = h_t W_out + b_out.

The model protocol for training (``attnseq.training.trainer.Trainer.step``):
``forward(xs, ts) -> loss``, the binary cross-entropy of the last ``T_out = ts.shape[1]``
steps' outputs against ``ts`` (B, T_out, O), summed over bits and steps and averaged over the
batch (nats per sequence), and ``backward()``. ``predict(xs)`` gives the output probabilities
(B, T, O) and leaves the weightings of every step in ``read_weights`` / ``write_weights``
(B, T, N).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy

from attnseq.core.backend import float_dtype, xp
from attnseq.core.errors import boolean, positive_int, positive_number
from attnseq.core.limits import MEMORY_ROWS, MEMORY_WIDTH, WIDTH
from attnseq.fast.cell import FastLSTM
from attnseq.fast.lstm import FastTimeLSTM
from attnseq.layers.base import gather
from attnseq.layers.core import Affine
from attnseq.models.init import book_gate_order
from attnseq.ntm.addressing import Addressing, sigmoid
from attnseq.ntm.memory import MemoryRead, MemoryWrite


@dataclass(frozen=True)
class NTMConfig:
    """The sizes of an NTM (the paper's copy-task machine by default: 100 LSTM units, 128 × 20
    memory); JSON-serialisable, as checkpoints store it."""

    inputs: int = 9  # 8 bits + the delimiter
    outputs: int = 8
    hidden_size: int = 100
    memory_rows: int = 128  # N
    memory_width: int = 20  # M
    controller_only: bool = False
    memory_init: float = 1e-6

    def __post_init__(self):
        # the limits hold for a config read from a model's config.json as for the options
        for name, limit in (("inputs", WIDTH), ("outputs", WIDTH), ("hidden_size", WIDTH),
                            ("memory_rows", MEMORY_ROWS), ("memory_width", MEMORY_WIDTH)):
            value = positive_int(name, getattr(self, name))
            object.__setattr__(self, name, limit.check(name, value))
        object.__setattr__(self, "controller_only", boolean("controller_only",
                                                            self.controller_only))
        object.__setattr__(self, "memory_init", positive_number("memory_init",
                                                                self.memory_init))

    def to_dict(self) -> dict:
        return asdict(self)


def bce_with_logits(z, t):
    """Σ over all elements of the binary cross-entropy of σ(z) against t, in nats; stable for
    any z: BCE = softplus(z) − t z. Its gradient is σ(z) − t."""
    return float((xp.logaddexp(0.0, z) - t * z).sum())


class NTM:
    """NTM(config, dtype=None, seed=0); see the module docstring."""

    def __init__(self, config: NTMConfig = NTMConfig(), dtype=None, seed: int = 0):
        self.config = c = config
        dt = float_dtype(dtype)
        rng = numpy.random.default_rng(seed)
        H, M, N = c.hidden_size, c.memory_width, c.memory_rows
        D = c.inputs if c.controller_only else c.inputs + M

        def normal(shape, fan_in):
            return xp.asarray(rng.standard_normal(shape) / numpy.sqrt(fan_in), dtype=dt)

        b = xp.zeros(4 * H, dtype=dt)
        b[:H] = 1.0  # forget gate open at first: the controller starts by remembering
        # drawn in attnseq's earlier gate order, so a seed gives the machine it gave before
        lstm = (book_gate_order(normal((D, 4 * H), D)), book_gate_order(normal((H, 4 * H), H)), b)
        feats = H if c.controller_only else H + M
        self.out = Affine(normal((feats, c.outputs), feats), xp.zeros(c.outputs, dtype=dt))
        if c.controller_only:
            self.controller = FastTimeLSTM(*lstm)
            self.params, self.grads = gather([self.controller, self.out])
        else:
            self.lstm_params = list(lstm)
            self.lstm_grads = [xp.zeros_like(p) for p in lstm]
            self.address_width = Addressing(M).width  # each head's addressing parameters
            P = 2 * self.address_width + 2 * M  # read head; write head, e, a
            # p_t = h_t W_head + b_head, one step at a time in forward; backward makes the
            # gradients of all steps in one matmul
            self.W_head, self.b_head = normal((H, P), H), xp.zeros(P, dtype=dt)
            self.dW_head, self.db_head = xp.zeros_like(self.W_head), xp.zeros_like(self.b_head)
            self.params = [*self.lstm_params, self.W_head, self.b_head, *self.out.params]
            self.grads = [*self.lstm_grads, self.dW_head, self.db_head, *self.out.grads]
        self.dtype, self.N, self.M = dt, N, M
        self.steps: list[tuple] = []  # each step's (lstm, read_address, read, write_address, write)
        # the last forward's weightings (B, T, N): arrays of the backend, None before one
        self.read_weights: Any = None
        self.write_weights: Any = None
        self.cache: tuple[Any, Any] | None = None  # the last forward's (logits z, targets ts)

    # ------------------------------------------------------------------ forward

    def _run(self, xs):
        """Logits (B, T, O) of inputs xs (B, T, I), keeping what backward needs."""
        if self.config.controller_only:
            return self.out.forward(self.controller.forward(xs))
        B, T, _ = xs.shape
        H, M, N = self.config.hidden_size, self.M, self.N
        Pa = self.address_width
        Mem = xp.full((B, N, M), self.config.memory_init, dtype=self.dtype)
        h = xp.zeros((B, H), dtype=self.dtype)
        c, r = xp.zeros_like(h), xp.zeros((B, M), dtype=self.dtype)
        w_r = xp.zeros((B, N), dtype=self.dtype)
        w_r[:, 0] = 1.0
        w_w = w_r.copy()
        feats = xp.empty((B, T, H + M), dtype=self.dtype)  # [h_t, r_t]
        self.read_weights = xp.empty((B, T, N), dtype=self.dtype)
        self.write_weights = xp.empty_like(self.read_weights)
        self.steps = []
        for t in range(T):
            lstm = FastLSTM(*self.lstm_params)
            h, c = lstm.forward(xp.concatenate([xs[:, t], r], axis=1), h, c)
            p = h @ self.W_head + self.b_head  # (B, P)
            read_address, read = Addressing(M), MemoryRead()
            write_address, write = Addressing(M), MemoryWrite()
            w_r = read_address.forward(p[:, :Pa], Mem, w_r)
            r = read.forward(w_r, Mem)
            w_w = write_address.forward(p[:, Pa:2 * Pa], Mem, w_w)
            Mem = write.forward(Mem, w_w, p[:, 2 * Pa:2 * Pa + M], p[:, 2 * Pa + M:])
            feats[:, t, :H], feats[:, t, H:] = h, r
            self.read_weights[:, t], self.write_weights[:, t] = w_r, w_w
            self.steps.append((lstm, read_address, read, write_address, write))
        self.feats = feats
        return self.out.forward(feats)

    def predict(self, xs):
        """Output probabilities σ(y) (B, T, O) for inputs xs (B, T, I)."""
        return sigmoid(self._run(xp.asarray(xs, dtype=self.dtype)))

    def forward(self, xs, ts) -> float:
        xs, ts = xp.asarray(xs, dtype=self.dtype), xp.asarray(ts, dtype=self.dtype)
        z = self._run(xs)
        T_out = ts.shape[1]
        self.cache = (z, ts)
        return bce_with_logits(z[:, -T_out:], ts) / xs.shape[0]

    # ------------------------------------------------------------------ backward

    @property
    def logits(self):
        """The last forward's output logits z (B, T, O), before the sigmoid."""
        return self._forward_cache()[0]

    def _forward_cache(self) -> tuple[Any, Any]:
        if self.cache is None:
            raise RuntimeError("NTM: no forward yet, so nothing to go back through")
        return self.cache

    def backward(self) -> None:
        z, ts = self._forward_cache()
        B, T, _ = z.shape
        dz = xp.zeros_like(z)
        dz[:, -ts.shape[1]:] = (sigmoid(z[:, -ts.shape[1]:]) - ts) / B
        dfeats = self.out.backward(dz)
        if self.config.controller_only:
            self.controller.backward(dfeats)
            return
        H, M = self.config.hidden_size, self.M
        I = self.lstm_params[0].shape[0] - M
        dps = xp.empty((B, T, self.W_head.shape[1]), dtype=self.dtype)
        dh_next = xp.zeros((B, H), dtype=self.dtype)
        dc_next, dr_next = xp.zeros_like(dh_next), xp.zeros((B, M), dtype=self.dtype)
        # gradients from step t + 1 of the memory and the weightings it started from
        dMem = xp.zeros((B, self.N, M), dtype=self.dtype)
        dw_r_next, dw_w_next = (xp.zeros((B, self.N), dtype=self.dtype) for _ in range(2))
        Pa = self.address_width
        for g in self.lstm_grads:
            g[...] = 0.0
        for t in reversed(range(T)):
            lstm, read_address, read, write_address, write = self.steps[t]
            dMem_prev, dw_w, de, da = write.backward(dMem)
            dp_w, dMem_w, dw_w_next = write_address.backward(dw_w + dw_w_next)
            dw_r, dMem_r = read.backward(dfeats[:, t, H:] + dr_next)
            dp_r, dMem_a, dw_r_next = read_address.backward(dw_r + dw_r_next)
            dMem = dMem_prev  # a fresh array from write.backward: summed into in place
            dMem += dMem_w
            dMem += dMem_r
            dMem += dMem_a
            dp = dps[:, t]
            dp[:, :Pa], dp[:, Pa:2 * Pa] = dp_r, dp_w
            dp[:, 2 * Pa:2 * Pa + M], dp[:, 2 * Pa + M:] = de, da
            dh = dfeats[:, t, :H] + dh_next + dp @ self.W_head.T
            dx, dh_next, dc_next = lstm.backward(dh, dc_next)
            dr_next = dx[:, I:]
            for g, g_step in zip(self.lstm_grads, lstm.grads, strict=True):
                g += g_step
        hs = self.feats[:, :, :H].reshape(B * T, H)
        self.dW_head[...] = hs.T @ dps.reshape(B * T, -1)
        self.db_head[...] = dps.sum(axis=(0, 1))
