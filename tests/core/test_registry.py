"""Registries: the mapping and its one-line refusals, and that every place offering a choice
(configs, layers, the command line) reads it, so that a new entry is one edit."""

from dataclasses import replace
from types import MappingProxyType

import pytest

from attnseq import cli
from attnseq.cli.options import config_from_args
from attnseq.core.errors import AttnseqError
from attnseq.core.registry import ONE_OF, Registry
from attnseq.experiments.compare import DEFAULT_MODELS, DEFAULT_RECIPE
from attnseq.experiments.run import DATA_SEED, TASKS, TOKENS
from attnseq.layers import ACTIVATIONS, NORMS, POSITIONS
from attnseq.layers.bidirectional import MERGES
from attnseq.layers.scores import SCORES, DotScore
from attnseq.models import MODELS
from attnseq.models.config import Seq2seqConfig, build_model
from attnseq.models.init import SCHEMES, Initializer
from attnseq.models.variants import ENCODERS, VARIANT_DEFAULTS
from attnseq.training.optim import OPTIMIZERS, SCHEDULES
from attnseq.training.recipes import RECIPES, default_recipe

COLOURS = Registry("colour", {"red": 1, "green": 2}, default="green")


def test_a_registry_is_a_read_only_mapping_in_entry_order():
    assert list(COLOURS) == ["red", "green"] and len(COLOURS) == 2
    assert dict(COLOURS) == {"red": 1, "green": 2} and COLOURS["red"] == 1
    assert (COLOURS.kind, COLOURS.default, COLOURS.names()) == ("colour", "green", "red, green")
    assert "blue" not in COLOURS and COLOURS.get("blue") is None
    with pytest.raises(TypeError):
        COLOURS["blue"] = 3
    assert repr(COLOURS) == "Registry('colour', red, green, default='green')"


def test_lookup_and_check_refuse_an_unknown_name_in_one_line():
    assert COLOURS.lookup("red") == 1 and COLOURS.check("green") == "green"
    with pytest.raises(AttnseqError) as info:
        COLOURS.lookup("blue")
    assert str(info.value) == "unknown colour 'blue'; choose from red, green"
    with pytest.raises(AttnseqError) as info:
        COLOURS.check(["red"])  # unhashable, as a hand-edited JSON config may hold
    assert str(info.value) == "unknown colour ['red']; choose from red, green"
    one_of = Registry("colour", COLOURS, default="red", message=ONE_OF)
    with pytest.raises(AttnseqError) as info:
        one_of.check("blue", "paint")  # the option's name, when the caller gives one
    assert str(info.value) == "paint must be one of red, green, got 'blue'"


def test_the_default_must_be_an_entry():
    with pytest.raises(ValueError, match="the default colour 'blue' is not among red, green"):
        Registry("colour", COLOURS, default="blue")


@pytest.mark.parametrize("registry, names, default", [
    (MODELS, ["baseline", "peeky", "attention", "gnmt", "transformer"], "attention"),
    (SCORES, ["dot", "scaled", "general", "additive"], "dot"),
    (MERGES, ["concat", "sum"], "concat"),
    (ENCODERS, ["uni", "bi"], "uni"),
    (RECIPES, ["default", "book", "transformer", "wild"], "default"),
    (SCHEMES, ["default", "scaled", "book"], "default"),
    (TASKS, ["dates", "dates-wild", "copy", "reverse", "g2p", "file"], "dates"),
    (TOKENS, ["chars", "words"], "chars"),
    (OPTIMIZERS, ["adam", "sgd"], "adam"),
    (SCHEDULES, ["linear", "noam"], "linear"),
    (NORMS, ["pre", "post"], "pre"),
    (POSITIONS, ["sinusoidal", "learned"], "sinusoidal"),
    (ACTIVATIONS, ["relu", "gelu"], "relu"),
], ids=lambda r: r.kind if isinstance(r, Registry) else None)
def test_the_registries(registry, names, default):
    assert list(registry) == names and registry.default == default


def test_the_library_defaults_are_the_registries():
    assert Initializer.SCHEMES is SCHEMES
    c = Seq2seqConfig()
    assert (c.model, c.init, c.encoder, c.bi_merge, c.score) == (
        MODELS.default, SCHEMES.default, ENCODERS.default, MERGES.default, SCORES.default)
    assert {k: VARIANT_DEFAULTS[k] for k in ("encoder", "bi_merge", "score")} == {
        "encoder": "uni", "bi_merge": "concat", "score": "dot"}


def test_the_command_line_defaults_are_the_registries():
    train = cli.build_parser().parse_args(["train"])
    assert (train.model, train.encoder, train.bi_merge, train.score) == (
        MODELS.default, ENCODERS.default, MERGES.default, SCORES.default)
    # None: the model's own recipe, the default one for every model but the Transformer
    assert train.recipe is None and default_recipe(train.model) == RECIPES.default
    assert (train.norm, train.positions, train.activation) == (
        NORMS.default, POSITIONS.default, ACTIVATIONS.default)
    assert train.data_seed == DATA_SEED and train.init is None  # None: the recipe's
    compare = cli.build_parser().parse_args(["compare"])
    assert (compare.models, compare.recipe) == (DEFAULT_MODELS, DEFAULT_RECIPE)


def test_a_score_added_to_the_registry_is_offered_and_accepted(monkeypatch, capsys):
    """The one edit that adds a score function: its entry in SCORES. Nothing else."""
    monkeypatch.setattr(SCORES, "_entries", MappingProxyType({**SCORES, "mine": DotScore}))
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["train", "--help"])
    assert "--score {dot,scaled,general,additive,mine}" in capsys.readouterr().out
    args = cli.build_parser().parse_args(["train", "--score", "mine"])
    config = replace(config_from_args(args, args.model), wordvec_size=4, hidden_size=6)
    assert config.score == "mine"
    model = build_model(config, 11, seed=0)
    assert type(model.decoder.attention.score) is DotScore
    with pytest.raises(AttnseqError, match="^score must be one of dot, scaled, general, "
                                           "additive, mine, got 'yours'$"):
        Seq2seqConfig(score="yours")
