"""The ``attnseq`` command, run for real: outputs, exit codes, and one-line errors.

Every user error must end as exactly one line on stderr, exit code 2, no traceback, and
nothing overwritten. These tests run ``python -m attnseq`` in a subprocess (so exit codes and
stderr are the real ones) with tiny models; a few use ``main`` in-process to look inside.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import attnseq
from attnseq import cli
from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task
from attnseq.models.config_entry import config_from_dict
from attnseq.tasks.dates import generate_dates
from attnseq.tasks.files import load_pairs, save_pairs_book, save_pairs_tsv

TINY = ["--hidden-size", "16", "--wordvec-size", "8", "--epochs", "1", "--no-progress"]
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
ACCURACY = re.compile(r"^exact match on (.+): (\d+)/(\d+) = (\d+\.\d\d)%$")


def attnseq_cmd(*args, stdin=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "attnseq", *map(str, args)], input=stdin,
                          capture_output=True, text=True, env=ENV, cwd=cwd, timeout=120)


def assert_fails(result, line):
    """Exit code 2 and exactly ``line`` on stderr (one line, so no traceback)."""
    assert "Traceback" not in result.stderr
    assert result.stderr == line + "\n"
    assert result.returncode == 2


def assert_fails_with_prefix(result, prefix):
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(prefix)
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1
    assert result.returncode == 2


def snapshot(directory: Path) -> dict:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def date_model(workdir):
    """A tiny attention model trained for one epoch on 200 generated dates."""
    out = workdir / "dates-model"
    r = attnseq_cmd("train", *TINY, "--samples", "200", "--out", out, cwd=workdir)
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture
def model_copy(date_model, tmp_path):
    """A copy of the trained model that a test may damage."""
    return Path(shutil.copytree(date_model, tmp_path / "model"))


@pytest.fixture(scope="module")
def book_file(workdir):
    path = workdir / "dates.txt"
    save_pairs_book(generate_dates(80, seed=5), path)
    return path


@pytest.fixture(scope="module")
def book_model(workdir, book_file):
    out = workdir / "book-model"
    r = attnseq_cmd("train", "--data", book_file, *TINY, "--out", out, cwd=workdir)
    assert r.returncode == 0, r.stderr
    return out, r


# -- help and version ------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["", "train", "eval", "convert", "gradcheck"])
def test_help_works_everywhere(command):
    r = attnseq_cmd(*command.split(), "--help")
    assert r.returncode == 0
    assert r.stdout.startswith(f"usage: attnseq {command}".rstrip())
    assert r.stderr == ""


def test_version():
    r = attnseq_cmd("--version")
    assert (r.returncode, r.stdout, r.stderr) == (0, f"attnseq {attnseq.__version__}\n", "")


def test_no_command():
    assert_fails(attnseq_cmd(), "attnseq: error: the following arguments are required: "
                                "COMMAND (see attnseq --help)")


def test_unknown_command():
    r = attnseq_cmd("bogus")
    assert_fails_with_prefix(r, "attnseq: error: argument COMMAND: invalid choice: 'bogus'")
    assert r.stderr.endswith(" (see attnseq --help)\n")


# -- train, eval, convert on generated dates -------------------------------------------------

def test_train_writes_a_model_directory(date_model):
    assert sorted(os.listdir(date_model)) == ["config.json", "weights.npz"]
    doc = json.loads((date_model / "config.json").read_text())
    assert doc["data"] == {"kind": "dates", "samples": 200, "seed": 1984}
    assert len(doc["history"]) == 1 and "accuracy" in doc["history"][0]
    assert doc["model"]["hidden_size"] == 16 and doc["model"]["wordvec_size"] == 8


def test_eval_recreates_the_test_split_of_generated_dates(date_model):
    r = attnseq_cmd("eval", date_model)
    assert r.returncode == 0 and r.stderr == ""
    where, k, n, pct = ACCURACY.match(r.stdout.splitlines()[0]).groups()
    assert (where, int(n)) == ("its test split", 20)
    conv = Converter.load(date_model)
    assert int(k) == int(conv.correct(Task.dates(200, 1984).test).sum())
    assert pct == f"{100 * int(k) / 20:.2f}"


def test_convert_prints_one_line_per_argument(date_model):
    texts = ["5/6/07", "jun 17, 2013", "TUESDAY, SEPTEMBER 25, 1984", "1/1/70"]
    r = attnseq_cmd("convert", date_model, *texts)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines() == Converter.load(date_model).convert(texts)


def test_convert_reads_stdin_line_by_line_in_order(date_model):
    texts = ["jun 17, 2013", "5/6/07", "TUESDAY, SEPTEMBER 25, 1984", "12-25-1999", "5/6/07"]
    expected = Converter.load(date_model).convert(texts)
    assert len(set(expected)) > 1, "the model answers everything alike: order is untested"
    r = attnseq_cmd("convert", date_model, stdin="\n".join(texts[:2]) + "\r\n"
                    + "\n".join(texts[2:]) + "\n")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.splitlines() == expected
    by_args = attnseq_cmd("convert", date_model, *texts)
    assert by_args.stdout == r.stdout


def test_convert_into_a_closed_pipe_stops_quietly(date_model):
    """``attnseq convert ... | head -1``: the reader leaves early; no traceback, exit 141."""
    proc = subprocess.Popen([sys.executable, "-m", "attnseq", "convert", str(date_model)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=ENV)
    proc.stdout.close()  # nobody will read the answers
    _, err = proc.communicate(("5/6/07\n" * 20000).encode(), timeout=120)
    assert b"Traceback" not in err and err == b""
    assert proc.returncode == 141


# -- train and eval on files -----------------------------------------------------------------

def test_train_on_a_book_format_file(book_model, book_file):
    out, r = book_model
    assert r.stderr == ""
    lines = r.stdout.splitlines()
    assert lines[0] == (f"training attention on 72 pairs, testing on 8 (file {book_file}); "
                        f"saving to {out}")
    assert lines[1].startswith("epoch 1/1: loss ")
    assert lines[-1] == f"saved the model to {out}"
    doc = json.loads((out / "config.json").read_text())
    assert doc["data"] == {"kind": "file", "path": str(book_file.resolve()), "seed": 1984}
    assert doc["model"]["question_len"] == max(len(q) for q, _ in load_pairs(book_file))


def test_eval_on_a_data_file(book_model, book_file):
    out, _ = book_model
    r = attnseq_cmd("eval", out, "--data", book_file)
    assert r.returncode == 0 and r.stderr == ""
    where, k, n, pct = ACCURACY.match(r.stdout.splitlines()[0]).groups()
    assert (where, int(n)) == (str(book_file), 80)
    pairs = load_pairs(book_file)
    assert int(k) == int(Converter.load(out).correct(pairs).sum())


def test_eval_without_data_uses_the_saved_source(book_model, book_file):
    out, _ = book_model
    r = attnseq_cmd("eval", out)
    assert r.returncode == 0 and r.stderr == ""
    where, k, n, _ = ACCURACY.match(r.stdout.splitlines()[0]).groups()
    assert (where, int(n)) == ("its test split", 8)


def test_eval_scores_exactly_the_saved_test_split(book_model, book_file, monkeypatch, capsys):
    # Decode the right answer for every other row; eval must count those, on the test split.
    out, _ = book_model
    encoded = []
    real_encode = Converter.encode

    def encode(self, pairs, locale=None):
        encoded.append(list(pairs))
        xs, ts = real_encode(self, pairs, locale)
        self.targets = ts
        return xs, ts

    def generate_ids(self, xs, batch_size=1000, search=None):
        assert search is None  # eval without --beam decodes greedily
        ids = self.targets[:, 1:].copy()
        ids[1::2] = self.vocab.token_to_id("9")
        return ids

    monkeypatch.setattr(Converter, "encode", encode)
    monkeypatch.setattr(Converter, "generate_ids", generate_ids)
    assert cli.main(["eval", str(out)]) == 0
    test = Task.from_file(book_file, 1984).test
    assert encoded == [test]
    assert capsys.readouterr().out.splitlines()[0] == \
        "exact match on its test split: 4/8 = 50.00%"


def test_train_on_a_tsv_file(tmp_path):
    path = tmp_path / "pairs.tsv"
    save_pairs_tsv([(f"{i} + {i % 5}", str(i + i % 5)) for i in range(40)], path)
    out = tmp_path / "m"
    r = attnseq_cmd("train", "--data", path, "--model", "baseline", *TINY, "--out", out)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == (f"training baseline on 36 pairs, testing on 4 "
                                        f"(file {path}); saving to {out}")
    assert Converter.load(out).config.model == "baseline"
    r = attnseq_cmd("eval", out, "--data", path)
    assert r.returncode == 0
    assert ACCURACY.match(r.stdout.splitlines()[0]).group(3) == "40"


def test_eval_when_the_training_file_is_gone(book_model, tmp_path):
    out, _ = book_model
    model = Path(shutil.copytree(out, tmp_path / "m"))
    doc = json.loads((model / "config.json").read_text())
    doc["data"]["path"] = str(tmp_path / "gone.txt")
    (model / "config.json").write_text(json.dumps(doc))
    assert_fails(attnseq_cmd("eval", model),
                 f"attnseq eval: error: the model was trained on {tmp_path / 'gone.txt'}, "
                 "which is gone; pass --data FILE")


# -- bad input: convert ----------------------------------------------------------------------

def question_len(model) -> int:
    return json.loads((Path(model) / "config.json").read_text())["model"]["question_len"]


def test_convert_unknown_character(date_model):
    r = attnseq_cmd("convert", date_model, "€ 5, 2001")
    assert_fails(r, "attnseq convert: error: argument 1: unknown character '€' in input "
                    "'€ 5, 2001'")
    assert r.stdout == ""


def test_convert_converts_nothing_when_a_later_argument_is_bad(date_model):
    r = attnseq_cmd("convert", date_model, "5/6/07", "5/6/07 ☃")
    assert_fails(r, "attnseq convert: error: argument 2: unknown character '☃' in input "
                    "'5/6/07 ☃'")
    assert r.stdout == ""


def test_convert_input_too_long(date_model):
    limit = question_len(date_model)
    text = "1" * (limit + 1)
    assert_fails(attnseq_cmd("convert", date_model, text),
                 f"attnseq convert: error: argument 1: input '{text}' is {limit + 1} "
                 f"characters; this model accepts at most {limit}")


def test_convert_empty_argument(date_model):
    assert_fails(attnseq_cmd("convert", date_model, ""),
                 "attnseq convert: error: argument 1: empty input")


def test_convert_empty_stdin(date_model):
    r = attnseq_cmd("convert", date_model, stdin="")
    assert_fails(r, "attnseq convert: error: no input: give TEXT arguments or lines on "
                    "standard input")
    assert r.stdout == ""


def test_convert_bad_stdin_line_names_the_line(date_model):
    r = attnseq_cmd("convert", date_model, stdin="5/6/07\njun 17, 2013\n€ 5\n9/9/99\n")
    assert_fails(r, "attnseq convert: error: line 3: unknown character '€' in input '€ 5'")
    assert r.stdout == ""


def test_convert_blank_stdin_line_names_the_line(date_model):
    assert_fails(attnseq_cmd("convert", date_model, stdin="5/6/07\n\n9/9/99\n"),
                 "attnseq convert: error: line 2: empty input")


# -- bad input: data files -------------------------------------------------------------------

@pytest.fixture
def bad_data(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("5/6/07      _2007-05-06\njun 17, 2013_2013-06-17\nmay 5 2001 2001-05-05\n")
    return path


def test_train_on_a_malformed_file_changes_nothing(model_copy, bad_data):
    before = snapshot(model_copy)
    r = attnseq_cmd("train", "--data", bad_data, *TINY, "--out", model_copy)
    assert_fails(r, f"attnseq train: error: {bad_data}:3: expected 'question_answer' "
                    "(no '_' found)")
    assert snapshot(model_copy) == before
    assert sorted(os.listdir(model_copy.parent)) == ["bad.txt", "model"]  # no temp dirs


def test_eval_on_a_malformed_file(date_model, bad_data):
    r = attnseq_cmd("eval", date_model, "--data", bad_data)
    assert_fails(r, f"attnseq eval: error: {bad_data}:3: expected 'question_answer' "
                    "(no '_' found)")
    assert r.stdout == ""


def test_eval_on_a_malformed_tsv_file(date_model, tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("5/6/07\t2007-05-06\n1/2/03\t2003-01-02\textra\n")
    assert_fails(attnseq_cmd("eval", date_model, "--data", path),
                 f"attnseq eval: error: {path}:2: expected 'question<TAB>answer' "
                 "(found 2 TABs)")


def test_eval_on_a_missing_data_file(date_model, tmp_path):
    assert_fails(attnseq_cmd("eval", date_model, "--data", tmp_path / "nope.txt"),
                 f"attnseq eval: error: no such data file: {tmp_path / 'nope.txt'}")


def test_train_refuses_to_overwrite_a_foreign_directory(tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "notes.txt").write_text("keep me\n")
    r = attnseq_cmd("train", *TINY, "--samples", "20", "--out", out)
    assert_fails(r, f"attnseq train: error: {out} is not empty and holds no attnseq model; "
                    "refusing to overwrite")
    assert snapshot(out) == {"notes.txt": b"keep me\n"}


def test_train_refuses_an_out_below_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = attnseq_cmd("train", *TINY, "--samples", "20", "--out", tmp_path / "afile" / "m")
    assert_fails(r, f"attnseq train: error: {tmp_path / 'afile'} exists and is not a "
                    "directory")
    assert (tmp_path / "afile").read_text() == "x"


# -- bad input: model directories ------------------------------------------------------------

def test_missing_model_directory(tmp_path):
    for command in ("convert", "eval"):
        args = [command, tmp_path / "nope"] + (["5/6/07"] if command == "convert" else [])
        assert_fails(attnseq_cmd(*args),
                     f"attnseq {command}: error: no model directory at {tmp_path / 'nope'}")


def test_directory_without_config(model_copy):
    (model_copy / "config.json").unlink()
    assert_fails(attnseq_cmd("convert", model_copy, "5/6/07"),
                 f"attnseq convert: error: {model_copy} is not an attnseq model directory "
                 "(no config.json)")


def test_garbage_config(model_copy):
    (model_copy / "config.json").write_text("{{{ not json")
    assert_fails(attnseq_cmd("eval", model_copy),
                 f"attnseq eval: error: {model_copy / 'config.json'} is corrupt: Expecting "
                 "property name enclosed in double quotes: line 1 column 2 (char 1)")


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_corrupt_weights(model_copy, damage):
    file = model_copy / "weights.npz"
    raw = file.read_bytes()
    file.write_bytes(raw[: len(raw) // 3] if damage == "truncated" else b"garbage\n" * 9)
    before = snapshot(model_copy)
    assert_fails_with_prefix(attnseq_cmd("convert", model_copy, "5/6/07"),
                             f"attnseq convert: error: {file} is corrupt: ")
    assert snapshot(model_copy) == before


def test_weights_of_the_wrong_shape(model_copy, tmp_path):
    doc = json.loads((model_copy / "config.json").read_text())
    config = config_from_dict({**doc["model"], "hidden_size": 12})
    other = Converter.create(config, Converter.load(model_copy).vocab, seed=0)
    other.save(tmp_path / "other")
    shutil.copyfile(tmp_path / "other" / "weights.npz", model_copy / "weights.npz")
    assert_fails(attnseq_cmd("convert", model_copy, "5/6/07"),
                 f"attnseq convert: error: {model_copy / 'weights.npz'}: param_001 is "
                 "float32[8, 48]; the model config needs float32[8, 64]")


def test_corrupt_data_source(model_copy):
    doc = json.loads((model_copy / "config.json").read_text())
    doc["data"] = {"kind": "dates", "seed": 3}
    (model_copy / "config.json").write_text(json.dumps(doc))
    assert_fails(attnseq_cmd("eval", model_copy),
                 "attnseq eval: error: the model directory's data source is corrupt: "
                 "{'kind': 'dates', 'seed': 3}")


# -- bad options -----------------------------------------------------------------------------

@pytest.mark.parametrize("option, value, kind", [
    ("--hidden-size", "-3", "integer"),
    ("--wordvec-size", "0", "integer"),
    ("--epochs", "0", "integer"),
    ("--batch-size", "ten", "integer"),
    ("--samples", "-1", "integer"),
    ("--lr", "0", "number"),
    ("--lr", "nan", "number"),
    ("--clip", "-5", "number"),
])
def test_nonsensical_sizes(tmp_path, option, value, kind):
    r = attnseq_cmd("train", option, value, "--out", tmp_path / "m")
    assert_fails(r, f"attnseq train: error: argument {option}: expected a positive {kind}, "
                    f"got '{value}' (see attnseq train --help)")
    assert r.stdout == "" and os.listdir(tmp_path) == []


def test_unknown_model(tmp_path):
    r = attnseq_cmd("train", "--model", "nonesuch", "--out", tmp_path / "m")
    assert_fails_with_prefix(r, "attnseq train: error: argument --model: invalid choice: "
                                "'nonesuch' (choose from 'baseline', 'peeky', 'attention', "
                                "'gnmt', 'transformer')")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("option, value, message", [
    ("--samples", "1", "samples must be at least 2, got 1"),
])
def test_values_refused_by_the_library(tmp_path, option, value, message):
    r = attnseq_cmd("train", *TINY, "--samples", "20", option, value, "--out", tmp_path / "m")
    assert_fails(r, f"attnseq train: error: {message}")
    assert not (tmp_path / "m").exists()


def test_interrupt_is_one_line_and_exit_130(monkeypatch, capsys, tmp_path):
    import attnseq.experiments.run

    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(attnseq.experiments.run, "run", interrupted)
    assert cli.main(["train", *TINY, "--samples", "20", "--out", str(tmp_path / "m")]) == 130
    assert capsys.readouterr().err == "attnseq train: interrupted\n"


# -- gradcheck -------------------------------------------------------------------------------

def test_gradcheck_passes_and_reports_every_case():
    r = attnseq_cmd("gradcheck")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    cases = [re.fullmatch(r"(\S+) +worst relative error (\S+)  ok", line) for line in lines[:-1]]
    assert all(cases), lines
    assert len({line.index(" worst relative error") for line in lines[:-1]}) == 1  # aligned
    names = [m.group(1) for m in cases]
    errors = [float(m.group(2)) for m in cases]
    assert {"baseline", "peeky", "attention", "TimeLSTM", "TimeAttention"} <= set(names)
    assert all(0 <= e < 1e-6 for e in errors)
    final = re.fullmatch(r"worst overall (\S+) \(tolerance 1e-06\)", lines[-1])
    assert final and float(final.group(1)) == max(errors)


def test_gradcheck_fails_above_the_tolerance():
    r = attnseq_cmd("gradcheck", "--tol", "1e-300")
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1].endswith("(tolerance 1e-300)")
    assert any(line.endswith("  FAIL") for line in r.stdout.splitlines())


# -- beam search -----------------------------------------------------------------------------

BEAM_INPUTS = ["TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013"]
ALTERNATIVE = re.compile(r"^(\d+)\t(\d+)\t(-?\d+\.\d{4})\t(.*)$")


def test_convert_with_beam_prints_scored_alternatives(date_model):
    r = attnseq_cmd("convert", date_model, *BEAM_INPUTS, "--beam", "4", "--n-best", "3",
                    "--alpha", "0.6", "--beta", "0.2")
    assert r.returncode == 0 and r.stderr == ""
    rows = [ALTERNATIVE.match(line) for line in r.stdout.splitlines()]
    assert len(rows) == 9 and all(rows), r.stdout
    assert [(int(m[1]), int(m[2])) for m in rows] == [(n, k) for n in (1, 2, 3) for k in (1, 2, 3)]
    conv = Converter.load(date_model)
    expected = conv.alternatives(BEAM_INPUTS, conv.beam(beam=4, n_best=3, alpha=0.6, beta=0.2))
    for m, (out, score) in zip(rows, [a for alts in expected for a in alts], strict=True):
        assert m[4] == out and float(m[3]) == pytest.approx(score, abs=2e-4)
    scores = [float(m[3]) for m in rows]
    assert all(scores[i] >= scores[i + 1] for i in (0, 1, 3, 4, 6, 7))


def test_convert_with_beam_one_is_greedy(date_model):
    lines = "\n".join(BEAM_INPUTS) + "\n"
    greedy = attnseq_cmd("convert", date_model, stdin=lines)
    beam = attnseq_cmd("convert", date_model, "--beam", "1", stdin=lines)
    assert greedy.returncode == beam.returncode == 0
    assert beam.stdout == greedy.stdout and len(beam.stdout.splitlines()) == 3


def test_eval_with_beam_reports_its_settings(date_model):
    r = attnseq_cmd("eval", date_model, "--beam", "3", "--alpha", "0.6")
    assert r.returncode == 0, r.stderr
    m = ACCURACY.match(r.stdout.splitlines()[0])
    assert m and m[1] == "its test split (beam 3, alpha 0.6)"
    conv = Converter.load(date_model)
    test = Task.from_source(conv.meta["data"]).test
    correct = conv.correct(test, search=conv.beam(beam=3, alpha=0.6))
    assert (int(m[2]), int(m[3])) == (int(correct.sum()), len(test))


def test_attention_with_beam_draws_the_chosen_hypothesis(date_model, tmp_path):
    out = tmp_path / "beam.png"
    r = attnseq_cmd("attention", date_model, "9/8/97", "--beam", "3", "--max-length", "4",
                    "--out", out)
    assert r.returncode == 0, r.stderr
    conv = Converter.load(date_model)
    best = conv.convert(["9/8/97"], search=conv.beam(beam=3, max_length=4))[0]
    assert len(best) == 4  # cut at four tokens: not what greedy prints
    assert r.stdout.splitlines() == [f"9/8/97 -> {best}", f"wrote {out}"]
    assert out.stat().st_size > 0


@pytest.mark.parametrize("options, line", [
    (["--beam", "0"], "attnseq convert: error: argument --beam: expected a positive integer, "
                      "got '0' (see attnseq convert --help)"),
    (["--beam", "2", "--n-best", "3"],
     "attnseq convert: error: n_best must be at most the beam width 2, got 3"),
    (["--beam", "2", "--alpha", "-0.5"],
     "attnseq convert: error: alpha must be a non-negative number, got -0.5"),
    (["--beam", "2", "--beta", "-1"],
     "attnseq convert: error: beta must be a non-negative number, got -1.0"),
    (["--beam", "2", "--min-length", "6", "--max-length", "5"],
     "attnseq convert: error: min_length must be at most max_length 5, got 6"),
    (["--beam", "2", "--max-length", "0"],
     "attnseq convert: error: argument --max-length: expected a positive integer, got '0' "
     "(see attnseq convert --help)"),
    (["--alpha", "0.6", "--n-best", "2"],
     "attnseq convert: error: --n-best, --alpha need --beam K"),
])
def test_bad_beam_settings(date_model, options, line):
    assert_fails(attnseq_cmd("convert", date_model, "9/8/97", *options), line)


@pytest.mark.parametrize("command", ["eval", "attention"])
def test_bad_beam_settings_of_eval_and_attention(date_model, tmp_path, command):
    extra = ["9/8/97", "--out", tmp_path / "a.png"] if command == "attention" else []
    r = attnseq_cmd(command, date_model, *extra, "--beam", "3", "--min-length", "40")
    assert_fails(r, f"attnseq {command}: error: min_length must be at most max_length "
                    f"{Converter.load(date_model).output_len}, got 40")
    assert not (tmp_path / "a.png").exists()


def test_coverage_penalty_needs_attention(tmp_path):
    out = tmp_path / "baseline"
    assert attnseq_cmd("train", *TINY, "--model", "baseline", "--samples", "100",
                       "--out", out).returncode == 0
    assert_fails(attnseq_cmd("convert", out, "9/8/97", "--beam", "2", "--beta", "0.1"),
                 "attnseq convert: error: beta (the coverage penalty) needs a model with "
                 "attention")


# -- gnmt ------------------------------------------------------------------------------------

def test_gnmt_trains_converts_evaluates_and_draws_attention(tmp_path, capsys):
    out = tmp_path / "gnmt"
    assert cli.main(["train", *TINY, "--model", "gnmt", "--layers", "3", "--dropout", "0.1",
                     "--samples", "60", "--out", str(out)]) == 0
    conv = Converter.load(out)
    assert conv.config.model == "gnmt" and conv.config.num_layers == 3
    capsys.readouterr()
    assert cli.main(["convert", str(out), "9/8/97", "jun 17, 2013"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert cli.main(["eval", str(out)]) == 0
    assert ACCURACY.match(capsys.readouterr().out.splitlines()[0])
    assert cli.main(["attention", str(out), "9/8/97", "--out", str(tmp_path / "a.png")]) == 0
    assert (tmp_path / "a.png").stat().st_size > 0


def test_compare_trains_attention_and_gnmt_each_with_its_own_defaults(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert cli.main(["compare", "--models", "attention,gnmt", *TINY, "--samples", "60",
                     "--out", str(out)]) == 0
    assert Converter.load(out / "attention").config.num_layers == 1
    gnmt = Converter.load(out / "gnmt").config
    assert (gnmt.model, gnmt.encoder, gnmt.num_layers, gnmt.residual) == ("gnmt", "bi", 3, True)


def test_train_builds_the_model_from_the_layers_impl_names(monkeypatch, tmp_path, capsys):
    """--impl reaches the model's construction (``Converter.create``); fast by default."""
    from attnseq.experiments import run as run_module

    seen = []

    def create(config, vocab, *, seed=None, dtype=None, impl="fast"):
        seen.append(impl)
        raise AttnseqError("stopped before training")

    monkeypatch.setattr(run_module.Converter, "create", create)
    for argv, impl in (([], "fast"), (["--impl", "book"], "book")):
        assert cli.main(["train", "--samples", "20", *argv, "--out",
                         str(tmp_path / impl)]) == 2
        assert capsys.readouterr().err == "attnseq train: error: stopped before training\n"
        assert seen.pop() == impl


def test_train_impl_book_trains_end_to_end_on_the_books_layers_alone(tmp_path, monkeypatch):
    """``--impl book`` trains and saves a model that none of the fast set's code ran for: the
    fast layers' forward passes are made to fail, and training still succeeds. The saved
    weights then load into the fast layers (the same parameters), which convert alike."""
    from attnseq import fast
    from attnseq.fast import attention as fast_attention
    from attnseq.fast import embedding as fast_embedding
    from attnseq.fast import lstm as fast_lstm

    def refuse(*args, **kwargs):
        raise AssertionError("the fast set ran")

    for cls in (fast_lstm.FastTimeLSTM, fast.EmbeddingLSTM, fast_attention.FastAttention,
                fast_embedding.FastEmbedding):
        monkeypatch.setattr(cls, "forward", refuse)
    monkeypatch.setattr(fast_lstm.FastTimeLSTM, "step", refuse)
    out = tmp_path / "book"
    assert cli.main(["train", *TINY, "--samples", "60", "--impl", "book", "--out",
                     str(out)]) == 0
    monkeypatch.undo()
    texts = ["9/8/97", "TUESDAY, SEPTEMBER 25, 1984"]
    fast_conv = Converter.load(out)
    book_conv = Converter.create(fast_conv.config, fast_conv.vocab, impl="book")
    for p, q in zip(book_conv.model.params, fast_conv.model.params, strict=True):
        p[...] = q
    assert book_conv.convert(texts) == fast_conv.convert(texts)
