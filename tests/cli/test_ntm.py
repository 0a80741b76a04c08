"""``attnseq ntm train|eval|plot``, run in process on a tiny machine: outputs, files, --help,
and one-line errors with exit code 2 (nothing overwritten)."""

import json
import re
import struct

import pytest

from attnseq.cli import main

TINY = ["--sequences", "64", "--batch-size", "16", "--max-length", "3", "--hidden-size", "6",
        "--memory-rows", "8", "--memory-width", "3", "--no-progress"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("ntm")
    assert main(["ntm", "train", "--task", "copy", "--out", str(root / "ntm"), *TINY]) == 0
    assert main(["ntm", "train", "--controller-only", "--out", str(root / "lstm"), *TINY]) == 0
    return root


def one_error_line(capsys, code, expected):
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("attnseq ntm") and expected in err, err


def test_train_saves_a_model_directory(trained, capsys):
    doc = json.loads((trained / "ntm" / "config.json").read_text())
    assert doc["kind"] == "ntm" and doc["ntm"]["memory_rows"] == 8
    assert doc["train"]["sequences"] == 64 and doc["history"][-1]["sequences"] == 64
    assert (trained / "ntm" / "weights.npz").is_file()
    lstm = json.loads((trained / "lstm" / "config.json").read_text())
    assert lstm["ntm"]["controller_only"] is True


def test_off_a_terminal_training_logs_a_line_per_record(tmp_path, capsys):
    """No progress bar in a log (capsys's stderr is no terminal): a line per record."""
    progress = [arg for arg in TINY if arg != "--no-progress"]
    assert main(["ntm", "train", "--out", str(tmp_path / "m"), *progress]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    assert re.fullmatch(r"64 sequences: cost \d+\.\d{3} bits, \d+\.\d{3} bit errors per "
                        r"sequence, \d+ s\n", err), err


def test_eval_prints_bit_errors_per_length(trained, capsys):
    assert main(["ntm", "eval", str(trained / "ntm"), "--length", "4", "40",
                 "--sequences", "8"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["length", "bit", "errors/seq", "cost", "bits/seq"]
    assert [line.split()[0] for line in lines[1:]] == ["4", "40"]
    errors = float(lines[2].split()[1])
    assert 0 <= errors <= 8 * 40


def test_plot_writes_the_figure(trained, tmp_path, capsys):
    out = tmp_path / "w.png"
    assert main(["ntm", "plot", str(trained / "ntm"), "--length", "5", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("length 5: ")
    with open(out, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (1200, 700)


@pytest.mark.parametrize("command", [[], ["train"], ["eval"], ["plot"]])
def test_help_works_everywhere(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["ntm", *command, "--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: attnseq ntm {' '.join(command)}".strip())


@pytest.mark.parametrize("argv, expected", [
    (["ntm", "train", "--task", "sort"], "argument --task: invalid choice: 'sort'"),
    (["ntm", "train", "--lr", "0"], "argument --lr: expected a positive number, got '0'"),
    (["ntm", "train", "--memory-rows", "x"], "expected a positive integer, got 'x'"),
    (["ntm", "eval", "M", "--length", "0"], "expected a positive integer, got '0'"),
    (["ntm", "plot", "M"], "the following arguments are required: --out"),
    (["ntm"], "the following arguments are required: COMMAND"),
])
def test_bad_options_are_one_line(argv, expected, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    one_error_line(capsys, exc.value.code, expected)


def test_bad_values_and_directories_are_one_line(trained, tmp_path, capsys):
    one_error_line(capsys, main(["ntm", "train", "--min-length", "5", "--max-length", "3",
                                 "--out", str(tmp_path / "x"), *TINY[:2]]),
                   "min length must be at most max length, got 5 > 3")
    one_error_line(capsys, main(["ntm", "eval", str(tmp_path / "none")]), "no model directory")
    one_error_line(capsys, main(["ntm", "plot", str(trained / "lstm"), "--out",
                                 str(tmp_path / "a.png")]), "no weightings to plot")
    one_error_line(capsys, main(["ntm", "plot", str(trained / "ntm"), "--out",
                                 str(tmp_path / "a.bogus")]), "image format")


def test_train_refuses_to_overwrite_what_is_no_model(tmp_path, capsys):
    keep = tmp_path / "notes"
    keep.mkdir()
    (keep / "mine.txt").write_text("keep me")
    one_error_line(capsys, main(["ntm", "train", "--out", str(keep), *TINY]), "refusing")
    assert (keep / "mine.txt").read_text() == "keep me"


def test_only_the_command_line_imports_the_ntm_group():
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "attnseq"
    users = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
             if re.search(r"attnseq\.cli\.ntm|from attnseq\.cli import \(?[\w,\s]*\bntm\b",
                          p.read_text())}
    assert users == {"cli/__init__.py"}
