"""ModelConfig: validation, its JSON form, and build_model."""

import dataclasses
import json

import pytest

from attnseq.training.config import ModelConfig, build_model
from attnseq.core.errors import AttnseqError
from attnseq.models import MODELS

SIZES = ("wordvec_size", "hidden_size", "question_len", "answer_len")


def test_defaults_are_the_books_attention_model():
    c = ModelConfig()
    assert (c.model, c.wordvec_size, c.hidden_size, c.reverse) == ("attention", 16, 256, True)


def test_is_frozen():
    c = ModelConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.hidden_size = 8


def test_unknown_model_is_refused_with_the_choices():
    with pytest.raises(AttnseqError) as info:
        ModelConfig(model="ntm-ish")
    assert str(info.value) == (
        "unknown model 'ntm-ish'; choose from baseline, peeky, attention, gnmt, transformer")


@pytest.mark.parametrize("name", SIZES)
@pytest.mark.parametrize("value", [0, -3, 2.0, "8", True, None])
def test_sizes_must_be_positive_integers(name, value):
    with pytest.raises(AttnseqError) as info:
        ModelConfig(**{name: value})
    assert str(info.value) == f"{name} must be a positive integer, got {value!r}"


@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_reverse_must_be_a_bool(value):
    with pytest.raises(AttnseqError) as info:
        ModelConfig(reverse=value)
    assert str(info.value) == f"reverse must be true or false, got {value!r}"


def test_smallest_sizes_are_accepted():
    c = ModelConfig(wordvec_size=1, hidden_size=1, question_len=1, answer_len=1)
    assert (c.wordvec_size, c.hidden_size, c.question_len, c.answer_len) == (1, 1, 1, 1)


def test_dict_round_trip_through_json():
    c = ModelConfig(model="peeky", wordvec_size=8, hidden_size=12, reverse=False,
                    question_len=7, answer_len=3)
    d = json.loads(json.dumps(c.to_dict()))
    assert set(d) == {f.name for f in dataclasses.fields(ModelConfig)}
    assert {k: d[k] for k in ("model", "wordvec_size", "hidden_size", "reverse",
                              "question_len", "answer_len")} == {
        "model": "peeky", "wordvec_size": 8, "hidden_size": 12, "reverse": False,
        "question_len": 7, "answer_len": 3}
    assert ModelConfig.from_dict(d) == c


def test_from_dict_refuses_unknown_keys_sorted_and_listed():
    d = {**ModelConfig().to_dict(), "zeta": 1, "alpha": 2}
    with pytest.raises(AttnseqError) as info:
        ModelConfig.from_dict(d)
    assert str(info.value) == "unknown model config keys: alpha, zeta"


def test_from_dict_refuses_missing_keys():
    # A config that silently fell back to a default (reverse, question_len) would encode
    # inputs differently from how the saved weights were trained.
    d = ModelConfig().to_dict()
    del d["reverse"], d["answer_len"]
    with pytest.raises(AttnseqError) as info:
        ModelConfig.from_dict(d)
    assert str(info.value) == "missing model config keys: answer_len, reverse"


@pytest.mark.parametrize("d", [None, [], "attention", 3])
def test_from_dict_needs_an_object(d):
    with pytest.raises(AttnseqError) as info:
        ModelConfig.from_dict(d)
    assert str(info.value) == "model config must be a JSON object"


def test_from_dict_validates_values():
    d = {**ModelConfig().to_dict(), "hidden_size": -1}
    with pytest.raises(AttnseqError) as info:
        ModelConfig.from_dict(d)
    assert str(info.value) == "hidden_size must be a positive integer, got -1"


@pytest.mark.parametrize("name", list(MODELS))
def test_build_model_follows_the_config(name):
    c = ModelConfig(model=name, wordvec_size=3, hidden_size=6)  # even: GNMT halves it
    model = build_model(c, 11, pad_id=0, seed=0)
    assert type(model) is MODELS[name]
    if name == "transformer":  # its widths are its own: d_model, d_ff
        assert (model.vocab_size, model.d_model, model.impl) == (11, c.d_model, "fast")
        assert not hasattr(model, "wordvec_size") and not hasattr(model, "hidden_size")
    else:
        assert (model.vocab_size, model.wordvec_size, model.hidden_size) == (11, 3, 6)
    # the encoder's embedding comes first, D wide (the Transformer's D is d_model)
    assert model.params[0].shape == (11, c.d_model if name == "transformer" else 3)
    assert model.pad_id == 0


def test_build_model_is_seeded():
    c = ModelConfig(wordvec_size=3, hidden_size=5)
    a, b = build_model(c, 9, seed=4), build_model(c, 9, seed=4)
    other = build_model(c, 9, seed=5)
    assert all((p == q).all() for p, q in zip(a.params, b.params, strict=True))
    assert any((p != q).any() for p, q in zip(a.params, other.params, strict=True))


@pytest.mark.parametrize("name, own", [("baseline", ("uni", 1, False)),
                                       ("attention", ("uni", 1, False)),
                                       ("gnmt", ("bi", 3, True))])
def test_fields_left_to_the_model_are_saved_as_its_own_defaults(name, own):
    c = ModelConfig(model=name, hidden_size=6)
    assert (c.encoder, c.num_layers, c.residual) == own
    d = json.loads(json.dumps(c.to_dict()))
    assert (d["encoder"], d["num_layers"], d["residual"]) == own  # explicit in a checkpoint
    assert ModelConfig.from_dict(d) == c
    explicit = ModelConfig(model=name, hidden_size=6, encoder=own[0], num_layers=own[1],
                           residual=own[2])
    assert explicit == c


def test_transformer_fields_default_and_old_configs_load_without_them():
    config = ModelConfig(model="transformer")
    assert (config.num_layers, config.d_model, config.heads, config.norm) == (2, 64, 4, "pre")
    old = {k: v for k, v in ModelConfig().to_dict().items()
           if k not in ("d_model", "heads", "d_ff", "norm", "positions", "activation",
                        "tie_embeddings", "label_smoothing")}
    assert ModelConfig.from_dict(old) == ModelConfig()
    with pytest.raises(AttnseqError, match=r"^heads \(5\) must divide d_model \(64\)$"):
        ModelConfig(model="transformer", heads=5)
    with pytest.raises(AttnseqError, match=r"^unknown norm 'middle'"):
        ModelConfig(model="transformer", norm="middle")
