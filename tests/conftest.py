"""Shared test helpers, offered as fixtures (the test folders are not packages)."""

import numpy as np
import pytest


def _as_tuple(d):
    return d if isinstance(d, tuple) else (d,)


def _backward_twice(layer, forward_args, douts):
    """Run forward once and backward twice, checking the layer protocol along the way.

    * forward and backward leave their inputs, ``dout`` and the parameters untouched;
    * backward writes every element of every gradient array, in place (the arrays keep their
      identity; they are filled with NaN beforehand, so a skipped element shows);
    * a second backward gives identical results, even after the caller has added into what the
      first one returned (so nothing returned aliases the forward cache).

    Returns (input gradients, parameter gradients) of the first backward, as copies.
    """
    inputs_before = [np.copy(a) for a in forward_args]
    douts_before = [np.copy(d) for d in douts]
    params_before = [p.copy() for p in layer.params]
    layer.forward(*forward_args)
    for a, b in zip(forward_args, inputs_before, strict=True):
        assert np.array_equal(a, b), "forward modified its input"

    grad_ids = [id(g) for g in layer.grads]
    for g in layer.grads:
        g[...] = np.nan
    first = _as_tuple(layer.backward(*douts))
    first_copy = [None if d is None else d.copy() for d in first]
    grads_first = [g.copy() for g in layer.grads]
    assert [id(g) for g in layer.grads] == grad_ids, "grads must be written in place"
    for g in grads_first:
        assert np.all(np.isfinite(g)), "backward left part of a gradient unwritten"
    for a, b in zip(forward_args, inputs_before, strict=True):
        assert np.array_equal(a, b), "backward modified a forward input"
    for d, b in zip(douts, douts_before, strict=True):
        assert np.array_equal(d, b), "backward modified dout"
    for p, b in zip(layer.params, params_before, strict=True):
        assert np.array_equal(p, b), "forward/backward modified a parameter"

    for d in first:
        if d is not None and d.flags.writeable:
            d += 1.0
    second = _as_tuple(layer.backward(*douts))
    assert len(second) == len(first_copy)
    for a, b in zip(first_copy, second, strict=True):
        if a is None:
            assert b is None
        else:
            assert np.array_equal(a, b), "a second backward differs: the cache was overwritten"
    for a, b in zip(grads_first, layer.grads, strict=True):
        assert np.array_equal(a, b)
    return first_copy, grads_first


@pytest.fixture
def backward_twice():
    """The checker ``backward_twice(layer, forward_args, douts)``; see ``_backward_twice``."""
    return _backward_twice


def _model_backward_twice(model, xs, ts, *, fresh_forward: bool = True):
    """The protocol for a whole model: forward(xs, ts) and backward() write every element of
    every gradient in place, leave xs, ts and the parameters untouched, and a second backward
    from the same cache (and, when ``fresh_forward``, a new forward + backward) gives the same
    gradients. Models with dropout draw new masks on a new forward: pass fresh_forward=False.
    """
    xs_before, ts_before = xs.copy(), ts.copy()
    params_before = [p.copy() for p in model.params]
    grad_ids = [id(g) for g in model.grads]
    for g in model.grads:
        g[...] = np.nan
    model.forward(xs, ts)
    model.backward()
    assert [id(g) for g in model.grads] == grad_ids, "grads must be written in place"
    first = [g.copy() for g in model.grads]
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in first)
    model.backward()  # again, from the same forward cache
    assert all(np.array_equal(a, b) for a, b in zip(first, model.grads, strict=True))
    if fresh_forward:
        model.forward(xs, ts)
        model.backward()
        assert all(np.array_equal(a, b) for a, b in zip(first, model.grads, strict=True))
    assert np.array_equal(xs, xs_before) and np.array_equal(ts, ts_before)
    assert all(np.array_equal(p, b) for p, b in zip(model.params, params_before, strict=True))


@pytest.fixture
def model_backward_twice():
    """The checker ``model_backward_twice(model, xs, ts, fresh_forward=True)``."""
    return _model_backward_twice
