"""``attnseq`` with the Transformer: its options' one-line errors, and train, convert, eval,
attention (with the per-head grid) and compare on a tiny model."""

import json

import pytest

from attnseq import cli

TINY = ["--samples", "40", "--epochs", "1", "--no-progress", "--d-model", "8", "--heads",
        "2", "--d-ff", "8", "--layers", "1"]


@pytest.mark.parametrize(("options", "message"), [
    (["--heads", "3"], "heads (3) must divide d_model (64)"),
    (["--dropout", "-0.1"], "dropout must be a number in [0, 1), got -0.1"),
    (["--label-smoothing", "1"], "label_smoothing must be a number in [0, 1), got 1.0"),
    (["--label-smoothing", "-0.5"], "label_smoothing must be a number in [0, 1), got -0.5"),
    (["--score", "general"], "score='general' needs model 'attention', not 'transformer'"),
])
def test_bad_options_are_one_line(options, message, tmp_path, capsys):
    out = tmp_path / "m"
    assert cli.main(["train", "--model", "transformer", *options, "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"attnseq train: error: {message}\n"
    assert not out.exists()


def test_zero_layers_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--model", "transformer", "--layers", "0"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("attnseq train: error: argument --layers: expected a "
                                       "positive integer, got '0' (see attnseq train --help)\n")


def test_train_convert_eval_attention(tmp_path, capsys):
    out = tmp_path / "tr"
    assert cli.main(["train", "--model", "transformer", *TINY, "--norm", "post",
                     "--tie-embeddings", "--label-smoothing", "0.1", "--out", str(out)]) == 0
    saved = json.loads((out / "config.json").read_text())
    assert saved["model"]["norm"] == "post" and saved["model"]["tie_embeddings"] is True
    assert (saved["train"]["lr"], saved["train"]["final_lr"]) == (2e-3, 1e-4)  # its recipe
    assert cli.main(["convert", str(out), "9/8/97", "--beam", "3"]) == 0
    assert cli.main(["eval", str(out)]) == 0
    capsys.readouterr()
    grid = tmp_path / "heads.png"
    assert cli.main(["attention", str(out), "9/8/97", "--out", str(tmp_path / "a.png"),
                     "--heads-grid", str(grid)]) == 0
    assert grid.stat().st_size > 0 and (tmp_path / "a.png").stat().st_size > 0
    assert f"wrote {grid}" in capsys.readouterr().out


def test_heads_grid_needs_a_transformer(tmp_path, capsys):
    out = tmp_path / "att"
    assert cli.main(["train", "--samples", "40", "--epochs", "1", "--no-progress",
                     "--hidden-size", "8", "--wordvec-size", "4", "--out", str(out)]) == 0
    capsys.readouterr()
    grid = tmp_path / "heads.png"
    assert cli.main(["attention", str(out), "9/8/97", "--out", str(tmp_path / "a.png"),
                     "--heads-grid", str(grid)]) == 2
    assert capsys.readouterr().err == ("attnseq attention: error: a 'attention' model has no "
                                       "per-head attention\n")
    assert not grid.exists() and not (tmp_path / "a.png").exists()


def test_compare_attention_and_transformer(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli.main(["compare", "--models", "attention,transformer", *TINY[:-2],
                     "--hidden-size", "8", "--wordvec-size", "4", "--out", str(out)]) == 0
    config = json.loads((out / "transformer" / "config.json").read_text())["model"]
    # each model with its own number of layers (--layers not given), the widths given
    assert config["num_layers"] == 2 and config["d_model"] == 8
    assert json.loads((out / "attention" / "config.json").read_text())["model"][
        "num_layers"] == 1
    assert (out / "table.md").exists()
