"""The family configs: validation, their tagged JSON form, and build_model."""

import dataclasses
import json

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.models import MODELS
from attnseq.models.config import Seq2seqConfig, TransformerConfig, build_model
from attnseq.models.config_entry import config_from_dict, model_config

SIZES = ("wordvec_size", "hidden_size", "question_len", "answer_len")


def test_defaults_are_the_books_attention_model():
    c = Seq2seqConfig()
    assert (c.model, c.wordvec_size, c.hidden_size, c.reverse) == ("attention", 16, 256, True)


def test_is_frozen():
    c = Seq2seqConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.hidden_size = 8


def test_unknown_model_is_refused_with_the_choices():
    with pytest.raises(AttnseqError) as info:
        Seq2seqConfig(model="ntm-ish")
    assert str(info.value) == (
        "unknown model 'ntm-ish'; choose from baseline, peeky, attention, gnmt, transformer")
    with pytest.raises(AttnseqError) as info:
        Seq2seqConfig(model="transformer")
    assert str(info.value) == ("a seq2seq config holds baseline, peeky, attention, gnmt, not "
                               "'transformer'")


def test_each_family_holds_its_own_fields():
    seq2seq = {f.name for f in dataclasses.fields(Seq2seqConfig)}
    transformer = {f.name for f in dataclasses.fields(TransformerConfig)}
    assert {"wordvec_size", "hidden_size", "encoder", "score"} <= seq2seq - transformer
    assert {"d_model", "heads", "d_ff", "norm"} <= transformer - seq2seq
    assert {"reverse", "question_len", "answer_len", "init", "num_layers", "dropout",
            "label_smoothing"} <= seq2seq & transformer
    assert TransformerConfig().model == "transformer"  # as a Seq2seqConfig's model field


@pytest.mark.parametrize("name", SIZES)
@pytest.mark.parametrize("value", [0, -3, 2.0, "8", True, None])
def test_sizes_must_be_positive_integers(name, value):
    with pytest.raises(AttnseqError) as info:
        Seq2seqConfig(**{name: value})
    assert str(info.value) == f"{name} must be a positive integer, got {value!r}"


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_reverse_must_be_a_bool(value):
    with pytest.raises(AttnseqError) as info:
        Seq2seqConfig(reverse=value)
    assert str(info.value) == f"reverse must be true or false, got {value!r}"


def test_smallest_sizes_are_accepted():
    c = Seq2seqConfig(wordvec_size=1, hidden_size=1, question_len=1, answer_len=1)
    assert (c.wordvec_size, c.hidden_size, c.question_len, c.answer_len) == (1, 1, 1, 1)


@pytest.mark.parametrize("name", list(MODELS))
def test_build_model_follows_the_config(name):
    # even: GNMT halves it; the Transformer takes d_model, not the LSTM widths
    c = model_config(name, {"wordvec_size": 3, "hidden_size": 6, "d_model": 8, "heads": 2})
    model = build_model(c, 11, pad_id=0, seed=0)
    assert type(model) is MODELS[name]
    if name == "transformer":  # its widths are its own: d_model, d_ff
        assert (model.vocab_size, model.d_model, model.impl) == (11, 8, "fast")
        assert not hasattr(model, "wordvec_size") and not hasattr(model, "hidden_size")
    else:
        assert (model.vocab_size, model.wordvec_size, model.hidden_size) == (11, 3, 6)
    # the encoder's embedding comes first, D wide (the Transformer's D is d_model)
    assert model.params[0].shape == (11, 8 if name == "transformer" else 3)
    assert model.pad_id == 0


def test_build_model_is_seeded():
    c = Seq2seqConfig(wordvec_size=3, hidden_size=5)
    a, b = build_model(c, 9, seed=4), build_model(c, 9, seed=4)
    other = build_model(c, 9, seed=5)
    assert all((p == q).all() for p, q in zip(a.params, b.params, strict=True))
    assert any((p != q).any() for p, q in zip(a.params, other.params, strict=True))


@pytest.mark.parametrize("name, own", [("baseline", ("uni", 1, False)),
                                       ("attention", ("uni", 1, False)),
                                       ("gnmt", ("bi", 3, True))])
def test_fields_left_to_the_model_are_saved_as_its_own_defaults(name, own):
    c = Seq2seqConfig(model=name, hidden_size=6)
    assert (c.encoder, c.num_layers, c.residual) == own
    d = json.loads(json.dumps(c.to_dict()))
    assert (d["encoder"], d["num_layers"], d["residual"]) == own  # explicit in a checkpoint
    assert config_from_dict(d) == c
    explicit = Seq2seqConfig(model=name, hidden_size=6, encoder=own[0], num_layers=own[1],
                           residual=own[2])
    assert explicit == c


def test_transformer_fields_default_and_are_checked():
    config = TransformerConfig()
    assert (config.num_layers, config.d_model, config.heads, config.norm) == (2, 64, 4, "pre")
    with pytest.raises(AttnseqError, match=r"^heads \(5\) must divide d_model \(64\)$"):
        TransformerConfig(heads=5)
    with pytest.raises(AttnseqError, match=r"^unknown norm 'middle'"):
        TransformerConfig(norm="middle")
    with pytest.raises(AttnseqError, match=r"^label_smoothing must be a number in \[0, 1\), "
                                           r"got 1$"):
        TransformerConfig(label_smoothing=1)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("impl", ["book", "fast"])
def test_impl_reaches_every_model(name, impl):
    config = (TransformerConfig(d_model=8, heads=2, d_ff=8) if name == "transformer"
              else Seq2seqConfig(model=name, wordvec_size=3, hidden_size=6))
    assert build_model(config, 9, impl=impl).impl == impl
