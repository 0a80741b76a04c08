"""Reading a saved "model" entry (tagged, and the flat form of format 1) and building a
model's config from options meant for any model."""

import dataclasses
import json

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.models.config import Seq2seqConfig, TransformerConfig
from attnseq.models.config_entry import config_from_dict, model_config, option_names

CONFIGS = [Seq2seqConfig(model="peeky", wordvec_size=8, hidden_size=12, reverse=False,
                         question_len=7, answer_len=3),
           Seq2seqConfig(model="gnmt", hidden_size=6, dropout=0.25, score="general"),
           TransformerConfig(d_model=16, heads=2, norm="post", tie_embeddings=True,
                             question_len=9, answer_len=4, label_smoothing=0.1)]
# What attnseq wrote before the families: every field of every model, named by "model".
FLAT = {"model": "attention", "wordvec_size": 16, "hidden_size": 32, "reverse": True,
        "question_len": 6, "answer_len": 6, "init": "default", "encoder": "uni",
        "bi_merge": "concat", "num_layers": 1, "residual": False, "dropout": 0.0,
        "output_dropout": 0.0, "score": "dot", "input_feeding": False, "d_model": 64,
        "heads": 4, "d_ff": 128, "norm": "pre", "positions": "sinusoidal",
        "activation": "relu", "tie_embeddings": False, "label_smoothing": 0.0}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.model)
def test_tagged_form_round_trips_through_json(config):
    d = json.loads(json.dumps(config.to_dict()))
    assert d["family"] == config.family
    assert set(d) == {"family", *(f.name for f in dataclasses.fields(config))}
    assert config_from_dict(d) == config


def test_tagged_form_names_the_family_and_its_fields_only():
    assert TransformerConfig().to_dict() == {
        "family": "transformer", "reverse": True, "question_len": 29, "answer_len": 10,
        "init": "default", "num_layers": 2, "dropout": 0.0, "d_model": 64, "heads": 4,
        "d_ff": 128, "norm": "pre", "positions": "sinusoidal", "activation": "relu",
        "tie_embeddings": False, "label_smoothing": 0.0}


def test_tagged_form_refuses_unknown_and_missing_keys_sorted_and_listed():
    d = {**Seq2seqConfig().to_dict(), "zeta": 1, "d_model": 2}
    with pytest.raises(AttnseqError) as info:
        config_from_dict(d)
    assert str(info.value) == "unknown model config keys: d_model, zeta"
    # a config that silently fell back to a default would encode inputs differently
    d = TransformerConfig().to_dict()
    del d["reverse"], d["answer_len"]
    with pytest.raises(AttnseqError) as info:
        config_from_dict(d)
    assert str(info.value) == "missing model config keys: answer_len, reverse"


@pytest.mark.parametrize("family", ["lstm", 3, ["seq2seq"]])
def test_an_unknown_family_is_refused(family):
    with pytest.raises(AttnseqError, match="^unknown model family .*; choose from seq2seq, "
                                           "transformer$"):
        config_from_dict({**Seq2seqConfig().to_dict(), "family": family})


@pytest.mark.parametrize("d", [None, [], "attention", 3])
def test_an_entry_must_be_an_object(d):
    with pytest.raises(AttnseqError) as info:
        config_from_dict(d)
    assert str(info.value) == "model config must be a JSON object"


@pytest.mark.parametrize("config, name, value, message", [
    (Seq2seqConfig(), "hidden_size", "8", "hidden_size must be a positive integer, got '8'"),
    (Seq2seqConfig(), "reverse", 1, "reverse must be true or false, got 1"),
    (Seq2seqConfig(), "score", None, "score must be one of dot, scaled, general, additive, "
                                     "got None"),
    (TransformerConfig(), "d_ff", 2.5, "d_ff must be a positive integer, got 2.5"),
    (TransformerConfig(), "tie_embeddings", "no", "tie_embeddings must be true or false, "
                                                 "got 'no'"),
])
def test_a_wrongly_typed_field_is_refused_by_name(config, name, value, message):
    with pytest.raises(AttnseqError) as info:
        config_from_dict({**config.to_dict(), name: value})
    assert str(info.value) == message


def test_the_flat_form_loads_as_its_models_family():
    assert config_from_dict(FLAT) == Seq2seqConfig(hidden_size=32, question_len=6,
                                                   answer_len=6)
    # a Transformer's: the LSTM widths it ignored are dropped, the variants it fixes kept
    old = {**FLAT, "model": "transformer", "num_layers": 2, "residual": True, "d_model": 32}
    assert config_from_dict(old) == TransformerConfig(question_len=6, answer_len=6,
                                                      d_model=32)


def test_the_flat_form_may_lack_the_fields_added_later_but_nothing_else():
    first = {k: FLAT[k] for k in ("model", "wordvec_size", "hidden_size", "reverse",
                                  "question_len", "answer_len", "init")}
    assert config_from_dict(first) == config_from_dict(FLAT)
    with pytest.raises(AttnseqError) as info:
        config_from_dict({k: v for k, v in first.items() if k not in ("init", "reverse")})
    assert str(info.value) == "missing model config keys: init, reverse"
    with pytest.raises(AttnseqError) as info:
        config_from_dict({**FLAT, "alpha": 1})
    assert str(info.value) == "unknown model config keys: alpha"


def test_the_flat_form_of_a_transformer_refuses_what_it_cannot_be():
    with pytest.raises(AttnseqError) as info:
        config_from_dict({**FLAT, "model": "transformer", "residual": True,
                          "score": "general"})
    assert str(info.value) == "score='general' needs model 'attention', not 'transformer'"


def test_model_config_takes_each_familys_fields_and_its_own_defaults():
    options = {"hidden_size": 16, "d_model": 32, "dropout": 0.1, "num_layers": 3}
    assert model_config("attention", options) == Seq2seqConfig(hidden_size=16, dropout=0.1,
                                                               num_layers=3)
    assert model_config("transformer", options) == TransformerConfig(d_model=32, dropout=0.1,
                                                                     num_layers=3)
    assert model_config("gnmt", {}).num_layers == 3  # GNMT's own
    assert model_config("transformer", {}).num_layers == 2  # the Transformer's own
    # a value of another family's field that describes the Transformer is no refusal
    assert model_config("transformer", {"residual": True, "score": "dot"}) == \
        TransformerConfig()


def test_model_config_refuses_an_unknown_model_or_option():
    with pytest.raises(AttnseqError, match="^unknown model 'ntm'; choose from "):
        model_config("ntm", {})
    with pytest.raises(AttnseqError) as info:
        model_config("attention", {"hidden": 3, "widths": 2})
    assert str(info.value) == "unknown model options: hidden, widths"
    assert option_names()[:3] == ["model", "wordvec_size", "hidden_size"]
