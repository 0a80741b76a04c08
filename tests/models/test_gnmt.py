"""GNMT (``attnseq.models.gnmt``): its equations, learning, decoding, checkpoints and options.

The toy task is test_variants.py's (the ``reverse_pairs`` fixture): a question is 3–6 random
digits, its answer the same digits reversed, encoded by ``Converter`` as for any model
(padding, reversal, start and end).
"""

import subprocess
import sys

import numpy as np
import pytest

from attnseq import cli
from attnseq.cli.options import config_from_args
from attnseq.experiments.converter import Converter
from attnseq.fast import FastTimeLSTM
from attnseq.layers import GeneralScore, TimeBiLSTM, TimeLSTM, softmax
from attnseq.layers.dropout import dropouts_in
from attnseq.models import GNMT
from attnseq.models.config import Seq2seqConfig, build_model
from attnseq.models.config_entry import model_config
from attnseq.models.gnmt import GNMTDecoder, GNMTEncoder
from attnseq.tasks.vocab import Vocab

VOCAB = Vocab.from_texts(["0123456789"])
Q_LEN = A_LEN = 6


def config(hidden_size=32, **options):
    return Seq2seqConfig(model="gnmt", wordvec_size=16, hidden_size=hidden_size,
                       question_len=Q_LEN, answer_len=A_LEN, **options)


def randomised(model, seed, scale=0.5):
    """Weights N(0, scale²): untrained outputs that vary from step to step."""
    rng = np.random.default_rng(seed)
    for p in model.params:
        p[...] = rng.standard_normal(p.shape) * scale
    return model


def teacher_forced(model, xs, ts_in):
    """The decoder's scores (N, Td, V) reading ``ts_in``, as training computes them."""
    enc_hs = model.encoder.forward(xs)
    return model.decoder.forward(ts_in, enc_hs, model.mask(xs), model.encoder.final_h)


# --------------------------------------------------------------------------- the equations


def reference(model, xs, ts_in):
    """The module docstring's equations with the book's TimeLSTM, on the model's weights:
    (scores (N, Td, V), attention weights (N, Td, Te)). Dot score, concatenated directions."""
    enc, dec = model.encoder, model.decoder
    E = enc.embed.params[0][xs]
    bi = enc.lstm.layers[0]
    hf = TimeLSTM(*bi.forward_lstm.params).forward(E)
    hb = TimeLSTM(*bi.backward_lstm.params).forward(E[:, ::-1])[:, ::-1]
    e = np.concatenate([hf, hb], axis=2)
    finals = [np.concatenate([hf[:, -1], hb[:, 0]], axis=1)]
    for l, layer in enumerate(enc.lstm.layers[1:], start=2):
        y = TimeLSTM(*layer.params).forward(e)
        finals.append(y[:, -1])
        e = y + e if l >= 3 else y  # the skips start at layer 3
    W, *bottom = dec.bottom.params
    lstm = TimeLSTM(*bottom, stateful=True)
    lstm.set_state(finals[0])
    d = lstm.forward(W[ts_in])
    S = d @ e.transpose(0, 2, 1)  # (N, Td, Te), the bottom layer against every input state
    A = softmax(np.where((xs != VOCAB.pad_id)[:, None, :], S, -np.inf))
    C = A @ e
    for l, layer in enumerate(dec.upper.layers, start=2):
        lstm = TimeLSTM(*layer.params, stateful=True)
        lstm.set_state(finals[l - 1])
        y = lstm.forward(np.concatenate([d, C], axis=2))  # the context beside every input
        d = y + d if l >= 3 else y
    Wa, ba = dec.affine.params
    return np.concatenate([C, d], axis=2) @ Wa + ba, A


@pytest.mark.parametrize("layers", [2, 3, 4])
def test_forward_is_the_documented_arrangement(layers, reverse_pairs):
    conv = Converter.create(config(hidden_size=8, num_layers=layers), VOCAB, seed=1,
                            dtype=np.float64)
    model = randomised(conv.model, seed=2)
    xs, ts = conv.encode(reverse_pairs(3, 9))
    scores = teacher_forced(model, xs, ts[:, :-1])
    ref_scores, ref_weights = reference(model, xs, ts[:, :-1])
    np.testing.assert_allclose(scores, ref_scores, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.decoder.attention.attention_weights, ref_weights,
                               rtol=1e-10, atol=1e-14)


def test_structure():
    model = build_model(config(hidden_size=8), 13, seed=0)
    assert type(model) is GNMT and model.options["num_layers"] == 3
    assert type(model.encoder) is GNMTEncoder and type(model.decoder) is GNMTDecoder
    enc = model.encoder.lstm
    assert enc.num_layers == 3 and isinstance(enc.layers[0], TimeBiLSTM)
    assert enc.layers[0].forward_lstm.params[1].shape == (4, 16)  # each direction H/2 wide
    assert [enc.skips(l) for l in range(3)] == [False, False, True]
    up = model.decoder.upper
    assert model.decoder.num_layers == 3 and up.num_layers == 2
    assert all(type(layer) is FastTimeLSTM and layer.params[0].shape == (16, 32)
               for layer in up.layers)  # Wx (2H, 4H): [layer below ; context]
    assert [up.skips(l) for l in range(2)] == [False, True]  # decoder layers 2 and 3
    assert model.decoder.affine.params[0].shape == (16, 13)  # [context ; top layer]
    deep = build_model(config(hidden_size=8, num_layers=4, dropout=0.2, bi_merge="sum",
                              score="general"), 13, seed=0)
    assert deep.encoder.lstm.layers[0].forward_lstm.params[1].shape == (8, 32)
    assert [d.rate for d in deep.encoder.lstm.dropouts] == [0.2] * 3
    assert [d.rate for d in dropouts_in(deep.decoder)] == [0.2] * 3  # into layers 2, 3, 4
    assert isinstance(deep.decoder.attention.score, GeneralScore)


def test_params_are_seeded_bound_and_in_the_dtype():
    a, b = (build_model(config(hidden_size=8), 13, seed=3) for _ in range(2))
    assert all(np.array_equal(p, q) for p, q in zip(a.params, b.params, strict=True))
    assert len({id(p) for p in a.params}) == len(a.params)
    assert len({id(g) for g in a.grads}) == len(a.grads)
    assert all(p.shape == g.shape and p.dtype == g.dtype == np.float32
               for p, g in zip(a.params, a.grads, strict=True))


def test_backward_writes_grads_in_place_and_is_pure(model_backward_twice, reverse_pairs):
    conv = Converter.create(config(hidden_size=8, num_layers=4), VOCAB, seed=0,
                            dtype=np.float64)
    xs, ts = conv.encode(reverse_pairs(8, 6))
    model_backward_twice(randomised(conv.model, seed=1), xs, ts)


# --------------------------------------------------------------------------- decoding


@pytest.mark.parametrize("options", [{}, {"num_layers": 4, "dropout": 0.3},
                                     {"num_layers": 2, "score": "additive"}],
                         ids=["default", "layers=4,dropout", "layers=2,additive"])
def test_greedy_attention_equals_teacher_forcing_on_its_own_output(options, reverse_pairs):
    conv = Converter.create(config(hidden_size=8, **options), VOCAB, seed=4, dtype=np.float64)
    model = randomised(conv.model, seed=5, scale=1.0)  # deep stacks need it to vary
    xs, _ = conv.encode(reverse_pairs(6, 12))
    ids, weights = model.generate(xs, VOCAB.start_id, A_LEN + 1, return_attention=True)
    own = np.concatenate([np.full((len(xs), 1), VOCAB.start_id), ids[:, :-1]], axis=1)
    model.train_mode(False)  # decoding never drops out: compare like with like
    scores = teacher_forced(model, xs, own)
    assert np.array_equal(scores.argmax(axis=2), ids)
    np.testing.assert_allclose(weights, model.decoder.attention.attention_weights,
                               rtol=1e-10, atol=1e-14)
    state = model.start(xs)
    for t in range(ids.shape[1]):
        logits, state = model.step(own[:, t], state)
        np.testing.assert_allclose(logits, scores[:, t], rtol=1e-10, atol=1e-12)
    padded = np.broadcast_to((xs == VOCAB.pad_id)[:, None, :], weights.shape)
    assert padded.any() and np.all(weights[padded] == 0.0)
    assert len({tuple(row) for row in ids}) > 3  # the comparison saw varied outputs


# --------------------------------------------------------------------------- learning


@pytest.fixture(scope="module")
def trained(reverse_pairs, train_until_exact):
    """GNMT at its default three layers (float32, H=32), trained on 64 pairs until exact."""
    pairs = reverse_pairs(0, 64)
    conv = Converter.create(config(), VOCAB, seed=0)
    history = train_until_exact(conv, pairs)
    return conv, pairs, history


def test_overfits_to_exact_match(trained):
    conv, pairs, history = trained
    assert history.stopped_early, f"not all exact after {len(history)} epochs"
    assert conv.accuracy(pairs) == 1.0
    assert conv.convert([q for q, _ in pairs[:3]]) == [a for _, a in pairs[:3]]


def test_round_trips_through_save_and_load(trained, tmp_path):
    conv, pairs, _ = trained
    conv.save(tmp_path / "gnmt")
    loaded = Converter.load(tmp_path / "gnmt")
    assert type(loaded.model) is GNMT and loaded.config == conv.config
    assert loaded.config.variant_options() == {
        "encoder": "bi", "bi_merge": "concat", "num_layers": 3, "residual": True,
        "dropout": 0.0, "output_dropout": 0.0, "score": "dot", "input_feeding": False}
    for p, q in zip(loaded.model.params, conv.model.params, strict=True):
        assert np.array_equal(p, q)
    xs, ts = conv.encode(pairs)
    assert np.array_equal(loaded.model.generate(xs, VOCAB.start_id, A_LEN + 1),
                          conv.model.generate(xs, VOCAB.start_id, A_LEN + 1))
    assert loaded.model.forward(xs, ts) == conv.model.forward(xs, ts)


# --------------------------------------------------------------------------- options


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="unknown GNMT options: layers"):
        GNMT(13, 4, 8, layers=2)


def test_the_models_own_defaults_fill_what_a_config_leaves_out():
    assert config().variant_options() == {
        "encoder": "bi", "bi_merge": "concat", "num_layers": 3, "residual": True,
        "dropout": 0.0, "output_dropout": 0.0, "score": "dot", "input_feeding": False}
    assert Seq2seqConfig(model="attention").num_layers == 1  # the book's, as before
    # compare trains several models from one config: what one left to its defaults the
    # next takes from its own, what was chosen stays
    left = {"hidden_size": 16}
    assert model_config("gnmt", left) == Seq2seqConfig(model="gnmt", hidden_size=16)
    assert model_config("attention", left) == Seq2seqConfig(hidden_size=16)
    chosen = {"hidden_size": 16, "num_layers": 4, "dropout": 0.1}
    assert model_config("gnmt", chosen).num_layers == 4
    assert model_config("gnmt", chosen).dropout == 0.1


# --------------------------------------------------------------------------- command line


def test_cli_train_model_gnmt_alone_builds_its_defaults():
    args = cli.build_parser().parse_args(["train", "--model", "gnmt"])
    assert config_from_args(args, "gnmt") == Seq2seqConfig(model="gnmt")
    args = cli.build_parser().parse_args(["train", "--model", "gnmt", "--layers", "4",
                                          "--dropout", "0.2", "--score", "general"])
    assert config_from_args(args, "gnmt").variant_options() == {
        "encoder": "bi", "bi_merge": "concat", "num_layers": 4, "residual": True,
        "dropout": 0.2, "output_dropout": 0.0, "score": "general", "input_feeding": False}


# (the configs and the model refuse the same, tests/models/test_variant_options.py)
@pytest.mark.parametrize("argv, message", [
    (["--encoder", "uni"], "model 'gnmt' has a bidirectional bottom encoder layer: encoder "
     "must be 'bi', got 'uni'"),
    (["--input-feeding"], "input_feeding needs model 'attention', not 'gnmt' (gnmt feeds the "
     "context to the layers above the bottom one)"),
    (["--layers", "1"], "model 'gnmt' needs num_layers >= 2 (the context feeds the layers "
     "above the bottom one), got 1"),
    (["--hidden-size", "15"], "encoder 'bi' with bi_merge 'concat' needs an even hidden_size "
     "(each direction is half of it), got 15"),
])
def test_cli_refuses_what_gnmt_fixes_in_one_line(argv, message, tmp_path):
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "attnseq", "train", "--model", "gnmt", *argv,
                        "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr == f"attnseq train: error: {message}\n"
    assert not out.exists()
