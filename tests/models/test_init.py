"""Initialisation schemes: embedding scales, the default scheme's forget-gate bias, seeding."""

import numpy as np
import pytest

from attnseq.fast import EmbeddingLSTM
from attnseq.models import AttentionSeq2seq
from attnseq.models.init import Initializer


@pytest.mark.parametrize("scheme, std", [("book", 0.01), ("scaled", 0.25), ("default", 0.25)])
def test_embedding_scale(scheme, std):
    W = Initializer(0, np.float64, scheme).embedding(4000, 16)  # 1/√16 = 0.25
    assert W.shape == (4000, 16)
    assert W.std() == pytest.approx(std, rel=0.02) and abs(W.mean()) < 0.05 * std


@pytest.mark.parametrize("scheme", Initializer.SCHEMES)
def test_lstm_bias_is_zero_but_the_default_forget_gate(scheme):
    D, H = 5, 7
    Wx, Wh, b = Initializer(1, np.float64, scheme).lstm(D, H)
    assert Wx.shape == (D, 4 * H) and Wh.shape == (H, 4 * H) and b.shape == (4 * H,)
    expected = np.zeros(4 * H)
    if scheme == "default":
        expected[:H] = 1.0  # gate order f, g, i, o: the forget gate's block comes first
    assert np.array_equal(b, expected)


def test_lstm_draws_in_the_earlier_gate_order_and_moves_the_blocks():
    """A seed gives the LSTM it gave when the gates were held as f, i, o, g: the same draws,
    each gate's columns moved to the book's place (f, g, i, o)."""
    D, H = 3, 2
    Wx, Wh, _ = Initializer(4, np.float64, "scaled").lstm(D, H)
    rng = np.random.default_rng(4)
    old_Wx = rng.standard_normal((D, 4 * H)) * (1.0 / np.sqrt(D))
    old_Wh = rng.standard_normal((H, 4 * H)) * (1.0 / np.sqrt(H))
    for new, old in ((Wx, old_Wx), (Wh, old_Wh)):
        f, i, o, g = np.split(old, 4, axis=1)
        assert np.array_equal(new, np.concatenate([f, g, i, o], axis=1))


def test_schemes_draw_the_same_matrices_from_the_same_seed():
    scaled, default = Initializer(3, np.float64, "scaled"), Initializer(3, np.float64, "default")
    for a, b in zip(scaled.lstm(4, 6)[:2] + (scaled.embedding(9, 4),),
                    default.lstm(4, 6)[:2] + (default.embedding(9, 4),), strict=True):
        assert np.array_equal(a, b)


def test_every_lstm_of_a_default_model_starts_with_forget_bias_one():
    model = AttentionSeq2seq(11, 4, 6, seed=0, init="default", encoder="bi", num_layers=2,
                             residual=True)
    lstm_biases = [p for p in model.params if p.shape in ((4 * 3,), (4 * 6,))]
    assert len(lstm_biases) == 5  # bi encoder layer (2 directions of H/2), layer 2, 2 decoder
    for b in lstm_biases:
        H = b.shape[0] // 4
        assert np.all(b[:H] == 1.0) and np.all(b[H:] == 0.0)
    book = AttentionSeq2seq(11, 4, 6, seed=0, init="book")
    assert not any(np.any(p[: p.shape[0] // 4] == 1.0) for p in book.params if p.ndim == 1)
    assert isinstance(model.decoder.lstm.layers[0], EmbeddingLSTM)


def test_unknown_scheme():
    with pytest.raises(ValueError) as info:
        Initializer(0, None, "xavier")
    assert str(info.value) == "unknown init 'xavier'; choose from default, scaled, book"
