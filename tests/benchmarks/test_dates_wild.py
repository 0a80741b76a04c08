"""benchmarks.dates_wild: its scoring on a tiny hand-made table, its systems, its command."""

from __future__ import annotations

import json

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks.dataset import date_vocab
from benchmarks import dates_wild
from benchmarks.dates_wild import (
    Row,
    attnseq_convert,
    breakdown,
    group_accuracy,
    is_iso_date,
    load_rows,
    measure,
    model_hint,
    score,
    table,
)

HEADER = "\t".join(dates_wild.COLUMNS)
ROWS = [
    Row("Tue, 14 Mar 2017", "2017-03-14", "en", "", "email", ("weekday",)),
    Row("06/03/1973", "1973-06-03", "en", "en_US", "form", ("month-first",)),
    Row("3. Oktober 1990", "1990-10-03", "de", "", "news", ()),
    Row("2016年3月20日 21:40", "2016-03-20", "ja", "", "news", ("time", "year-first")),
    Row("12 jan 1876 10:00", "1876-01-12", "fr", "", "history", ("time", "year-range")),
]
# right, wrong, refused, invalid (a 15th month), invalid (not a date at all)
OUTPUTS = ["2017-03-14", "1973-03-06", None, "2016-15-20", "18760112"]


def test_is_iso_date_takes_real_calendar_dates_only():
    assert is_iso_date("2024-02-29") and is_iso_date("1066-10-14")
    for bad in ["2023-02-29", "2015-15-15", "2003-00-09", "20030925", "2003-9-25",
                " 2003-09-25", "", None]:
        assert not is_iso_date(bad), bad


def test_score_counts_exact_matches_refusals_and_invalid_answers():
    result = score(ROWS, OUTPUTS)
    assert (result["rows"], result["right"], result["refused"], result["invalid"]) == (5, 1, 1, 2)
    assert result["by_language"]["en"] == [1, 2]
    assert result["by_language"]["de"] == [0, 1] and result["by_language"]["hi"] == [0, 0]
    assert result["by_cause"]["weekday"] == [1, 1]
    assert result["by_cause"]["time"] == [0, 2] and result["by_cause"]["month-first"] == [0, 1]
    assert result["by_cause"]["zone"] == [0, 0]


def test_a_right_answer_counts_once_per_cause_and_groups_add_their_languages():
    outputs = [row.answer for row in ROWS]
    result = score(ROWS, outputs)
    assert result["right"] == 5 and result["refused"] == result["invalid"] == 0
    assert result["by_cause"]["time"] == [2, 2]
    assert group_accuracy(score(ROWS, OUTPUTS), ("en",)) == 0.5
    assert group_accuracy(score(ROWS, OUTPUTS), ("de", "fr", "es", "ja")) == 0.0
    assert group_accuracy(result, ("ko",)) != group_accuracy(result, ("ko",))  # NaN: no rows


def test_score_needs_an_output_per_row():
    with pytest.raises(ValueError):
        score(ROWS, OUTPUTS[:-1])


def test_measure_warms_up_on_each_language_then_times_the_systems_in_turns():
    calls = []

    def system(name, outputs):
        def convert(rows):
            calls.append((name, len(rows)))
            return outputs[:len(rows)]
        return convert

    answers = [row.answer for row in ROWS]
    results = measure({"fake": system("fake", OUTPUTS), "right": system("right", answers)},
                      ROWS, repeats=2)
    assert calls == [("fake", 4), ("right", 4)] + [("fake", 5), ("right", 5)] * 2  # 4 languages
    assert list(results) == ["fake", "right"]
    assert results["fake"]["outputs"] == OUTPUTS and results["fake"]["right"] == 1
    assert results["right"]["right"] == 5
    for result in results.values():
        assert result["dates_per_second"] == pytest.approx(5 / result["seconds"])


def test_the_tables_show_what_was_scored():
    result = {**score(ROWS, OUTPUTS), "dates_per_second": 1234.4}
    lines = table({"fake": result}).splitlines()
    assert lines[0] == ("| system | English | de/fr/es/ja | all languages | refused/abstained "
                        "| invalid | dates/s |")
    assert lines[2] == "| fake | 50.0% | 0.0% | 20.0% | 1 (20.0%) | 2 | 1,234 |"
    by_cause = breakdown({"fake": result}, "by_cause", ["weekday", "time", "zone"]).splitlines()
    assert by_cause[2:] == ["| weekday | 1 | 100.0% |", "| time | 2 | 0.0% |",
                            "| zone | 0 | — |"]


def test_load_rows_reads_the_columns(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text(f"{HEADER}\n3 mai 2001\t2001-05-03\tfr\t\tchat\tfiller,ordinal\n",
                    encoding="utf-8")
    assert load_rows(good) == [Row("3 mai 2001", "2001-05-03", "fr", "", "chat",
                                   ("filler", "ordinal"))]


@pytest.mark.parametrize("body,message", [
    ("text\tanswer\n", ": the first line must name the columns text, answer, language, hint, "
                      "source, causes (tab-separated)"),
    (f"{HEADER}\n3 mai 2001\t2001-05-03\tfr\n", ":2: expected 6 tab-separated columns, got 3"),
    (f"{HEADER}\nx\t2001-05-03\tfr\t\tchat\t\nx\t2001-05-03\tsv\t\tchat\t\n",
     ":3: unknown language 'sv'"),
    (f"{HEADER}\nx\t2001-05-03\tfr\tfr_CA\tchat\t\n", ":2: unknown hint 'fr_CA'"),
    (f"{HEADER}\nx\t2001-05-03\tfr\t\tblog\t\n", ":2: unknown source 'blog'"),
    (f"{HEADER}\nx\t2001-05-03\tfr\t\tchat\ttime,era\n", ":2: unknown cause 'era'"),
])
def test_load_rows_refuses_a_bad_file_in_one_line(tmp_path, body, message):
    path = tmp_path / "bad.tsv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(AttnseqError) as info:
        load_rows(path)
    assert str(info.value) == f"{path}{message}"


def test_load_rows_refuses_a_missing_file_and_one_that_is_not_utf8(tmp_path):
    with pytest.raises(AttnseqError) as info:
        load_rows(tmp_path / "none.tsv")
    assert str(info.value) == f"cannot read {tmp_path / 'none.tsv'}: No such file or directory"
    latin = tmp_path / "latin.tsv"
    latin.write_bytes(HEADER.encode() + b"\n3 ao\xfbt 2001\t2001-08-03\tfr\t\tchat\t\n")
    with pytest.raises(AttnseqError) as info:
        load_rows(latin)
    assert str(info.value) == f"{latin} is not UTF-8 text"


def test_attnseq_abstains_or_answers_a_real_date_and_refuses_what_it_cannot_encode():
    """An untrained model answers at random; the normaliser still prints no invalid date,
    and a row with a character outside the vocabulary is None."""
    config = Seq2seqConfig(model="attention", wordvec_size=4, hidden_size=4,
                           question_len=12, answer_len=10)
    conv = Converter.create(config, date_vocab(), seed=0)
    rows = [Row(text, "2001-05-03", "en", hint, "form", ()) for text, hint in
            [("2001-05-03", ""), ("3 mai 2001 @", ""), ("5/3/01", "en_US"), ("5/3/01", "en_GB")]]
    outputs = attnseq_convert(conv, rows)
    assert outputs[1] is None
    assert all(out is None or is_iso_date(out) for out in outputs)


def test_a_rows_hint_is_the_models_or_none():
    class Hints:
        def hint(self, name):
            if name not in ("en", "en_GB", "de"):
                raise AttnseqError(f"no hint {name}")
            return name

    assert [model_hint(Hints(), h) for h in ("en_US", "en_GB", "de", "", "xx")] == [
        "en", "en_GB", "de", None, None]


def test_a_model_that_is_not_there_is_one_line_and_exit_2(tmp_path, capsys):
    assert dates_wild.main(["--model", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == (f"python -m benchmarks.dates_wild: error: "
                                       f"no model directory at {tmp_path / 'nowhere'}\n")


def test_a_run_on_a_tiny_set_scores_every_system_and_says_what_is_missing(
        tmp_path, capsys, monkeypatch):
    config = Seq2seqConfig(model="attention", wordvec_size=4, hidden_size=4,
                           question_len=12, answer_len=10)
    Converter.create(config, date_vocab(), seed=0).save(tmp_path / "model")
    data = tmp_path / "tiny.tsv"
    data.write_text(f"{HEADER}\n2001-05-03\t2001-05-03\ten\t\tform\tyear-first\n"
                    "3 mai 2001 @ 10h\t2001-05-03\tfr\t\tchat\ttime,filler,unknown-char\n",
                    encoding="utf-8")
    monkeypatch.setattr(dates_wild, "peers",
                        lambda: ({"echo": lambda rows: [r.answer for r in rows]}, ["dateparser"]))
    out = tmp_path / "wild.json"
    assert dates_wild.main(["--model", str(tmp_path / "model"), "--data", str(data),
                            "--repeats", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr()
    assert printed.err == ("not installed, left out: dateparser "
                           "(pip install 'attnseq[bench]')\n")
    assert "| echo | 100.0% | 100.0% | 100.0% | 0 (0.0%) | 0 |" in printed.out
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc["systems"]) == ["attnseq", "echo"]
    attnseq = doc["systems"]["attnseq"]
    assert attnseq["outputs"][1] is None and attnseq["refused"] >= 1  # '@' and 'h': unknown
    assert attnseq["rows"] == 2 and attnseq["dates_per_second"] > 0
    assert doc["rows"][1]["causes"] == ["time", "filler", "unknown-char"]
