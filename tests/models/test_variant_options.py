"""The attention model's variant options: how configs and the command line take them, and the
combinations they refuse (with a one-line ``AttnseqError``, before any work is done).
"""

import subprocess
import sys

import pytest

from attnseq import cli
from attnseq.cli.options import config_from_args
from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models import MODELS, AttentionSeq2seq
from attnseq.models.config import Seq2seqConfig
from attnseq.models.config_entry import config_from_dict, model_config


def config(hidden_size=32, **options):
    return Seq2seqConfig(model="attention", wordvec_size=16, hidden_size=hidden_size,
                       question_len=6, answer_len=6, **options)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="unknown AttentionSeq2seq options: layers"):
        AttentionSeq2seq(13, 4, 8, layers=2)


# --------------------------------------------------------------------------- configuration


REFUSED = [
    ({"encoder": "both"}, "encoder must be one of uni, bi, got 'both'"),
    ({"encoder": "bi", "bi_merge": "max"}, "bi_merge must be one of concat, sum, got 'max'"),
    ({"num_layers": 0}, "num_layers must be a positive integer, got 0"),
    ({"num_layers": 2.0}, "num_layers must be a positive integer, got 2.0"),
    ({"num_layers": 2, "residual": 1}, "residual must be true or false, got 1"),
    ({"num_layers": 2, "dropout": 1.0}, "dropout must be a number in [0, 1), got 1.0"),
    ({"num_layers": 2, "dropout": -0.1}, "dropout must be a number in [0, 1), got -0.1"),
    ({"output_dropout": 1.0}, "output_dropout must be a number in [0, 1), got 1.0"),
    ({"output_dropout": "0.2"}, "output_dropout must be a number in [0, 1), got '0.2'"),
    ({"model": "peeky", "output_dropout": 0.2},
     "output_dropout=0.2 needs model 'attention', not 'peeky'"),
    ({"model": "transformer", "output_dropout": 0.2},
     "output_dropout=0.2 needs model 'attention', not 'transformer'"),
    ({"score": "cosine"}, "score must be one of dot, scaled, general, additive, got 'cosine'"),
    ({"input_feeding": "yes"}, "input_feeding must be true or false, got 'yes'"),
    ({"residual": True}, "residual needs num_layers >= 2 (the skips start at the second layer)"),
    ({"dropout": 0.3}, "dropout needs num_layers >= 2 (it acts between layers)"),
    ({"bi_merge": "sum"}, "bi_merge 'sum' needs encoder 'bi'"),
    ({"encoder": "bi", "hidden_size": 7}, "encoder 'bi' with bi_merge 'concat' needs an even "
     "hidden_size (each direction is half of it), got 7"),
    ({"input_feeding": True, "num_layers": 2}, "input_feeding works with num_layers 1 only, "
     "got 2"),
    ({"model": "peeky", "num_layers": 2}, "num_layers=2 needs model 'attention', not 'peeky'"),
    ({"model": "baseline", "score": "general"},
     "score='general' needs model 'attention', not 'baseline'"),
    # GNMT's arrangement fixes what the attention model leaves open (tests/models/test_gnmt.py)
    ({"model": "gnmt", "encoder": "uni"}, "model 'gnmt' has a bidirectional bottom encoder "
     "layer: encoder must be 'bi', got 'uni'"),
    ({"model": "gnmt", "residual": False}, "model 'gnmt' has residual connections from layer 3 "
     "up: residual must be true, got False"),
    ({"model": "gnmt", "input_feeding": True}, "input_feeding needs model 'attention', not "
     "'gnmt' (gnmt feeds the context to the layers above the bottom one)"),
    ({"model": "gnmt", "num_layers": 1}, "model 'gnmt' needs num_layers >= 2 (the context "
     "feeds the layers above the bottom one), got 1"),
    ({"model": "gnmt", "hidden_size": 7}, "encoder 'bi' with bi_merge 'concat' needs an even "
     "hidden_size (each direction is half of it), got 7"),
    ({"model": "gnmt", "dropout": 1.5}, "dropout must be a number in [0, 1), got 1.5"),
    ({"model": "gnmt", "output_dropout": -1}, "output_dropout must be a number in [0, 1), "
     "got -1"),
    ({"model": "gnmt", "encoder": "both"}, "encoder must be one of uni, bi, got 'both'"),
]


@pytest.mark.parametrize("options, message", REFUSED)
def test_config_refuses_bad_combinations(options, message):
    options = dict(options)
    model = options.pop("model", "attention")
    with pytest.raises(AttnseqError) as info:
        model_config(model, options)
    assert str(info.value) == message
    if model in ("attention", "gnmt"):  # the models that take the options refuse them alike
        H = options.pop("hidden_size", 8)
        with pytest.raises(AttnseqError) as info:
            MODELS[model](13, 4, H, **options)
        assert str(info.value) == message


def test_old_configs_without_variant_keys_load_as_the_books_model():
    old = {"model": "attention", "wordvec_size": 16, "hidden_size": 32, "reverse": True,
           "question_len": 6, "answer_len": 6, "init": "default"}
    c = config_from_dict(old)
    assert c == config() and c.variant_options() == {
        "encoder": "uni", "bi_merge": "concat", "num_layers": 1, "residual": False,
        "dropout": 0.0, "output_dropout": 0.0, "score": "dot", "input_feeding": False}
    with pytest.raises(AttnseqError, match="missing model config keys: hidden_size"):
        config_from_dict({k: v for k, v in old.items() if k != "hidden_size"})


def test_variant_config_round_trips_through_its_dict():
    c = config(encoder="bi", bi_merge="sum", num_layers=2, residual=True, dropout=0.25,
               output_dropout=0.125, score="additive")
    assert config_from_dict(c.to_dict()) == c
    assert c.to_dict()["score"] == "additive"


# --------------------------------------------------------------------------- command line


def test_cli_refuses_residual_with_one_layer_in_one_line(tmp_path):
    out = tmp_path / "m"
    r = subprocess.run([sys.executable, "-m", "attnseq", "train", "--residual", "--out",
                        str(out)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr == ("attnseq train: error: residual needs num_layers >= 2 (the skips start "
                        "at the second layer)\n")
    assert not out.exists()


@pytest.mark.parametrize("argv, message", [
    (["--dropout", "0.2"], "dropout needs num_layers >= 2 (it acts between layers)"),
    (["--bi-merge", "sum"], "bi_merge 'sum' needs encoder 'bi'"),
    (["--model", "peeky", "--score", "scaled"], "score='scaled' needs model 'attention', "
     "not 'peeky'"),
    (["--input-feeding", "--layers", "3"], "input_feeding works with num_layers 1 only, got 3"),
    (["--layers", "2", "--dropout", "1"], "dropout must be a number in [0, 1), got 1.0"),
    (["--output-dropout", "-0.5"], "output_dropout must be a number in [0, 1), got -0.5"),
])
def test_cli_refuses_bad_combinations_before_any_work(argv, message, tmp_path, capsys):
    out = tmp_path / "m"
    assert cli.main(["train", *argv, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"attnseq train: error: {message}\n"
    assert not out.exists()


def test_cli_flags_map_into_the_model_config():
    args = cli.build_parser().parse_args(
        ["train", "--encoder", "bi", "--bi-merge", "sum", "--layers", "3", "--residual",
         "--dropout", "0.2", "--output-dropout", "0.3", "--score", "general",
         "--hidden-size", "12"])
    assert config_from_args(args, "attention") == Seq2seqConfig(
        hidden_size=12, encoder="bi", bi_merge="sum", num_layers=3, residual=True,
        dropout=0.2, output_dropout=0.3, score="general")
    plain = cli.build_parser().parse_args(["train"])
    assert config_from_args(plain, "attention") == Seq2seqConfig()
    feeding = cli.build_parser().parse_args(["train", "--input-feeding", "--score", "scaled"])
    assert config_from_args(feeding, "attention").input_feeding


def test_cli_trains_a_variant_end_to_end(tmp_path, capsys):
    out = tmp_path / "m"
    argv = ["train", "--samples", "40", "--epochs", "1", "--hidden-size", "8",
            "--wordvec-size", "4", "--no-progress", "--encoder", "bi", "--layers", "2",
            "--residual", "--dropout", "0.1", "--output-dropout", "0.2", "--score", "additive",
            "--out", str(out)]
    assert cli.main(argv) == 0
    conv = Converter.load(out)
    assert conv.config.variant_options() == {
        "encoder": "bi", "bi_merge": "concat", "num_layers": 2, "residual": True,
        "dropout": 0.1, "output_dropout": 0.2, "score": "additive", "input_feeding": False}
    capsys.readouterr()
    assert cli.main(["convert", str(out), "9/8/97"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1
