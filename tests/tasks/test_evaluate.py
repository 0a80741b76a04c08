"""Per-format accuracy: grouping, worst-first order, counts and the wrong examples kept."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks import DatePair, date_vocab, generate_dates
from attnseq.tasks.evaluate import (
    FormatRow,
    Mistake,
    accepted_scores,
    edit_distance,
    error_rate,
    format_rows,
    has_formats,
    nearest_answers,
    per_format,
)
from attnseq.tasks.wild import WildPair


def _fake():
    """Format 'b' is worst (1/4), then 'c' (2/3), then 'a' (3/3); 'b' has 3 mistakes."""
    rows = [  # (format, question, answer, prediction)
        ("a", "a1", "2001-01-01", "2001-01-01"),
        ("b", "b1", "2002-02-01", "2002-02-01"),
        ("c", "c1", "2003-03-01", "2003-03-09"),
        ("b", "b2", "2002-02-02", "2002-02-99"),
        ("a", "a2", "2001-01-02", "2001-01-02"),
        ("b", "b3", "2002-02-03", "1999-02-03"),
        ("c", "c2", "2003-03-02", "2003-03-02"),
        ("b", "b4", "2002-02-04", ""),
        ("a", "a3", "2001-01-03", "2001-01-03"),
        ("c", "c3", "2003-03-03", "2003-03-03"),
    ]
    pairs = [DatePair(q, a, f) for f, q, a, _ in rows]
    predictions = [p for *_, p in rows]
    correct = np.array([p == a for _, _, a, p in rows])
    return correct, pairs, predictions


def test_worst_first_with_counts():
    rows = per_format(*_fake())
    assert [r.fmt for r in rows] == ["b", "c", "a"]
    assert [(r.right, r.total, r.wrong) for r in rows] == [(1, 4, 3), (2, 3, 1), (3, 3, 0)]
    assert rows[0].accuracy == pytest.approx(0.25)
    assert rows[2].accuracy == 1.0


def test_mistakes_are_the_first_wrong_ones_in_order():
    rows = {r.fmt: r for r in per_format(*_fake())}
    assert rows["b"].mistakes == (Mistake("b2", "2002-02-02", "2002-02-99"),
                                  Mistake("b3", "2002-02-03", "1999-02-03"),
                                  Mistake("b4", "2002-02-04", ""))
    assert rows["c"].mistakes == (Mistake("c1", "2003-03-01", "2003-03-09"),)
    assert rows["a"].mistakes == ()
    limited = {r.fmt: r for r in per_format(*_fake(), max_examples=2)}
    assert [m.question for m in limited["b"].mistakes] == ["b2", "b3"]


def test_ties_are_broken_by_name():
    pairs = [DatePair("q", "a", f) for f in ("zz", "aa", "mm")]
    rows = per_format(np.array([True, True, False]), pairs, ["a", "a", "x"])
    assert [r.fmt for r in rows] == ["mm", "aa", "zz"]


def test_format_rows_shows_examples_under_failing_formats_only():
    lines = format_rows(per_format(*_fake()))
    assert lines[0].split() == ["format", "right", "accuracy"]
    assert lines[1].split() == ["b", "1/4", "25.00%"]
    assert lines[2].strip() == "'b2' -> '2002-02-99' (expected '2002-02-02')"
    assert lines[4].strip() == "'b4' -> '' (expected '2002-02-04')"
    assert lines[5].split() == ["c", "2/3", "66.67%"]
    assert lines[6].strip().startswith("'c1' -> ")
    assert lines[7].split() == ["a", "3/3", "100.00%"]
    assert len(lines) == 8
    assert format_rows([]) == []


def test_has_formats():
    assert has_formats(generate_dates(5, seed=0))
    assert not has_formats([("9/8/97", "1997-09-08")])
    assert not has_formats([])
    assert not has_formats([DatePair("q", "a", "f"), ("q", "a")])


def test_bad_input_is_one_attnseq_error():
    correct, pairs, predictions = _fake()
    with pytest.raises(AttnseqError, match="one prediction per pair"):
        per_format(correct[:-1], pairs, predictions)
    with pytest.raises(AttnseqError, match="one prediction per pair"):
        per_format(correct, pairs, predictions[:-1])
    with pytest.raises(AttnseqError, match="no date format"):
        per_format(correct, [tuple(p[:2]) for p in pairs], predictions)


def test_row_is_frozen():
    row = FormatRow("a", 2, 1, ())
    with pytest.raises(AttributeError):
        row.right = 2


def test_converter_predict_matches_convert_and_correct():
    pairs = generate_dates(30, seed=3)
    config = Seq2seqConfig(model="attention", wordvec_size=8, hidden_size=8,
                         question_len=max(len(p.question) for p in pairs), answer_len=10)
    conv = Converter.create(config, date_vocab(), seed=0)
    predictions, correct = conv.predict(pairs)
    assert predictions == conv.convert([p.question for p in pairs])
    assert np.array_equal(correct, conv.correct(pairs))
    assert len(predictions) == len(pairs) and correct.dtype == bool


# -- by locale, and the token error rate ------------------------------------------------------

def test_grouped_by_locale():
    from attnseq.tasks.locales import LocaleDatePair

    pairs = [LocaleDatePair("q1", "a", "ko_full", "ko"), LocaleDatePair("q2", "a", "de_full", "de"),
             LocaleDatePair("q3", "a", "ko_short", "ko")]
    rows = per_format(np.array([True, True, False]), pairs, ["a", "a", "x"], by="locale")
    assert [(r.fmt, r.right, r.total) for r in rows] == [("ko", 1, 2), ("de", 1, 1)]
    assert has_formats(pairs, "locale") and not has_formats(generate_dates(3, seed=0), "locale")
    assert format_rows(rows, "locale")[0].startswith("locale ")
    with pytest.raises(AttnseqError, match="^these pairs carry no locale to group by$"):
        per_format(np.array([True]), generate_dates(1, seed=0), ["a"], by="locale")


@pytest.mark.parametrize("hypothesis, reference, distance", [
    ("", "", 0),
    ("A B C", "A B C", 0),
    ("", "A B C", 3),            # three insertions
    ("A B C", "", 3),            # three deletions
    ("A X C", "A B C", 1),       # one substitution
    ("A C", "A B C", 1),         # one insertion
    ("B C A", "A B C", 2),       # a rotation: delete A, insert A
    ("K IH1 T AH0 N", "K IH1 T", 2),
    ("S IH1 T IH0 NG", "K IH1 T AH0 N", 3),  # three substitutions
])
def test_edit_distance_on_hand_made_cases(hypothesis, reference, distance):
    assert edit_distance(hypothesis.split(), reference.split()) == distance
    assert edit_distance(reference.split(), hypothesis.split()) == distance  # symmetric


def test_error_rate_is_corpus_level_distance_over_reference_length():
    # distances 0, 1, 3 over reference lengths 7, 3, 2
    predictions = ["AH0 T EH1 N SH AH0 N", "R IY1 D", "AA1 B Z"]
    references = ["AH0 T EH1 N SH AH0 N", "R EH1 D", "OW1 K"]
    assert error_rate(predictions, references) == pytest.approx(4 / 12)
    assert error_rate(["A B C D"], ["A"]) == pytest.approx(3.0)  # insertions can pass 1
    with pytest.raises(AttnseqError, match="^need one prediction per reference"):
        error_rate(["A"], ["A", "B"])
    with pytest.raises(AttnseqError, match="^the references hold no tokens$"):
        error_rate([""], [" "])


def test_nearest_answers_scores_each_prediction_against_its_closest_accepted_answer():
    pairs = [("read", "R EH1 D"), ("abts", "AE B T S"), ("cat", "K AE1 T"), ("at", "AE1 T")]
    accepted = {"read": ("R EH1 D", "R IY1 D"),
                "abts": ("AE B T S", "EY B IY T IY Z", "EY B IY T IY EH S"),
                "at": ("AE1 T", "AH0 T")}
    predictions = ["R IY1 D", "EY B IY T IY S", "K AE1 D", "IH1 T"]
    nearest = nearest_answers(predictions, pairs, accepted)
    # a listed variant is itself; otherwise the nearest (1 edit from the second variant, 1
    # from the third: the first listed wins the tie); a word with one answer keeps it; a tie
    # between all variants (1 edit each) goes to the first
    assert nearest == ["R IY1 D", "EY B IY T IY Z", "K AE1 T", "AE1 T"]
    assert [p == a for p, a in zip(predictions, nearest)] == [True, False, False, False]
    # 0 + 1 + 1 + 1 edits over 3 + 6 + 3 + 2 reference phonemes
    assert error_rate(predictions, nearest) == pytest.approx(3 / 14)
    assert error_rate(predictions, [p[1] for p in pairs]) > error_rate(predictions, nearest)
    assert accepted_scores(predictions, pairs, accepted) == (1, pytest.approx(3 / 14))
    with pytest.raises(AttnseqError, match="^need one prediction per pair; got 1 predictions "
                                           "and 4 pairs$"):
        nearest_answers(predictions[:1], pairs, accepted)


def test_a_pair_counts_in_the_row_of_each_of_its_additions_and_hints():
    def pair(q, added, hint):
        return WildPair(q, "2001-01-01", "en_iso", "en", added, hint, q, "y-MM-dd", None)

    pairs = [pair("a", ("time", "case"), "en"), pair("b", ("time",), None), pair("c", (), None)]
    correct = np.array([True, False, True])
    predictions = ["2001-01-01", "2001-01-09", "2001-01-01"]
    assert has_formats(pairs, "added") and has_formats(pairs, "hint")
    assert not has_formats([DatePair("a", "b", "f")], "added")
    rows = {r.fmt: (r.right, r.total) for r in per_format(correct, pairs, predictions,
                                                          by="added")}
    assert rows == {"time": (1, 2), "case": (1, 1), "none": (1, 1)}
    rows = {r.fmt: (r.right, r.total) for r in per_format(correct, pairs, predictions,
                                                          by="hint")}
    assert rows == {"en": (1, 1), "none": (1, 2)}
