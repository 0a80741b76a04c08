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


def numerical_gradient(loss: Callable[[], float], x: numpy.ndarray, eps: float = 1e-5):
    """Central differences ``(f(x+ε) − f(x−ε)) / 2ε`` for every element of ``x`` (in place)."""
    grad = numpy.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views: writing flat writes x
    for i in range(flat.size):
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
    denom = numpy.linalg.norm(a) + numpy.linalg.norm(b)
    return 0.0 if denom == 0 else float(numpy.linalg.norm(a - b) / denom)


@dataclass
class Case:
    """What one check needs; see the module docstring."""

    name: str
    params: list
    grads: list
    inputs: dict
    loss: Callable[[], float]
    backprop: Callable[[], dict]


def check(case: Case, eps: float = 1e-5) -> dict[str, float]:
    """Return the relative error of each parameter (``param0``, …) and float input."""
    analytic_inputs = case.backprop()
    analytic_params = [g.copy() for g in case.grads]
    errors = {}
    for k, (p, g) in enumerate(zip(case.params, analytic_params, strict=True)):
        errors[f"param{k}"] = relative_error(g, numerical_gradient(case.loss, p, eps))
    for key, x in case.inputs.items():
        errors[key] = relative_error(analytic_inputs[key], numerical_gradient(case.loss, x, eps))
    return errors
