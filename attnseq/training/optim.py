"""Optimisers and gradient clipping over ``(params, grads)`` lists.

Everything here works on the layer protocol's two parallel lists and nothing else: ``params[i]``
and ``grads[i]`` are arrays of the same shape. The lists are bound to the layers' own arrays, so
every update is done *in place* (``p -= ...``); rebinding a list entry would silently detach the
model from its optimiser.

Adam runs hundreds of times per epoch on arrays up to 256x1024, so its update is written with
``out=`` ufuncs and one preallocated scratch buffer per parameter: after the first step it
allocates no arrays at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError, fraction, positive_int, positive_number
from attnseq.core.registry import ONE_OF, Registry


def grad_norm(grads: Sequence) -> float:
    """Global L2 norm ``sqrt(sum_i ||g_i||^2)`` over all arrays, without squared temporaries."""
    total = 0.0  # summed where the arrays live, in float64: one number read back, not one each
    for g in grads:
        flat = g.ravel()  # a view for the contiguous arrays layers produce
        total = total + xp.dot(flat, flat).astype(xp.float64)
    return math.sqrt(float(total))


def clip_grads(grads: Sequence, max_norm: float | None) -> float:
    """Clip the global gradient norm in place and return the norm *before* clipping.

    With ``norm = sqrt(sum_i ||g_i||^2)``: if ``norm > max_norm`` every ``g_i`` is multiplied by
    ``max_norm / (norm + 1e-6)``, so the clipped norm is (just under) ``max_norm`` and the
    direction is unchanged; otherwise the gradients are left alone. ``max_norm=None`` only
    measures the norm (no clipping), so a trainer without clipping takes the same path.
    """
    if max_norm is None:
        return grad_norm(grads)
    max_norm = positive_number("max_norm", max_norm)
    norm = grad_norm(grads)
    if norm > max_norm:
        rate = max_norm / (norm + 1e-6)
        for g in grads:
            g *= rate
    return norm


class _Optimizer:
    """Shared parts: a validated, settable learning rate (schedules assign ``opt.lr = ...``)."""

    def __init__(self, lr: float):
        self.lr = lr

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = positive_number("lr", value)

    def _check_lists(self, params: Sequence, grads: Sequence, state: list | None) -> None:
        if len(params) != len(grads):
            raise ValueError(f"got {len(params)} params but {len(grads)} grads")
        if state is not None and len(state) != len(params):
            raise ValueError(
                f"optimiser state holds {len(state)} arrays but got {len(params)} params; "
                "use one optimiser per model"
            )


class SGD(_Optimizer):
    """Plain stochastic gradient descent: ``p <- p - lr * g``."""

    def __init__(self, lr: float = 0.01):
        super().__init__(lr)
        self._buf: list | None = None  # one scratch array per param, so lr * g is not allocated

    def update(self, params: Sequence, grads: Sequence) -> None:
        self._check_lists(params, grads, self._buf)
        if self._buf is None:
            self._buf = [xp.empty_like(p) for p in params]
        for p, g, s in zip(params, grads, self._buf):
            xp.multiply(g, self._lr, out=s)
            p -= s


class Adam(_Optimizer):
    """Adam (Kingma & Ba, 2015) with the bias correction folded into the step size.

    At step ``t = 1, 2, ...``, for every parameter ``p`` with gradient ``g``::

        m   <- beta1 * m + (1 - beta1) * g          # first moment, m_0 = 0
        v   <- beta2 * v + (1 - beta2) * g**2       # second moment, v_0 = 0
        lr_t = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        p   <- p - lr_t * m / (sqrt(v) + eps)

    This equals the paper's ``lr * m_hat / (sqrt(v_hat) + eps)`` up to where ``eps`` sits (as in
    the book). ``m`` and ``v`` are allocated on the first ``update`` with each param's dtype.
    """

    def __init__(self, lr: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8):
        super().__init__(lr)
        self.beta1, self.beta2 = fraction("beta1", beta1), fraction("beta2", beta2)
        self.eps = positive_number("eps", eps)
        self.t = 0  # steps taken
        self.m: list | None = None
        self.v: list | None = None
        self._buf: list | None = None

    def update(self, params: Sequence, grads: Sequence) -> None:
        self._check_lists(params, grads, self.m)
        if self.m is None or self.v is None or self._buf is None:  # allocated together
            self.m = [xp.zeros_like(p) for p in params]
            self.v = [xp.zeros_like(p) for p in params]
            self._buf = [xp.empty_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        lr_t = self._lr * math.sqrt(1.0 - b2 ** self.t) / (1.0 - b1 ** self.t)
        for p, g, m, v, s in zip(params, grads, self.m, self.v, self._buf):
            # m += (1 - b1) * (g - m)   is   m = b1*m + (1 - b1)*g
            xp.subtract(g, m, out=s)
            s *= 1.0 - b1
            m += s
            # v += (1 - b2) * (g*g - v)
            xp.multiply(g, g, out=s)
            s -= v
            s *= 1.0 - b2
            v += s
            # p -= lr_t * m / (sqrt(v) + eps)
            xp.sqrt(v, out=s)
            s += self.eps
            xp.divide(m, s, out=s)
            s *= lr_t
            p -= s


class LinearDecay:
    """A learning-rate schedule: ``lr`` falls linearly to ``final_lr`` over ``span`` examples.

    ``schedule(seen)`` is the rate for the batch that starts after ``seen`` training examples:
    ``lr`` at 0, ``final_lr`` from ``span`` on (and constant after that). Counting examples
    rather than steps keeps the schedule the same when the batch size changes. The rate never
    leaves the range between the two: in floating point, ``lr + (final_lr - lr)`` is 0 when
    ``lr`` dwarfs ``final_lr`` (1e30 and 1e-3), and a rate of 0 is no rate.
    """

    def __init__(self, lr: float, final_lr: float, span: int):
        self.lr, self.final_lr = positive_number("lr", lr), positive_number("final_lr", final_lr)
        self.span = positive_int("span", span)

    def __call__(self, seen: int) -> float:
        if seen >= self.span:
            return self.final_lr
        rate = self.lr + (self.final_lr - self.lr) * (seen / self.span)
        return min(max(rate, min(self.lr, self.final_lr)), max(self.lr, self.final_lr))


def decay_schedule(lr: float, final_lr: float | None, decay_epochs: float,
                   n: int) -> LinearDecay | None:
    """The rate schedule a ``fit`` over ``n`` examples follows: from ``lr`` linearly down to
    ``final_lr`` over ``decay_epochs`` epochs' worth of examples, or None (a constant rate)
    when ``final_lr`` is None."""
    if final_lr is None:
        return None
    return LinearDecay(lr, final_lr, max(1, round(decay_epochs * n)))


class NoamDecay:
    """The Transformer's schedule (Vaswani et al., 2017, section 5.3), by optimiser step:

        lr(step) = factor · d_model^−½ · min(step^−½, step · warmup^−³ᐟ²),   step = 1, 2, ...

    It rises linearly for ``warmup`` steps to its peak factor · (d_model · warmup)^−½, then
    falls as step^−½. ``schedule(step)`` is the rate of the ``step``-th update (1-based).
    """

    def __init__(self, d_model: int, warmup: int, factor: float = 1.0):
        self.d_model = positive_int("d_model", d_model)
        self.warmup = positive_int("warmup", warmup)
        self.factor = positive_number("lr_factor", factor)
        # The rate is least at the first step in any run shorter than warmup^3 steps (after
        # the peak it falls only as step^-0.5): if that one underflows to 0, refuse when the
        # schedule is made rather than when the optimiser is handed a rate of 0.
        if self(1) == 0.0:
            raise AttnseqError(f"lr_factor {factor:g} with warmup {warmup} and d_model "
                               f"{d_model} gives a learning rate of 0 at the first step")

    def __call__(self, step: int) -> float:
        step = max(int(step), 1)
        return self.factor * self.d_model ** -0.5 * min(step ** -0.5,
                                                        step * self.warmup ** -1.5)


# The learning-rate schedules that ``TrainConfig.schedule`` names.
SCHEDULES = Registry("schedule", {
    "linear": "from --lr linearly to --final-lr over the recipe's decay span (or constant)",
    "noam": "the Transformer's: warm-up over --warmup steps, then 1/sqrt(step), scaled by "
            "--lr-factor and d_model^-0.5",
}, default="linear", message=ONE_OF)

# The optimisers that ``TrainConfig.optimizer`` names.
OPTIMIZERS = Registry("optimizer", {"adam": Adam, "sgd": SGD}, default="adam", message=ONE_OF)


def build_optimizer(name: str, lr: float) -> SGD | Adam:
    """The optimiser called ``name`` (``OPTIMIZERS``) with learning rate ``lr``."""
    return OPTIMIZERS.lookup(name)(lr)
