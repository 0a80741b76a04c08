"""TimeStackedLSTM against a hand-written chain of TimeLSTMs, with and without skips/dropout."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.layers import TimeBiLSTM, TimeLSTM, TimeStackedLSTM

N, T, D, H, L = 3, 5, 4, 6, 3


def weights(rng, L=L):
    """Per layer (Wx, Wh, b): the first reads D-wide inputs, the others H-wide ones."""
    return [(rng.standard_normal((D if l == 0 else H, 4 * H)) * 0.5,
             rng.standard_normal((H, 4 * H)) * 0.5, rng.standard_normal(4 * H))
            for l in range(L)]


def stack(ws, stateful=False, **kw):
    return TimeStackedLSTM([TimeLSTM(*w, stateful=stateful) for w in ws], **kw)


def chain(ws, xs, dout, dfinal, *, residual, h0=None, masks=None):
    """The reference: TimeLSTMs called one after another, skips and masks written out.

    Returns out, final_h, dxs, the weight gradients, and (with h0) dh0.
    """
    lstms = [TimeLSTM(*w, stateful=h0 is not None) for w in ws]
    x, finals = xs, []
    for l, lstm in enumerate(lstms):
        if l > 0 and masks is not None:
            x = x * masks[l - 1]
        if h0 is not None:
            lstm.set_state(h0[:, l])
        y = lstm.forward(x)
        finals.append(y[:, -1])
        x = y + x if residual and l > 0 else y
    finals = np.stack(finals, axis=1)
    dy = dout
    for l in reversed(range(len(lstms))):
        d = dy.copy()
        d[:, -1] += dfinal[:, l]
        dx = lstms[l].backward(d)
        if residual and l > 0:
            dx = dx + dy
        if l > 0 and masks is not None:
            dx = dx * masks[l - 1]
        dy = dx
    grads = [g.copy() for lstm in lstms for g in lstm.grads]
    dh0 = np.stack([lstm.dh for lstm in lstms], axis=1) if h0 is not None else None
    return x, finals, dy, grads, dh0


def data(seed):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((N, T, D)), rng.standard_normal((N, T, H)),
            rng.standard_normal((N, L, H)), rng.standard_normal((N, L, H)))


def assert_same(layer, got, ref):
    out, dxs = got
    ref_out, ref_finals, ref_dxs, ref_grads, _ = ref
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(layer.final_h, ref_finals, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(dxs, ref_dxs, rtol=1e-10, atol=1e-12)
    for g, r in zip(layer.grads, ref_grads, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("residual", [False, True], ids=["plain", "residual"])
def test_equals_a_chain_of_lstms(residual):
    xs, dout, dfinal, _ = data(0)
    ws = weights(np.random.default_rng(1))
    layer = stack(ws, residual=residual)
    out = layer.forward(xs)
    got = (out, layer.backward(dout, dfinal))
    assert_same(layer, got, chain(ws, xs, dout, dfinal, residual=residual))


def test_residual_with_the_skip_removed_is_plain_stacking():
    # Each residual layer's output minus its input is what a plain layer computes from it.
    xs, _, _, _ = data(2)
    ws = weights(np.random.default_rng(3), L=2)
    res = stack(ws, residual=True)
    out = res.forward(xs)
    below = TimeLSTM(*ws[0]).forward(xs)
    np.testing.assert_allclose(out - below, TimeLSTM(*ws[1]).forward(below), rtol=1e-12,
                               atol=1e-13)
    # ... and with one layer there is nothing to skip around: residual changes nothing
    one_res, one = stack(ws[:1], residual=True), stack(ws[:1])
    np.testing.assert_array_equal(one_res.forward(xs), one.forward(xs))


def test_final_states_are_the_lstms_own_not_the_skip_sums():
    xs, _, _, _ = data(4)
    layer = stack(weights(np.random.default_rng(5)), residual=True)
    out = layer.forward(xs)
    assert layer.final_h.shape == (N, L, H)
    assert not np.allclose(layer.final_h[:, -1], out[:, -1])


def test_stateful_stack_starts_from_h0_and_returns_its_gradient():
    xs, dout, dfinal, h0 = data(6)
    ws = weights(np.random.default_rng(7))
    layer = stack(ws, stateful=True, residual=True)
    layer.set_state(h0)
    got = (layer.forward(xs), layer.backward(dout, dfinal))
    ref = chain(ws, xs, dout, dfinal, residual=True, h0=h0)
    assert_same(layer, got, ref)
    np.testing.assert_allclose(layer.dh, ref[4], rtol=1e-10, atol=1e-12)


def test_dropout_masks_every_layer_input_but_the_first():
    xs, dout, dfinal, _ = data(8)
    ws = weights(np.random.default_rng(9))
    layer = stack(ws, residual=True, dropout=0.4, rng=10)
    out = layer.forward(xs)
    masks = [d.mask for d in layer.dropouts]
    assert len(masks) == L - 1 and all(np.any(m == 0) for m in masks)
    got = (out, layer.backward(dout, dfinal))
    assert_same(layer, got, chain(ws, xs, dout, dfinal, residual=True, masks=masks))
    assert all(d.rng is layer.dropouts[0].rng for d in layer.dropouts)  # one stream


def test_dropout_in_eval_mode_is_a_stack_without_dropout():
    xs, dout, _, _ = data(11)
    ws = weights(np.random.default_rng(12))
    layer, plain = stack(ws, residual=True, dropout=0.5, rng=0), stack(ws, residual=True)
    layer.train_mode(False)
    np.testing.assert_array_equal(layer.forward(xs), plain.forward(xs))
    np.testing.assert_array_equal(layer.backward(dout), plain.backward(dout))
    layer.train_mode(True)
    assert not np.allclose(layer.forward(xs), plain.forward(xs))


@pytest.mark.parametrize("residual", [False, True], ids=["plain", "residual"])
def test_step_by_step_equals_the_whole_sequence(residual):
    xs, _, _, h0 = data(13)
    layer = stack(weights(np.random.default_rng(14)), stateful=True, residual=residual)
    layer.set_state(h0)
    out = layer.forward(xs)
    h, c = h0.copy(), np.zeros_like(h0)
    for t in range(T):
        y, h, c = layer.step(xs[:, t], h, c)
        np.testing.assert_allclose(y, out[:, t], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(h, layer.final_h, rtol=1e-12, atol=1e-13)


def test_bidirectional_bottom_layer():
    xs, dout, dfinal, _ = data(15)
    rng = np.random.default_rng(16)
    ws = weights(rng, L=2)
    bw = (rng.standard_normal((D, 4 * H)), rng.standard_normal((H, 4 * H)),
          rng.standard_normal(4 * H))
    bi = TimeBiLSTM(TimeLSTM(*ws[0]), TimeLSTM(*bw), merge="sum")
    layer = TimeStackedLSTM([bi, TimeLSTM(*ws[1])], residual=True)
    out = layer.forward(xs)
    ref_bi = TimeBiLSTM(TimeLSTM(*ws[0]), TimeLSTM(*bw), merge="sum")
    below = ref_bi.forward(xs)
    np.testing.assert_allclose(out, TimeLSTM(*ws[1]).forward(below) + below, rtol=1e-12)
    np.testing.assert_allclose(layer.final_h[:, 0], ref_bi.final_h, rtol=1e-12)
    assert layer.backward(dout, dfinal[:, :2]).shape == xs.shape
    with pytest.raises(ValueError, match="set_state needs a stack of stateful TimeLSTMs"):
        layer.set_state(np.zeros((N, 2, H)))


def test_only_the_bottom_layer_may_be_bidirectional():
    rng = np.random.default_rng(17)
    ws = weights(rng, L=2)
    bi = TimeBiLSTM(TimeLSTM(*ws[1]), TimeLSTM(*weights(rng, L=2)[1]))
    with pytest.raises(ValueError, match="only the bottom layer"):
        TimeStackedLSTM([TimeLSTM(*ws[0]), bi])
    with pytest.raises(ValueError, match="at least one layer"):
        TimeStackedLSTM([])


@pytest.mark.parametrize("value", [1, 2.0, True])
def test_the_skips_start_at_layer_two_or_later(value):
    layer = TimeLSTM(*weights(np.random.default_rng(18), L=1)[0])
    with pytest.raises(AttnseqError) as info:
        TimeStackedLSTM([layer], residual=True, residual_from=value)
    assert str(info.value) == f"residual_from must be at least 2, got {value!r}"


def test_params_are_the_layers_in_order():
    ws = weights(np.random.default_rng(18))
    layer = stack(ws)
    assert [id(p) for p in layer.params] == [id(p) for lstm in layer.layers for p in lstm.params]
    assert len(layer.params) == 3 * L


@pytest.mark.parametrize("stateful", [False, True])
def test_layer_protocol(backward_twice, stateful):
    xs, dout, dfinal, h0 = data(19)
    layer = stack(weights(np.random.default_rng(20)), stateful=stateful, residual=True,
                  dropout=0.3, rng=21)
    if stateful:
        layer.set_state(h0)
    backward_twice(layer, [xs], [dout, dfinal])
