"""Gradient checking: every layer's and model's backward against central differences.

A *case* builds one layer or model in float64 with random parameters and inputs, and offers
two functions: ``loss()``, a scalar that depends on everything to check, and ``backprop()``,
which runs forward and backward and returns the analytic gradients of the float inputs (the
parameter gradients land in the layer's ``grads``). A layer's output is reduced to a scalar
by a fixed random projection, ``loss = Σ out · R``, so that ``dout = R`` exercises every
output element with a different weight.

The cases live in ``attnseq.gradcheck.cases``: ``layer_cases`` has one per layer class,
``model_cases`` one per model, ``variant_cases`` the attention model's variants, and
``all_cases`` all three. The test suite and ``attnseq gradcheck`` both run them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy

from attnseq.core.backend import xp


def numerical_gradient(loss: Callable[[], float], x: numpy.ndarray, eps: float = 1e-5,
                       indices: list[int] | None = None):
    """Central differences ``(f(x+ε) − f(x−ε)) / 2ε`` for every element of ``x`` (in place),
    or for the elements of ``x.reshape(-1)`` at ``indices`` (the others stay 0)."""
    grad = xp.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat writes x
    for i in range(flat.size) if indices is None else indices:
        old = flat[i]
        flat[i] = old + eps
        up = loss()
        flat[i] = old - eps
        down = loss()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), and 0 when both are zero."""
    denom = float(xp.linalg.norm(a)) + float(xp.linalg.norm(b))
    return 0.0 if denom == 0 else float(xp.linalg.norm(a - b)) / denom


@dataclass
class Case:
    """What one check needs; see the module docstring."""

    name: str
    params: list
    grads: list
    inputs: dict
    loss: Callable[[], float]
    backprop: Callable[[], dict]


def spread(size: int, elements: int | None) -> list[int] | None:
    """``elements`` flat indices spread evenly over an array of ``size`` (None: all of them)."""
    if elements is None or elements >= size:
        return None
    return numpy.linspace(0, size - 1, elements).round().astype(int).tolist()


def check(case: Case, eps: float = 1e-5, elements: int | None = None) -> dict[str, float]:
    """Return the relative error of each parameter (``param0``, …) and float input; with
    ``elements``, over that many elements of each, spread evenly (a quicker check)."""
    analytic_inputs = case.backprop()
    analytic_params = [g.copy() for g in case.grads]
    errors = {}

    def error(analytic, x) -> float:
        at = spread(x.size, elements)
        numeric = numerical_gradient(case.loss, x, eps, at)
        if at is None:
            return relative_error(analytic, numeric)
        return relative_error(analytic.reshape(-1)[at], numeric.reshape(-1)[at])

    for k, (p, g) in enumerate(zip(case.params, analytic_params, strict=True)):
        errors[f"param{k}"] = error(g, p)
    for key, x in case.inputs.items():
        errors[key] = error(analytic_inputs[key], x)
    return errors
