"""Hostile and careless options, config values and training runs: each ends as the one line
it should, with the exit status it should, and loses nothing.

The cases are tables (``SIZE_OPTIONS``, ``CHECKED_OPTIONS``, ``CONFIG_VALUES``, ...): each
row is what was tried, the exit status and the exact line on stderr. The section "Options,
sizes and training" of docs/reliability.md lists them, and ``test_the_docs_count_the_cases``
checks that its table counts what these tables hold. Commands run in-process through
``attnseq.cli.main`` (a usage error is argparse's SystemExit(2)), on tiny models.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import warnings
from pathlib import Path

import pytest

from attnseq import cli
from attnseq.core.errors import AttnseqError
from attnseq.core.limits import (
    BATCH_SIZE,
    BEAM,
    BEAM_STEPS,
    LAYERS,
    MEMORY_ROWS,
    MEMORY_WIDTH,
    NTM_LENGTH,
    SAMPLES,
    SEQUENCE_LENGTH,
    WIDTH,
)
from attnseq.models.config_entry import config_from_dict

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"
TINY = ["--hidden-size", "8", "--wordvec-size", "4", "--epochs", "1", "--no-progress"]


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of ``attnseq ARGV``, run in-process."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's usage errors and --help
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def usage(command: str, option: str, text: str) -> str:
    return f"attnseq {command}: error: argument {option}: {text} (see attnseq {command} --help)"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A tiny trained attention model (one epoch on 300 dates)."""
    out = tmp_path_factory.mktemp("model") / "M"
    assert cli.main(["train", *TINY, "--samples", "300", "--out", str(out)]) == 0
    return out


def files_of(directory: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


# -- sizes: every option that sets a size refuses one above its limit, before any work ------

def too_large(command, option, value, limit, *rest):
    """A row: ``attnseq COMMAND OPTION VALUE REST...`` and its usage error."""
    return pytest.param([*command.split(), *rest, option, value], usage(
        command, option, f"expected at most {limit.maximum}, got '{value}' ({limit.reason})"),
        id=f"{command} {option} {value}")


SIZE_OPTIONS = [
    too_large("train", "--hidden-size", "1000000000", WIDTH),
    too_large("train", "--hidden-size", str(10**30), WIDTH),
    too_large("train", "--wordvec-size", "1000000000", WIDTH),
    too_large("train", "--d-model", "1000000000", WIDTH, "--model", "transformer"),
    too_large("train", "--d-ff", "1000000000", WIDTH, "--model", "transformer"),
    too_large("train", "--layers", "1000000", LAYERS),
    too_large("train", "--samples", str(10**12), SAMPLES),
    too_large("train", "--batch-size", "1000000000", BATCH_SIZE),
    too_large("compare", "--hidden-size", "1000000000", WIDTH),
    too_large("compare", "--samples", str(10**12), SAMPLES),
    too_large("ntm train", "--memory-rows", "1000000000", MEMORY_ROWS),
    too_large("ntm train", "--memory-width", "1000000000", MEMORY_WIDTH),
    too_large("ntm train", "--hidden-size", "1000000000", WIDTH),
    too_large("ntm train", "--min-length", "10000000", NTM_LENGTH),
    too_large("ntm train", "--max-length", "10000000", NTM_LENGTH),
    too_large("ntm train", "--batch-size", "1000000000", BATCH_SIZE),
    too_large("ntm eval", "--length", "100000", NTM_LENGTH, "M"),
    too_large("ntm plot", "--length", "100000", NTM_LENGTH, "M", "--out", "x.png"),
    too_large("eval", "--beam", "1000000000", BEAM, "M"),
    too_large("eval", "--max-length", "1000000", SEQUENCE_LENGTH, "M", "--beam", "2"),
    too_large("convert", "--beam", "1000000000", BEAM, "M", "1/2/03"),
    too_large("attention", "--max-length", "1000000", SEQUENCE_LENGTH, "M", "1/2/03",
              "--out", "x.png", "--beam", "2"),
]


@pytest.mark.parametrize("argv, line", SIZE_OPTIONS)
def test_a_size_above_its_limit_is_a_usage_error(capsys, tmp_path, monkeypatch, argv, line):
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, *argv) == (2, "", line + "\n")
    assert list(tmp_path.iterdir()) == []  # nothing written, not even runs/


def test_beam_times_length_is_limited_too(capsys, model):
    code, out, err = run_cli(capsys, "eval", model, "--beam", "200", "--max-length", "2000")
    assert (code, out) == (2, "")
    assert err == (f"attnseq eval: error: --beam times --max-length must be at most 65536, "
                   f"got 400000 ({BEAM_STEPS.reason})\n")
    # the date normaliser's beam search (a built-in model) is held to it too
    code, out, err = run_cli(capsys, "convert", "dates", "--beam", "256", "--max-length", "2048",
                             "9/8/97")
    assert (code, out) == (2, "")
    assert err == (f"attnseq convert: error: --beam times --max-length must be at most 65536, "
                   f"got 524288 ({BEAM_STEPS.reason})\n")


# -- every other option checked: seeds, empty paths ------------------------------------------

def refused(argv, option, text):
    command = " ".join(argv[:2]) if argv[0] == "ntm" else argv[0]
    return pytest.param(argv, usage(command, option, text), id=" ".join(argv))


CHECKED_OPTIONS = [
    refused(["gradcheck", "--seed", "-1"], "--seed", "expected a non-negative integer, got '-1'"),
    refused(["ntm", "eval", "M", "--seed", "-1"], "--seed",
            "expected a non-negative integer, got '-1'"),
    refused(["ntm", "plot", "M", "--seed", "-1", "--out", "x.png"], "--seed",
            "expected a non-negative integer, got '-1'"),
    refused(["ntm", "train", "--seed", "-1"], "--seed",
            "expected a non-negative integer, got '-1'"),
    refused(["train", "--seed", "-1"], "--seed", "expected a non-negative integer, got '-1'"),
    refused(["train", "--data-seed", "-1"], "--data-seed",
            "expected a non-negative integer, got '-1'"),
    refused(["eval", "M", "--beam", "2", "--min-length", "-1"], "--min-length",
            "expected a non-negative integer, got '-1'"),
    refused(["train", "--out", ""], "--out", "expected a path, got ''"),
    refused(["train", "--out", " "], "--out", "expected a path, got ' '"),
    refused(["train", "--data", ""], "--data", "expected a path, got ''"),
    refused(["compare", "--out", ""], "--out", "expected a path, got ''"),
    refused(["ntm", "train", "--out", ""], "--out", "expected a path, got ''"),
    refused(["ntm", "plot", "M", "--out", ""], "--out", "expected a path, got ''"),
    refused(["attention", "M", "1/2/03", "--out", ""], "--out", "expected a path, got ''"),
    refused(["attention", "M", "1/2/03", "--out", "x.png", "--heads-grid", ""], "--heads-grid",
            "expected a path, got ''"),
    refused(["eval", "M", "--data", ""], "--data", "expected a path, got ''"),
    refused(["import-book", "", "--data", "d.txt", "--out", "o"], "PARAMS.pkl",
            "expected a path, got ''"),
    refused(["import-book", "p.pkl", "--data", "d.txt", "--out", ""], "--out",
            "expected a path, got ''"),
    refused(["convert", "", "1/2/03"], "MODEL", "expected a path, got ''"),
    refused(["serve", ""], "MODEL_DIR", "expected a path, got ''"),
    refused(["ntm", "eval", ""], "MODEL", "expected a path, got ''"),
    refused(["train", "--batch-size", "0"], "--batch-size",
            "expected a positive integer, got '0'"),
    refused(["train", "--hidden-size", "1e3"], "--hidden-size",
            "expected a positive integer, got '1e3'"),
]


@pytest.mark.parametrize("argv, line", CHECKED_OPTIONS)
def test_a_bad_option_value_is_a_usage_error(capsys, tmp_path, monkeypatch, argv, line):
    monkeypatch.chdir(tmp_path)
    assert run_cli(capsys, *argv) == (2, "", line + "\n")
    assert list(tmp_path.iterdir()) == []


def test_text_may_follow_the_options(capsys, model):
    before = run_cli(capsys, "convert", model, "1/2/03", "AUG 2, 2006", "--beam", "3")
    after = run_cli(capsys, "convert", model, "--beam", "3", "1/2/03", "AUG 2, 2006")
    mixed = run_cli(capsys, "convert", "--beam", "3", model, "1/2/03", "AUG 2, 2006")
    assert before[0] == 0 and len(before[1].splitlines()) == 2
    assert after == before and mixed == before


def test_n_best_lines_start_with_the_inputs_number_as_the_docs_say(capsys, model):
    code, out, _ = run_cli(capsys, "convert", model, "--beam", "3", "--n-best", "2",
                           "1/2/03", "AUG 2, 2006")
    rows = [line.split("\t") for line in out.splitlines()]
    assert code == 0 and [(r[0], r[1]) for r in rows] == [("1", "1"), ("1", "2"), ("2", "1"),
                                                          ("2", "2")]
    readme = (DOCS.parent / "cli.md").read_text(encoding="utf-8")  # the commands' page
    assert "`N<TAB>RANK<TAB>SCORE<TAB>OUTPUT`, N the input's number" in readme
    assert "INPUT<TAB>RANK" not in readme


# -- sizes in a model's config.json, refused before any model is built -----------------------

def config_value(key, value, limit):
    return pytest.param(key, value, f"{key} must be at most {limit.maximum}, got {value} "
                                    f"({limit.reason})", id=f"{key}={value}")


CONFIG_VALUES = [
    config_value("hidden_size", 10**9, WIDTH),
    config_value("wordvec_size", 10**9, WIDTH),
    config_value("question_len", 10**9, SEQUENCE_LENGTH),
    config_value("answer_len", 10**7, SEQUENCE_LENGTH),
    config_value("num_layers", 10**6, LAYERS),
]


@pytest.mark.parametrize("key, value, message", CONFIG_VALUES)
@pytest.mark.parametrize("command", ["eval", "convert"])
def test_a_config_size_above_its_limit_is_refused(capsys, tmp_path, model, command, key,
                                                  value, message):
    bad = tmp_path / "bad"
    shutil.copytree(model, bad)
    config = json.loads((bad / "config.json").read_text())
    config["model"][key] = value
    (bad / "config.json").write_text(json.dumps(config))
    before = files_of(bad)
    argv = [command, bad, *(["1/2/03"] if command == "convert" else [])]
    assert run_cli(capsys, *argv) == (2, "", f"attnseq {command}: error: {bad}: {message}\n")
    assert files_of(bad) == before


TRANSFORMER_VALUES = [
    config_value("d_model", 10**9, WIDTH),
    config_value("d_ff", 10**9, WIDTH),
    config_value("num_layers", 10**6, LAYERS),
]


@pytest.mark.parametrize("key, value, message", TRANSFORMER_VALUES)
def test_a_transformer_config_size_above_its_limit_is_refused(key, value, message):
    from attnseq.models.config import TransformerConfig

    entry = {**TransformerConfig().to_dict(), key: value}
    with pytest.raises(AttnseqError) as info:
        config_from_dict(entry)
    assert str(info.value) == message


def test_the_saved_data_source_is_limited_too(capsys, tmp_path, model):
    bad = tmp_path / "bad"
    shutil.copytree(model, bad)
    config = json.loads((bad / "config.json").read_text())
    config["data"]["samples"] = 10**12
    (bad / "config.json").write_text(json.dumps(config))
    assert run_cli(capsys, "eval", bad) == (
        2, "", f"attnseq eval: error: samples must be at most {SAMPLES.maximum}, got "
               f"{10**12} ({SAMPLES.reason})\n")


def test_a_data_file_with_a_line_too_long_is_refused_before_the_model_is_built(capsys,
                                                                                tmp_path):
    data = tmp_path / "long.tsv"
    data.write_text("".join(f"q{i}\ta{i}\n" for i in range(9)) + "q" * 2049 + "\tx\n")
    code, _, err = run_cli(capsys, "train", *TINY, "--data", data, "--out", tmp_path / "m")
    assert (code, err) == (2, f"attnseq train: error: the data's longest question, in tokens, "
                              f"must be at most 2048, got 2049 ({SEQUENCE_LENGTH.reason})\n")
    assert not (tmp_path / "m").exists()


# -- --out: probed before the work, a link followed ------------------------------------------

@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", [["train", *TINY, "--samples", "300"],
                                     ["ntm", "train", "--sequences", "4"]])
def test_an_unwritable_out_is_refused_before_training(capsys, command):
    name = " ".join(command[:2]) if command[0] == "ntm" else command[0]
    assert run_cli(capsys, *command, "--out", "/proc/attnseq-x") == (
        2, "", f"attnseq {name}: error: cannot write in /proc: No such file or directory\n")


def test_an_out_under_a_file_is_refused_before_training(capsys, tmp_path):
    (tmp_path / "f").write_text("keep")
    assert run_cli(capsys, "train", *TINY, "--out", tmp_path / "f" / "m") == (
        2, "", f"attnseq train: error: {tmp_path / 'f'} exists and is not a directory\n")
    assert (tmp_path / "f").read_text() == "keep"


def test_an_out_that_is_a_link_is_followed(capsys, tmp_path, model):
    target = tmp_path / "real"
    shutil.copytree(model, target)
    (tmp_path / "link").symlink_to(target, target_is_directory=True)
    before = files_of(target)
    code, out, err = run_cli(capsys, "train", *TINY, "--samples", "300", "--seed", "1",
                             "--out", tmp_path / "link")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == f"saved the model to {target}"
    assert (tmp_path / "link").is_symlink() and (tmp_path / "link").resolve() == target
    assert files_of(target) != before  # the new model is where the link leads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "real"]


@pytest.mark.parametrize("kind, why", [("dangling", "No such file or directory"),
                                       ("loop", "Too many levels of symbolic links")])
def test_an_out_link_to_nowhere_is_refused(capsys, tmp_path, kind, why):
    link = tmp_path / "link"
    if kind == "dangling":
        link.symlink_to(tmp_path / "nowhere")
    else:
        (tmp_path / "other").symlink_to(link)
        link.symlink_to(tmp_path / "other")
    assert run_cli(capsys, "train", *TINY, "--out", link) == (
        2, "", f"attnseq train: error: --out {link}: a symbolic link that leads to no "
               f"directory ({why})\n")


# -- training: too little data, divergence ----------------------------------------------------

@pytest.mark.parametrize("samples", ["2", "5"])
def test_too_few_samples_for_a_test_split_is_refused(capsys, tmp_path, samples):
    out = tmp_path / "m"
    assert run_cli(capsys, "train", *TINY, "--samples", samples, "--out", out) == (
        2, "", f"attnseq train: error: too few pairs to split 90/10 into train and test: "
               f"got {samples}, need at least 6\n")
    assert not out.exists()


def test_the_fewest_samples_train_and_save_no_nan(capsys, tmp_path):
    out = tmp_path / "m"
    code, stdout, err = run_cli(capsys, "train", *TINY, "--samples", "6", "--out", out)
    assert (code, err) == (0, "")
    assert "of 1," in stdout  # one test pair
    assert "NaN" not in (out / "config.json").read_text()


def test_divergence_is_one_line_without_warnings_and_keeps_the_previous_model(capsys,
                                                                              model, tmp_path):
    out = tmp_path / "m"
    shutil.copytree(model, out)
    before = files_of(out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        code, _, err = run_cli(capsys, "train", *TINY, "--samples", "300", "--lr", "1e30",
                               "--clip", "1e30", "--epochs", "2", "--batch-size", "1000",
                               "--out", out)
    assert [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)] == []
    assert (code, err) == (2, "attnseq train: error: training diverged: weights are nan, inf "
                              "or beyond 2**64 at epoch 1; try a smaller lr\n")
    assert files_of(out) == before


def test_off_a_terminal_train_prints_a_line_per_epoch_and_no_bar(capsys, tmp_path):
    progress = [arg for arg in TINY if arg != "--no-progress"]
    code, out, err = run_cli(capsys, "train", *progress, "--epochs", "2", "--samples", "300",
                             "--out", tmp_path / "m")
    assert (code, err) == (0, "")  # capsys's stderr is no terminal: no bar
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("epoch")] == [
        "epoch 1/2", "epoch 2/2"]


# -- errors of the machine: one line, exit 2 -------------------------------------------------

@pytest.mark.parametrize("error, line", [
    (MemoryError(), "out of memory; try smaller sizes (the limits: docs/reliability.md)"),
    (OSError(28, "No space left on device", "/x/weights.npz"),
     "No space left on device: '/x/weights.npz'"),
    (OSError(2, "No such file or directory", "a\nb"), "No such file or directory: 'a\\nb'"),
    (OSError("disk\nfull"), "disk\\nfull"),
])
def test_memory_and_os_errors_are_one_line(capsys, monkeypatch, error, line):
    import attnseq.gradcheck.cases

    def fail(seed):
        raise error

    monkeypatch.setattr(attnseq.gradcheck.cases, "all_cases", fail)
    assert run_cli(capsys, "gradcheck") == (2, "", f"attnseq gradcheck: error: {line}\n")


# -- the docs count what was tried ------------------------------------------------------------

def doc_counts() -> dict[str, int]:
    """{table: count} from the rows of docs/reliability.md's table "Options, sizes and
    training" that name a table of this module: "| what | `NAME` | count | ... |"."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Options, sizes and training", 1)[1].split("\n## ", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\|[^|]*\| `([A-Z_]+)` \| (\d+) \|", section,
                                                 re.MULTILINE)}


def test_the_docs_count_the_cases():
    tables = {name: getattr(sys.modules[__name__], name) for name in (
        "SIZE_OPTIONS", "CHECKED_OPTIONS", "CONFIG_VALUES", "TRANSFORMER_VALUES")}
    assert doc_counts() == {name: len(rows) for name, rows in tables.items()}
