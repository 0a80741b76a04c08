"""``attnseq convert`` as a date normaliser and a filter, and ``attnseq models``: built-in
models by name, standard input streamed a chunk at a time, --on-error, --field, and bad input
as one line and exit 2. Run in-process (``main``) with standard input and output replaced."""

import io
import sys

import pytest

from attnseq.cli import main
from attnseq.dates import DateNormaliser
from attnseq.dates.builtin import builtin_models, load
from attnseq.dates.stream import CHUNK
from attnseq.experiments.converter import Converter
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks.vocab import Vocab


def attnseq(monkeypatch, capsys, *args, stdin=None):
    """(exit code, stdout lines, stderr) of ``attnseq ARGS`` with ``stdin`` (text or an
    iterable of lines) as standard input."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin) if isinstance(stdin, str)
                            else stdin)
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # a usage error, from argparse
        code = exc.code
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def fails(result, line):
    code, out, err = result
    assert (code, err) == (2, line + "\n")


@pytest.fixture(scope="module")
def plain_model(tmp_path_factory):
    """An untrained model (no date rules): its answers are what Converter.convert says."""
    out = tmp_path_factory.mktemp("plain") / "model"
    vocab = Vocab.from_texts(["0123456789/-, abcdefghijklmnopqrstuvwxyz"])
    Converter.create(Seq2seqConfig(wordvec_size=4, hidden_size=8), vocab, seed=0).save(out)
    return out


def test_a_builtin_model_by_name(monkeypatch, capsys):
    code, out, err = attnseq(monkeypatch, capsys, "convert", "dates-book",
                             "TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013")
    assert (code, out, err) == (0, ["1984-09-25", "1997-09-08", "2013-06-17"], "")


def test_a_directory_named_like_a_builtin_model_wins(monkeypatch, capsys, plain_model):
    monkeypatch.chdir(plain_model.parent)
    plain_model.rename(plain_model.parent / "dates")
    try:
        code, out, _ = attnseq(monkeypatch, capsys, "convert", "dates", "9/8/97")
        assert out == Converter.load("dates").convert(["9/8/97"])
        assert out != ["1997-09-08"]  # not the built-in model
    finally:
        (plain_model.parent / "dates").rename(plain_model)


def test_an_unknown_model_name(monkeypatch, capsys):
    names = ", ".join(m.name for m in builtin_models())
    fails(attnseq(monkeypatch, capsys, "convert", "no-such-model", "9/8/97"),
          "attnseq convert: error: no model directory 'no-such-model' and no built-in model "
          f"of that name (built in: {names})")


def test_models_lists_size_and_accuracy(monkeypatch, capsys):
    code, out, err = attnseq(monkeypatch, capsys, "models")
    [m] = [m for m in builtin_models() if m.name == "dates"]
    assert (code, err) == (0, "")
    assert f"dates\t{m.size / 1e6:.2f} MB\t{100 * m.info['accuracy']:.2f}% exact match on " \
           f"{m.info['measured_on']}" in out


LINES = "9/8/97\n\njun 17, 2013\n5/6/07 ☃\n"


@pytest.mark.parametrize("on_error, expected", [
    ("empty", ["1997-09-08", "", "2013-06-17", ""]), ("skip", ["1997-09-08", "2013-06-17"])])
def test_on_error_keeps_or_drops_the_failed_lines(monkeypatch, capsys, on_error, expected):
    code, out, err = attnseq(monkeypatch, capsys, "convert", "--on-error", on_error, "dates-book",
                             stdin=LINES)
    assert (code, out, err) == (0, expected, "")


def test_on_error_fail_names_the_line(monkeypatch, capsys):
    fails(attnseq(monkeypatch, capsys, "convert", "dates-book", stdin=LINES),
          "attnseq convert: error: line 2: empty input")


def test_min_confidence_abstains(monkeypatch, capsys):
    [o] = DateNormaliser(load("dates-book")).outcomes(["9/8/97"])
    fails(attnseq(monkeypatch, capsys, "convert", "--min-confidence", "1", "dates-book", "9/8/97"),
          f"attnseq convert: error: argument 1: abstained: 1997-09-08 has probability "
          f"{o.probability:.4f}, below 1")
    code, out, _ = attnseq(monkeypatch, capsys, "convert", "--min-confidence",
                           f"{o.probability * 0.99}", "dates-book", "9/8/97")
    assert (code, out) == (0, ["1997-09-08"])


def test_a_csv_field(monkeypatch, capsys):
    code, out, _ = attnseq(monkeypatch, capsys, "convert", "--field", "2", "dates-book",
                           stdin='a,9/8/97,x\nb,"jun 17, 2013",y\n')
    assert (code, out) == (0, ["a,1997-09-08,x", "b,2013-06-17,y"])


def test_a_tsv_field_emptied_on_error(monkeypatch, capsys):
    code, out, _ = attnseq(monkeypatch, capsys, "convert", "--field", "1", "--delimiter",
                           "\t", "--on-error", "empty", "dates-book",
                           stdin="9/8/97\tx\n☃\ty\n")
    assert (code, out) == (0, ["1997-09-08\tx", "\ty"])


class Stdout(io.StringIO):
    """Standard output that remembers how many lines it held at each flush."""

    def __init__(self):
        super().__init__()
        self.flushed = []

    def flush(self):
        self.flushed.append(len(self.getvalue().splitlines()))


def test_stdin_is_streamed_and_each_chunk_flushed(monkeypatch, capsys, plain_model):
    stdout = Stdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    total = 2 * CHUNK + 3

    def lines():
        for k in range(total):
            if k == CHUNK:  # the first chunk was written and flushed before this is read
                assert stdout.flushed and stdout.flushed[-1] == CHUNK
            yield "9/8/97\n"

    monkeypatch.setattr(sys, "stdin", lines())
    code = main(["convert", str(plain_model)])
    assert code == 0
    assert stdout.flushed[:3] == [CHUNK, 2 * CHUNK, total]
    assert stdout.getvalue().splitlines() == Converter.load(plain_model).convert(
        ["9/8/97"]) * total


@pytest.mark.parametrize("args, line", [
    (["--field", "0"], "attnseq convert: error: argument --field: expected a positive "
                       "integer, got '0' (see attnseq convert --help)"),
    (["--field", "1", "--delimiter", ";;"], "attnseq convert: error: the delimiter must be "
     "one character other than a quote or a line break, got ';;'"),
    (["--delimiter", ";"], "attnseq convert: error: --delimiter needs --field N"),
    (["--field", "3"], "attnseq convert: error: line 1: has 2 fields, not the field 3 to "
                       "convert"),
    (["--min-confidence", "1.5"], "attnseq convert: error: argument --min-confidence: "
     "expected a probability in [0, 1], got '1.5' (see attnseq convert --help)"),
    (["--beam", "3", "--n-best", "2"], "attnseq convert: error: --n-best M (M > 1) lists a "
     "plain model's raw hypotheses: not with --field, --on-error, --dates or a built-in "
     "date model")])
def test_bad_options_are_one_line(monkeypatch, capsys, args, line):
    fails(attnseq(monkeypatch, capsys, "convert", *args, "dates", stdin="9/8/97,x\n"), line)


def test_min_confidence_needs_a_date_model(monkeypatch, capsys, plain_model):
    fails(attnseq(monkeypatch, capsys, "convert", "--min-confidence", "0.5", plain_model,
                  "9/8/97"),
          "attnseq convert: error: --min-confidence needs a date model: a built-in one, or "
          "--dates")


def test_dates_makes_any_model_a_normaliser(monkeypatch, capsys, plain_model):
    code, out, _ = attnseq(monkeypatch, capsys, "convert", "--dates", "--on-error", "empty",
                           plain_model, "9/8/97")
    conv = Converter.load(plain_model)
    assert (code, out) == (0, [DateNormaliser(conv).normalise(["9/8/97"])[0] or ""])
