"""The attention model's variants: they learn, decode as they train, and save and load.

The toy task (the ``reverse_pairs`` fixture): a question is 3–6 random digits, its answer the
same digits reversed; the vocabulary is the ten digits plus the special tokens, and
``Converter`` encodes the pairs as for any model (padding, input reversal, start and end
tokens).
"""

import numpy as np
import pytest

from attnseq.experiments.converter import Converter
from attnseq.layers import AdditiveScore, DotScore, GeneralScore, TimeBiLSTM
from attnseq.layers.dropout import dropouts_in
from attnseq.models.attention import AttentionDecoder
from attnseq.models.config import build_model
from attnseq.models.config_entry import model_config
from attnseq.models.input_feeding import InputFeedingDecoder
from attnseq.models.seq2seq import Seq2seq
from attnseq.tasks.vocab import Vocab

VOCAB = Vocab.from_texts(["0123456789"])
Q_LEN = A_LEN = 6

VARIANTS = {
    "bi": {"encoder": "bi"},
    "bi-sum": {"encoder": "bi", "bi_merge": "sum"},
    "deep": {"num_layers": 3, "residual": True, "dropout": 0.1},
    "bi-deep": {"encoder": "bi", "num_layers": 2, "residual": True},
    "scaled": {"score": "scaled"},
    "general": {"score": "general"},
    "additive": {"score": "additive"},
    "input-feeding": {"input_feeding": True},
    "input-feeding-bi-additive": {"input_feeding": True, "encoder": "bi", "score": "additive"},
}


def config(hidden_size=32, model="attention", **options):
    return model_config(model, dict(wordvec_size=16, hidden_size=hidden_size,
                       question_len=Q_LEN, answer_len=A_LEN, **options))


@pytest.fixture(scope="module", params=list(VARIANTS))
def trained(request, reverse_pairs, train_until_exact):
    """Each variant (float32, H=32) trained by the Trainer on 64 pairs until all are exact."""
    pairs = reverse_pairs(0, 64)
    conv = Converter.create(config(**VARIANTS[request.param]), VOCAB, seed=0)
    history = train_until_exact(conv, pairs)
    return request.param, conv, pairs, history


def test_overfits_to_exact_match(trained):
    _, conv, pairs, history = trained
    assert history.stopped_early, f"not all exact after {len(history)} epochs"
    assert conv.accuracy(pairs) == 1.0
    assert conv.convert([q for q, _ in pairs[:3]]) == [a for _, a in pairs[:3]]


def test_round_trips_through_save_and_load(trained, tmp_path):
    name, conv, pairs, _ = trained
    conv.save(tmp_path / name)
    loaded = Converter.load(tmp_path / name)
    assert loaded.config == conv.config
    assert loaded.config.variant_options() == {**config().variant_options(), **VARIANTS[name]}
    assert len(loaded.model.params) == len(conv.model.params)
    for p, q in zip(loaded.model.params, conv.model.params, strict=True):
        assert np.array_equal(p, q)
    xs, _ = conv.encode(pairs)
    assert np.array_equal(loaded.model.generate(xs, VOCAB.start_id, A_LEN + 1),
                          conv.model.generate(xs, VOCAB.start_id, A_LEN + 1))
    assert loaded.convert([q for q, _ in pairs]) == conv.convert([q for q, _ in pairs])


# --------------------------------------------------------------------------- decoding


def randomised(model, seed):
    """Unit-scale random weights, so that untrained outputs vary from step to step."""
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape)
    return model


def weights_of(decoder):
    """The attention weights (N, Td, Te) of the decoder's last teacher-forced forward."""
    if isinstance(decoder, InputFeedingDecoder):
        return decoder.attention_weights
    return decoder.attention.attention_weights


@pytest.mark.parametrize("name", list(VARIANTS))
def test_teacher_forced_scores_equal_running_step_along_the_teacher_tokens(name,
                                                                          reverse_pairs):
    conv = Converter.create(config(hidden_size=8, **VARIANTS[name]), VOCAB, seed=1,
                            dtype=np.float64)
    model = randomised(conv.model, seed=2)
    model.train_mode(False)  # decoding never drops out: compare like with like
    xs, ts = conv.encode(reverse_pairs(3, 10))
    enc_hs = model.encoder.forward(xs)
    scores = model.decoder.forward(ts[:, :-1], enc_hs, model.mask(xs), model.encoder.final_h)
    weights = weights_of(model.decoder)
    state = model.start(xs)
    for t in range(ts.shape[1] - 1):
        logits, state = model.step(ts[:, t], state)
        np.testing.assert_allclose(logits, scores[:, t], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(state["attention"], weights[:, t], rtol=1e-10, atol=1e-13)
    assert len(np.unique(scores.argmax(axis=2))) > 2  # the comparison saw varied outputs


@pytest.mark.parametrize("name", list(VARIANTS))
def test_attention_weights_of_generate_skip_padding(name, reverse_pairs):
    conv = Converter.create(config(hidden_size=8, **VARIANTS[name]), VOCAB, seed=4)
    xs, _ = conv.encode(reverse_pairs(5, 7))
    ids, weights = conv.model.generate(xs, VOCAB.start_id, 4, return_attention=True)
    assert ids.shape == (7, 4) and weights.shape == (7, 4, Q_LEN)
    np.testing.assert_allclose(weights.sum(axis=2), 1.0, rtol=1e-5)
    padded = np.broadcast_to((xs == VOCAB.pad_id)[:, None, :], weights.shape)
    assert padded.any() and np.all(weights[padded] == 0.0)


def test_default_options_are_the_books_model(reverse_pairs):
    # The default variant takes the encoder's final state through ``h0``; the base class's
    # path, the book's (the decoder reads enc_hs[:, -1] itself), must give the same loss and
    # the same gradients.
    conv = Converter.create(config(hidden_size=8), VOCAB, seed=6, dtype=np.float64)
    model = randomised(conv.model, seed=7)
    assert type(model.decoder) is AttentionDecoder and model.decoder.lstm.num_layers == 1
    assert isinstance(model.decoder.attention.score, DotScore)
    xs, ts = conv.encode(reverse_pairs(8, 6))
    loss = model.forward(xs, ts)
    model.backward()
    grads = [g.copy() for g in model.grads]
    assert Seq2seq.forward(model, xs, ts) == loss
    Seq2seq.backward(model)
    for g, ref in zip(model.grads, grads, strict=True):
        np.testing.assert_allclose(g, ref, rtol=1e-13, atol=1e-15)
    assert [p.shape for p in model.params] == [(len(VOCAB), 16), (16, 32), (8, 32), (32,),
                                               (len(VOCAB), 16), (16, 32), (8, 32), (32,),
                                               (16, len(VOCAB)), (len(VOCAB),)]


# --------------------------------------------------------------------------- structure


def test_build_model_builds_each_option():
    bi = build_model(config(hidden_size=8, encoder="bi"), 13, seed=0)
    bottom = bi.encoder.lstm.layers[0]
    assert isinstance(bottom, TimeBiLSTM) and bottom.merge == "concat"
    assert bottom.forward_lstm.params[1].shape == (4, 16)  # each direction H/2 wide
    bi_sum = build_model(config(hidden_size=8, encoder="bi", bi_merge="sum"), 13, seed=0)
    assert bi_sum.encoder.lstm.layers[0].forward_lstm.params[1].shape == (8, 32)
    deep = build_model(config(hidden_size=8, num_layers=3, residual=True, dropout=0.2), 13)
    for part in (deep.encoder, deep.decoder):
        assert part.lstm.num_layers == 3 and part.lstm.residual
        assert [d.rate for d in part.lstm.dropouts] == [0.2, 0.2]
    assert isinstance(build_model(config(score="general"), 13).decoder.attention.score,
                      GeneralScore)
    feeding = build_model(config(hidden_size=8, input_feeding=True, score="additive"), 13)
    assert type(feeding.decoder) is InputFeedingDecoder
    assert isinstance(feeding.decoder.recurrence.attention.score, AdditiveScore)
    assert feeding.decoder.recurrence.lstm.params[0].shape == (16 + 8, 32)  # [embed ; context]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_params_are_deterministic_and_bound(name):
    a = build_model(config(hidden_size=8, **VARIANTS[name]), 13, seed=3)
    b = build_model(config(hidden_size=8, **VARIANTS[name]), 13, seed=3)
    assert [p.shape for p in a.params] == [p.shape for p in b.params]
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params, strict=True))
    assert len({id(p) for p in a.params}) == len(a.params)
    assert len({id(g) for g in a.grads}) == len(a.grads)
    assert all(p.shape == g.shape and p.dtype == g.dtype == np.float32
               for p, g in zip(a.params, a.grads, strict=True))


def test_decoding_never_drops_out(reverse_pairs):
    conv = Converter.create(config(hidden_size=8, num_layers=2, dropout=0.5), VOCAB, seed=0)
    model = conv.model
    xs, _ = conv.encode(reverse_pairs(10, 8))
    assert model.training  # a fresh model is in training mode, as its layers are
    first = model.generate(xs, VOCAB.start_id, 5, return_attention=True)
    again = model.generate(xs, VOCAB.start_id, 5, return_attention=True)
    model.train_mode(False)
    in_eval = model.generate(xs, VOCAB.start_id, 5, return_attention=True)
    for a, b, c in zip(first, again, in_eval, strict=True):
        assert np.array_equal(a, b) and np.array_equal(a, c)
    model.train_mode(True)
    model.generate(xs, VOCAB.start_id, 1)
    assert model.training and model.encoder.lstm.dropouts[0].training  # mode restored


@pytest.mark.parametrize("options", [{"num_layers": 2, "dropout": 0.5},
                                     {"output_dropout": 0.5},
                                     {"output_dropout": 0.5, "input_feeding": True},
                                     {"model": "gnmt", "num_layers": 2, "output_dropout": 0.5}],
                         ids=["between-layers", "output", "output,input-feeding", "gnmt,output"])
def test_dropout_follows_train_mode(options, reverse_pairs):
    conv = Converter.create(config(hidden_size=8, **options), VOCAB, seed=0)
    model = conv.model
    xs, ts = conv.encode(reverse_pairs(9, 8))
    dropouts = dropouts_in(model.encoder) + dropouts_in(model.decoder)
    assert dropouts and len(dropouts) == (2 if options.get("dropout") else 1)
    model.train_mode(True)
    assert model.forward(xs, ts) != model.forward(xs, ts)  # fresh masks every forward
    model.train_mode(False)
    assert model.forward(xs, ts) == model.forward(xs, ts)
    assert not any(d.training for d in dropouts)


def test_output_dropout_is_one_layer_at_its_rate_and_leaves_the_weights_alone():
    """The rate lands where it is asked for, and a model without it is the model that was
    there before the option: the same weights, no dropout layer."""
    plain = Converter.create(config(hidden_size=8), VOCAB, seed=3).model
    dropped = Converter.create(config(hidden_size=8, output_dropout=0.25), VOCAB, seed=3).model
    assert plain.decoder.out_dropout is None and dropouts_in(plain.decoder) == []
    assert dropped.decoder.out_dropout.rate == 0.25 and dropped.encoder.lstm.dropouts == []
    for p, q in zip(plain.params, dropped.params, strict=True):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_backward_writes_grads_in_place_and_is_pure(name, model_backward_twice,
                                                    reverse_pairs):
    conv = Converter.create(config(hidden_size=8, **VARIANTS[name]), VOCAB, seed=5,
                            dtype=np.float64)
    model = randomised(conv.model, seed=6)
    xs, ts = conv.encode(reverse_pairs(11, 6))
    # with dropout a new forward draws new masks: only the same cache must give the same
    model_backward_twice(model, xs, ts, fresh_forward=False)
