"""The book's attention model: ``AttentionSeq2seq(impl="book")`` with the book's options is
built from ``models/book_attention.py`` (the book's layers, as ch08/attention_seq2seq.py holds
them), any other option from the general parts; its decoder computes what the book writes."""

import numpy as np

from attnseq import layers as L
from attnseq.models import MODELS
from attnseq.models import attention as general
from attnseq.models import book_attention as book

V, D, H = 9, 4, 5


def test_the_book_options_build_the_books_parts_and_only_they_do():
    model = MODELS["attention"](V, D, H, impl="book", dtype=np.float64, seed=0)
    enc, dec = model.encoder, model.decoder
    assert type(enc) is book.AttentionEncoder and type(dec) is book.AttentionDecoder
    assert [type(x) for x in (enc.embed, enc.lstm)] == [L.TimeEmbedding, L.TimeLSTM]
    assert [type(x) for x in (dec.embed, dec.lstm, dec.attention, dec.affine)] == [
        L.TimeEmbedding, L.TimeLSTM, L.TimeAttention, L.TimeAffine]
    assert dec.lstm.stateful and not enc.lstm.stateful
    for options in ({"score": "general"}, {"num_layers": 2}, {"input_feeding": True}):
        other = MODELS["attention"](V, D, H, impl="book", seed=0, **options)
        assert not isinstance(other.decoder, book.AttentionDecoder), options
    fast = MODELS["attention"](V, D, H, impl="fast", seed=0)
    assert type(fast.decoder) is general.AttentionDecoder


def test_the_decoder_computes_the_books_equations():
    rng = np.random.default_rng(1)
    model = MODELS["attention"](V, D, H, impl="book", dtype=np.float64, seed=2)
    xs, ts = rng.integers(0, V, (3, 6)), rng.integers(0, V, (3, 4))
    enc_hs = model.encoder.forward(xs)
    np.testing.assert_array_equal(model.encoder.final_h[:, 0], enc_hs[:, -1])
    dec = model.decoder
    scores = dec.forward(ts, enc_hs)
    # written out: dec_hs = LSTM(embed(ts)) from enc_hs[:, -1]; c = attention; affine [c; h]
    lstm = L.TimeLSTM(*dec.lstm.params, stateful=True)
    lstm.set_state(enc_hs[:, -1])
    dec_hs = lstm.forward(dec.embed.params[0][ts])
    weights = np.einsum("nth,nsh->nts", dec_hs, enc_hs)
    weights = np.exp(weights - weights.max(axis=2, keepdims=True))
    weights /= weights.sum(axis=2, keepdims=True)
    c = weights @ enc_hs
    W, b = dec.affine.params
    np.testing.assert_allclose(scores, np.concatenate([c, dec_hs], axis=2) @ W + b, rtol=1e-10)


def test_the_start_states_gradient_reaches_the_encoders_last_state_either_way():
    """Without h0 the book adds dh into denc_hs[:, -1]; with h0 (the encoder's final_h) it is
    left in dh0 and the encoder adds it there itself: the same encoder gradients."""
    rng = np.random.default_rng(3)
    xs, ts = rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 3))
    grads = {}
    for given in (False, True):
        model = MODELS["attention"](V, D, H, impl="book", dtype=np.float64, seed=4)
        enc_hs = model.encoder.forward(xs)
        h0 = model.encoder.final_h if given else None
        scores = model.decoder.forward(ts, enc_hs, None, h0)
        denc_hs = model.decoder.backward(rng.standard_normal(scores.shape))
        assert (model.decoder.dh0 is not None) == given
        model.encoder.backward(denc_hs, model.decoder.dh0)
        grads[given] = [g.copy() for g in model.encoder.grads]
        rng = np.random.default_rng(3)
        rng.integers(0, V, (2, 5)), rng.integers(0, V, (2, 3))  # the same dscores next time
    for g, h in zip(grads[False], grads[True], strict=True):
        np.testing.assert_allclose(g, h, rtol=1e-12)
