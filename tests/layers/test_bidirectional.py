"""TimeBiLSTM against two plain TimeLSTMs: one on the sequence, one on its reverse."""

import numpy as np
import pytest

from attnseq.layers import TimeBiLSTM, TimeLSTM

N, T, D, Hd = 3, 5, 4, 6


def weights(rng):
    return (rng.standard_normal((D, 4 * Hd)), rng.standard_normal((Hd, 4 * Hd)) * 0.5,
            rng.standard_normal(4 * Hd))


def two_lstms(fw, bw, xs, dhf, dhb):
    """The reference: hf, hb (re-reversed), dxs and the six weight gradients."""
    f, b = TimeLSTM(*fw), TimeLSTM(*bw)
    hf = f.forward(xs)
    hb = b.forward(xs[:, ::-1].copy())[:, ::-1]
    dxs = f.backward(dhf) + b.backward(dhb[:, ::-1].copy())[:, ::-1]
    return hf, hb, dxs, [g.copy() for g in f.grads + b.grads]


@pytest.mark.parametrize("merge", ["concat", "sum"])
def test_equals_two_lstms_on_the_sequence_and_its_reverse(merge):
    rng = np.random.default_rng(0)
    fw, bw = weights(rng), weights(rng)
    xs = rng.standard_normal((N, T, D))
    width = 2 * Hd if merge == "concat" else Hd
    dhs, dfinal = rng.standard_normal((N, T, width)), rng.standard_normal((N, width))
    layer = TimeBiLSTM(TimeLSTM(*fw), TimeLSTM(*bw), merge=merge)
    hs = layer.forward(xs)
    dxs = layer.backward(dhs, dfinal)

    if merge == "concat":
        dhf, dhb = dhs[:, :, :Hd].copy(), dhs[:, :, Hd:].copy()
        dhf[:, -1] += dfinal[:, :Hd]
        dhb[:, 0] += dfinal[:, Hd:]
    else:
        dhf, dhb = dhs.copy(), dhs.copy()
        dhf[:, -1] += dfinal
        dhb[:, 0] += dfinal
    hf, hb, dxs_ref, grads_ref = two_lstms(fw, bw, xs, dhf, dhb)
    if merge == "concat":
        np.testing.assert_allclose(hs, np.concatenate([hf, hb], axis=2), rtol=1e-12)
        np.testing.assert_allclose(layer.final_h, np.concatenate([hf[:, -1], hb[:, 0]], axis=1),
                                   rtol=1e-12)
    else:
        np.testing.assert_allclose(hs, hf + hb, rtol=1e-12)
        np.testing.assert_allclose(layer.final_h, hf[:, -1] + hb[:, 0], rtol=1e-12)
    assert hs.shape == (N, T, width)
    np.testing.assert_allclose(dxs, dxs_ref, rtol=1e-10, atol=1e-12)
    for g, ref in zip(layer.grads, grads_ref, strict=True):
        np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-12)


def test_backward_direction_reads_right_to_left():
    # Changing the last input changes every backward-direction state but only the last
    # forward-direction one: the two halves of the concatenation see opposite contexts.
    rng = np.random.default_rng(1)
    layer = TimeBiLSTM(TimeLSTM(*weights(rng)), TimeLSTM(*weights(rng)))
    xs = rng.standard_normal((N, T, D))
    before = layer.forward(xs)
    xs2 = xs.copy()
    xs2[:, -1] += 1.0
    after = layer.forward(xs2)
    assert np.array_equal(before[:, :-1, :Hd], after[:, :-1, :Hd])
    assert np.all(before[:, :, Hd:] != after[:, :, Hd:])


def test_without_final_gradient_equals_zero_final_gradient():
    rng = np.random.default_rng(2)
    layer = TimeBiLSTM(TimeLSTM(*weights(rng)), TimeLSTM(*weights(rng)), merge="sum")
    xs, dhs = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, Hd))
    layer.forward(xs)
    a = layer.backward(dhs)
    b = layer.backward(dhs, np.zeros((N, Hd)))
    np.testing.assert_allclose(a, b, rtol=0, atol=0)


@pytest.mark.parametrize("merge", ["concat", "sum"])
def test_layer_protocol(backward_twice, merge):
    rng = np.random.default_rng(3)
    layer = TimeBiLSTM(TimeLSTM(*weights(rng)), TimeLSTM(*weights(rng)), merge=merge)
    assert len(layer.params) == 6 and layer.params[0] is not layer.params[3]
    xs = rng.standard_normal((N, T, D))
    width = 2 * Hd if merge == "concat" else Hd
    backward_twice(layer, [xs], [rng.standard_normal((N, T, width)),
                                 rng.standard_normal((N, width))])


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    fw = [w.astype(np.float32) for w in weights(rng)]
    bw = [w.astype(np.float32) for w in weights(rng)]
    layer = TimeBiLSTM(TimeLSTM(*fw), TimeLSTM(*bw))
    hs = layer.forward(rng.standard_normal((N, T, D)).astype(np.float32))
    assert hs.dtype == np.float32 and layer.final_h.dtype == np.float32
    assert layer.backward(np.ones_like(hs)).dtype == np.float32


def test_unknown_merge_is_refused():
    rng = np.random.default_rng(5)
    with pytest.raises(ValueError, match="merge must be one of concat, sum, got 'max'"):
        TimeBiLSTM(TimeLSTM(*weights(rng)), TimeLSTM(*weights(rng)), merge="max")
