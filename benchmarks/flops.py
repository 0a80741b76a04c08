"""The matmul FLOPs of ``AttentionSeq2seq`` (the book's architecture), counted two ways.

``train_step_flops`` (one forward + backward) and ``decode_flops`` (greedy decoding) are the
analytic counts that turn measured times into GFLOP/s. ``brute_force_step_flops`` and
``brute_force_decode_flops`` run the real code and add up every matmul it performs; the smoke
test runs both on tiny models and demands that they agree exactly, so the formulas cannot
silently drift from what the layers do. The formulas are for the default model (one LSTM layer
each side, dot score, no input feeding); the brute-force counter works on any model.

The formulas count the dense work, every row at every step. On real batches the layers do less:
``EmbeddingLSTM`` runs a prefix that rows share once and projects each distinct token once,
so the smoke test compares the two on inputs where nothing is shared, and a GFLOP/s
computed from these counts is an *effective* rate: the dense work done per second.

Convention: a matmul of (m, k) by (k, n) costs 2·m·k·n FLOPs (one multiply and one add per
term); a batched matmul multiplies that by the batch size. Only matmuls are counted: they are
nearly all of the arithmetic, and they are what a BLAS-bound peak (``reference_matmul``) is
measured on. Elementwise work (gates, softmax, loss) and the embedding's gather/scatter are not.

Per LSTM over T steps with input width Din (both the encoder's and the decoder's, Din = D):

    forward   input projection  (T·N, Din) @ (Din, 4H)      2·T·N·Din·4H
              recurrence, T×    (N, H) @ (H, 4H)            2·T·N·H·4H
    backward  recurrence, T×    (N, 4H) @ (4H, H)           2·T·N·4H·H
              dWx               (Din, T·N) @ (T·N, 4H)      2·T·N·Din·4H
              dWh               (H, T·N) @ (T·N, 4H)        2·T·N·H·4H
              dx                (T·N, 4H) @ (4H, Din)       2·T·N·4H·Din
    total     24·N·T·H·(Din + H)

Dot attention over Te encoder states for Td decoder steps: S = Hd @ Heᵀ and C = A @ He forward,
and four batched matmuls of the same size backward (dA, dHe and dHd through S, dHe through C):
12·N·Td·Te·H. The affine layer (N·Td, 2H) @ (2H, V), its dW and its dx: 3 · 2·N·Td·2H·V.
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy

from attnseq.core import backend
from attnseq.core.errors import positive_int


@dataclass(frozen=True)
class StepFlops:
    """The matmul FLOPs of one forward + backward pass, by part (all plain ints)."""

    encoder_lstm: int
    decoder_lstm: int
    attention: int
    affine: int

    @property
    def total(self) -> int:
        return self.encoder_lstm + self.decoder_lstm + self.attention + self.affine

    def to_dict(self) -> dict:
        return {"encoder_lstm": self.encoder_lstm, "decoder_lstm": self.decoder_lstm,
                "attention": self.attention, "affine": self.affine, "total": self.total}


def lstm_flops(N: int, T: int, Din: int, H: int) -> int:
    """Forward + backward matmul FLOPs of a TimeLSTM over (N, T, Din) inputs, H units."""
    forward = 2 * T * N * Din * 4 * H + 2 * T * N * H * 4 * H
    backward = 2 * forward  # recurrence + dWh mirror the recurrence; dWx + dx the projection
    return forward + backward


def train_step_flops(N: int, Te: int, Td: int, D: int, H: int, V: int) -> StepFlops:
    """Matmul FLOPs of ``AttentionSeq2seq.forward`` + ``backward`` on one batch.

    N batch, Te encoder steps (question length), Td decoder steps (answer length + 1),
    D embedding width, H hidden width, V vocabulary size. The optimiser and the gradient
    clipping are not included (they do no matmul; clipping's one dot per parameter is O(P)).
    """
    N, Te, Td, D, H, V = (positive_int(name, value) for name, value in
                          (("N", N), ("Te", Te), ("Td", Td), ("D", D), ("H", H), ("V", V)))
    return StepFlops(
        encoder_lstm=lstm_flops(N, Te, D, H),
        decoder_lstm=lstm_flops(N, Td, D, H),
        attention=6 * (2 * N * Td * Te * H),  # 2 forward + 4 backward batched matmuls
        affine=3 * (2 * N * Td * 2 * H * V),  # forward, dW, dx
    )


def decode_flops(N: int, Te: int, Td: int, D: int, H: int, V: int) -> int:
    """Matmul FLOPs of greedy decoding of N inputs for Td steps (encoder forward included)."""
    encoder = 2 * Te * N * D * 4 * H + 2 * Te * N * H * 4 * H
    per_step = (2 * N * D * 4 * H + 2 * N * H * 4 * H  # one LSTM step
                + 2 * 2 * N * Te * H                  # attention scores and context
                + 2 * N * 2 * H * V)                  # affine
    return encoder + Td * per_step


def matmul_cost(a_shape: tuple, b_shape: tuple) -> int:
    """FLOPs of ``numpy.matmul`` on operands of these shapes, with its 1-D and broadcast rules."""
    a, b = tuple(a_shape), tuple(b_shape)
    if len(a) == 1:  # a vector on the left is a (1, k) row, removed again afterwards
        a = (1,) + a
    if len(b) == 1:  # ... and on the right a (k, 1) column
        b = b + (1,)
    m, k = a[-2:]
    n = b[-1]
    batch = math.prod(numpy.broadcast_shapes(a[:-2], b[:-2]))
    return 2 * batch * m * k * n


def _constant_vector(x) -> bool:
    """True for a vector (k,) or column (k, 1), k > 1, of ones or of 1/k: a matmul with one is
    a sum or a mean written as a matmul for speed (``attnseq.fast.reductions.column_sums``,
    ``row_means``), not the model's arithmetic, and goes uncounted, as other sums do."""
    v = numpy.asarray(x)
    if not (v.ndim == 1 or (v.ndim == 2 and v.shape[1] == 1)) or v.shape[0] < 2:
        return False
    k = v.shape[0]
    return bool((v == 1).all() or (v == v.dtype.type(1.0 / k)).all())


class MatmulCounter:
    """Adds up the FLOPs of every matmul done on arrays of its ``array_type``.

    ``array_type`` is an ndarray subclass made for this counter alone, so two counters never
    share a tally and nothing is kept at module level. ``a @ b`` and ``numpy.matmul(a, b,
    out=...)`` both reach its ``__array_ufunc__`` as soon as one operand is of that type;
    ``numpy.dot`` is not a ufunc and is caught by ``__array_function__`` instead. Every ufunc
    result is handed back as ``array_type`` too, so arrays computed from counted ones stay
    counted.
    """

    def __init__(self) -> None:
        self.flops = 0
        self.calls = 0
        counter = self

        class Counted(numpy.ndarray):
            def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
                if ufunc is numpy.matmul and method == "__call__" \
                        and not any(map(_constant_vector, inputs)):
                    counter.add(numpy.shape(inputs[0]), numpy.shape(inputs[1]))
                plain = [counter.unwrap(i) for i in inputs]
                out = kwargs.get("out")
                if out is not None:
                    kwargs["out"] = tuple(counter.unwrap(o) for o in out)
                result = getattr(ufunc, method)(*plain, **kwargs)
                if out is not None:  # in-place: hand back the caller's own array(s)
                    return out[0] if len(out) == 1 else out
                return counter.wrap(result)

            def __array_function__(self, func, types, args, kwargs):
                if func is numpy.dot:
                    counter.add(numpy.shape(args[0]), numpy.shape(args[1]))
                return counter.wrap(super().__array_function__(func, types, args, kwargs))

        self.array_type = Counted

    def add(self, a_shape, b_shape) -> None:
        if len(a_shape) == 0 or len(b_shape) == 0:
            return  # a product with a scalar is elementwise work, not a matmul
        self.flops += matmul_cost(a_shape, b_shape)
        self.calls += 1

    def wrap(self, value):
        """``value`` with every plain ndarray in it viewed as ``array_type`` (tuples too)."""
        if isinstance(value, tuple):
            return tuple(self.wrap(v) for v in value)
        if type(value) is numpy.ndarray:
            return value.view(self.array_type)
        return value

    def unwrap(self, value):
        """A plain-ndarray view of ``value`` when it is counted, else ``value`` itself."""
        return value.view(numpy.ndarray) if isinstance(value, self.array_type) else value


class _CountingModule:
    """Stands in for the array module ``xp``: every array a function returns is counted."""

    def __init__(self, module, counter: MatmulCounter):
        self._module = module
        self._counter = counter

    def __getattr__(self, name):
        attr = getattr(self._module, name)
        if not callable(attr) or isinstance(attr, type):
            return attr  # dtypes, constants, classes: used as they are
        counter = self._counter

        def counted(*args, **kwargs):
            return counter.wrap(attr(*args, **kwargs))

        for method in ("at", "accumulate", "reduce", "reduceat"):  # a ufunc's own methods
            fn = getattr(attr, method, None)
            if fn is not None:
                setattr(counted, method,
                        lambda *a, _fn=fn, **k: counter.wrap(_fn(*a, **k)))
        return counted


@contextlib.contextmanager
def count_matmul_flops(modules) -> Iterator[MatmulCounter]:
    """Count matmul FLOPs done by code in ``modules`` (modules that do ``from ... import xp``).

    Inside the block each module's ``xp`` is a stand-in that returns counted arrays, so every
    array the layers create is counted; the caller views its own inputs and the model's
    parameters as ``counter.array_type`` (see ``view_parameters``). ``xp`` is restored on exit,
    also after an error.
    """
    counter = MatmulCounter()
    saved = [(m, m.xp) for m in modules]
    try:
        for m, xp in saved:
            m.xp = _CountingModule(xp, counter)
        yield counter
    finally:
        for m, xp in saved:
            m.xp = xp


def view_parameters(layer, array_type) -> None:
    """Make every layer reachable from ``layer`` hold its params and grads as ``array_type``
    views (same memory). Walks the attributes of layers and of lists of them.
    """
    seen = set()

    def visit(obj):
        if id(obj) in seen or not hasattr(obj, "__dict__"):
            return
        seen.add(id(obj))
        for key in ("params", "grads"):
            arrays = getattr(obj, key, None)
            if isinstance(arrays, list):
                arrays[:] = [a.view(array_type) if isinstance(a, numpy.ndarray) else a
                             for a in arrays]
        for value in vars(obj).values():
            for child in value if isinstance(value, (list, tuple)) else (value,):
                if hasattr(child, "__dict__") and not isinstance(child, numpy.ndarray):
                    visit(child)

    visit(layer)


def brute_force_flops(model, work: Callable[[Callable], object]) -> int:
    """Count the matmul FLOPs of ``work(wrap)``, which runs ``model`` on ``wrap(array)``s.

    The model's parameter lists are left holding counted views of its arrays (same memory,
    slower arithmetic): pass a throwaway model.
    """
    # Every attnseq module that imported ``xp``, except the backend that defines it (its
    # ``to_numpy`` asks ``xp is numpy``, which a stand-in would answer wrongly).
    modules = [m for name, m in sorted(sys.modules.items())
               if name.startswith("attnseq.") and m is not backend
               and getattr(m, "xp", None) is backend.xp]
    with count_matmul_flops(modules) as counter:
        view_parameters(model, counter.array_type)
        work(lambda a: counter.wrap(numpy.asarray(a)))
    return counter.flops


def brute_force_step_flops(model, xs, ts) -> int:
    """Matmul FLOPs of ``model.forward(xs, ts)`` and ``model.backward()``, counted."""
    def work(wrap):
        model.forward(wrap(xs), wrap(ts))
        model.backward()

    return brute_force_flops(model, work)


def brute_force_decode_flops(model, xs, start_id: int, length: int) -> int:
    """Matmul FLOPs of ``model.generate(xs, start_id, length)``, counted."""
    return brute_force_flops(model, lambda wrap: model.generate(wrap(xs), start_id, length))
