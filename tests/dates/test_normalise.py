"""The date normaliser on a hand-built model whose best raw answer is no valid date: the beam
re-ranked by validity and by the weekday the question names, probabilities, abstentions."""

import datetime as dt

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.dates import DateNormaliser
from attnseq.dates.normalise import reading_order_of

# 2021-02-31 does not exist; 2021-02-03 is a Wednesday, 2021-03-02 a Tuesday.
READINGS = {"2021-02-31": 0.5, "2021-02-03": 0.3, "2021-03-02": 0.2}


@pytest.fixture
def model(scripted):
    return scripted({"on 3/2/21": READINGS, "tue 3/2/21": READINGS, "wed, 3/2/21": READINGS,
                     "sun 3/2/21": READINGS,
                     "on 3.2.21": {"2021-02-31": 0.6, "2021-13-02": 0.4},
                     "on 1/1/999": {"0999-01-01": 0.9, "1999-01-01": 0.1}})


def test_the_hand_built_model_prefers_an_invalid_date(model):
    search = model.conv.beam(beam=5)
    assert model.conv.convert(["on 3/2/21"], search=search) == ["2021-02-31"]
    assert model.conv.convert(["on 3/2/21"]) == ["2021-02-31"]  # greedy too
    assert dt.date(2021, 2, 3).weekday() == 2 and dt.date(2021, 3, 2).weekday() == 1


def test_the_best_valid_date_is_chosen_with_its_probability(model):
    [out] = DateNormaliser(model.conv, beam=5).outcomes(["on 3/2/21"])
    assert out.output == "2021-02-03" and out.reason is None
    assert out.probability == pytest.approx(model.probability("on 3/2/21", "2021-02-03"),
                                            rel=1e-9)
    assert out.probability == pytest.approx(0.3, abs=1e-3)


@pytest.mark.parametrize("question, answer", [("tue 3/2/21", "2021-03-02"),
                                              ("wed, 3/2/21", "2021-02-03")])
def test_a_named_weekday_reranks_the_beam(model, question, answer):
    [out] = DateNormaliser(model.conv, beam=5).outcomes([question])
    assert out.output == answer
    assert out.probability == pytest.approx(model.probability(question, answer), rel=1e-9)


def test_no_valid_date_in_the_beam_abstains(model):
    # 3.2.21: both readings invalid; sun 3/2/21: valid dates, but neither is a Sunday
    outs = DateNormaliser(model.conv, beam=3).outcomes(["on 3.2.21", "sun 3/2/21", "on 3/2/21"])
    assert [o.output for o in outs] == [None, None, "2021-02-03"]
    assert outs[0].reason == outs[1].reason == \
        "abstained: no valid date among the 3 best answers"


def test_years_outside_1000_2999_are_not_dates(model):
    assert DateNormaliser(model.conv).normalise(["on 1/1/999"]) == ["1999-01-01"]


def test_min_confidence_abstains_below_it(model):
    norm = DateNormaliser(model.conv, beam=5, min_confidence=0.25)
    outs = norm.outcomes(["on 3/2/21", "tue 3/2/21"])
    assert outs[0].output == "2021-02-03"
    p = model.probability("tue 3/2/21", "2021-03-02")
    assert outs[1] == (None, pytest.approx(p), f"abstained: 2021-03-02 has probability "
                                               f"{p:.4f}, below 0.25")


def test_a_narrow_beam_sees_fewer_readings(model):
    """With one beam only the greedy answer is seen: invalid, so the normaliser abstains."""
    assert DateNormaliser(model.conv, beam=1).normalise(["on 3/2/21"]) == [None]


def test_refused_inputs_are_outcomes_not_errors(model):
    outs = DateNormaliser(model.conv).outcomes(["on 3/2/21", "", "on 3/2/21 ☃"])
    assert outs[0].output == "2021-02-03"
    assert outs[1] == (None, None, "empty input")
    assert outs[2].output is None and "unknown character '☃'" in outs[2].reason


@pytest.mark.parametrize("value", [-0.1, 1.5, True, "0.5"])
def test_min_confidence_must_be_a_probability(model, value):
    with pytest.raises(AttnseqError) as err:
        DateNormaliser(model.conv, min_confidence=value)
    assert str(err.value) == f"min_confidence must be a probability in [0, 1], got {value!r}"


def test_greedy_first_answers_as_searching_every_question_does(scripted, monkeypatch):
    """Greedy's answer stands where it is valid and more likely than 1/2; the others are
    searched, and every outcome is the one of searching them all."""
    model = scripted({"on 3/2/21": READINGS, "tue 3/2/21": READINGS,  # greedy invalid: searched
                      "on 9/8/97": {"1997-09-08": 0.8, "1997-08-09": 0.2},  # greedy stands
                      "sat 9/8/97": {"1997-09-08": 0.7, "1997-08-09": 0.3},  # a Monday
                      "on 8/9/97": {"1997-08-09": 0.45, "1997-09-08": 0.35,  # likely, not > 1/2
                                 "1997-13-08": 0.2}})
    questions = ["on 3/2/21", "on 9/8/97", "tue 3/2/21", "sat 9/8/97", "on 8/9/97", "on 9/8/97 ☃"]
    searched: list[str] = []
    search, question_of = model.conv.searched, {ids: q for q, ids in model.keys.items()}

    def recorded(xs, *args):  # the questions that beam search is given
        searched.extend(question_of[tuple(int(i) for i in row)] for row in xs)
        return search(xs, *args)

    monkeypatch.setattr(model.conv, "searched", recorded)
    expected = {0.0: ["2021-02-03", "1997-09-08", "2021-03-02", "1997-08-09", "1997-08-09",
                      None],
                0.75: [None, "1997-09-08", None, None, None, None]}
    for min_confidence, outputs in expected.items():
        first = DateNormaliser(model.conv, min_confidence=min_confidence).outcomes(questions)
        assert searched == ["on 3/2/21", "tue 3/2/21", "sat 9/8/97", "on 8/9/97"]
        searched.clear()
        every = DateNormaliser(model.conv, min_confidence=min_confidence,
                               greedy_first=False).outcomes(questions)
        assert searched == ["on 3/2/21", "on 9/8/97", "tue 3/2/21", "sat 9/8/97", "on 8/9/97"]
        searched.clear()
        assert [o.output for o in first] == [o.output for o in every] == outputs
        assert [o.reason for o in first] == [o.reason for o in every]
        assert [o.probability for o in first[:-1]] == pytest.approx(
            [o.probability for o in every[:-1]], rel=1e-9)
    assert first[1].probability == pytest.approx(model.probability("on 9/8/97", "1997-09-08"),
                                                 rel=1e-9)


def test_penalties_and_other_lengths_search_every_question(model):
    """With alpha or beta the beam ranks by another score than P(Y | X), which greedy's
    answer need not top; with min_length or max_length it searches other outputs than
    greedy decoding writes: no shortcut then."""
    assert DateNormaliser(model.conv, alpha=0.6).greedy_first is False
    assert DateNormaliser(model.conv, beta=0.2).greedy_first is False
    assert DateNormaliser(model.conv).greedy_first is True
    # an end token forbidden early, or fewer steps than greedy's: other outputs than greedy's
    assert DateNormaliser(model.conv, min_length=3).greedy_first is False
    assert DateNormaliser(model.conv, min_length=1).greedy_first is True
    assert DateNormaliser(model.conv, max_length=model.conv.output_len - 1).greedy_first \
        is False
    assert DateNormaliser(model.conv, greedy_first=False).greedy_first is False


@pytest.mark.parametrize("book", [False, True])
def test_greedy_first_in_the_books_layout_and_without_an_end_token(scripted, book):
    """The book's layout decodes a fixed ten steps and no end token; an answer without its
    end token (here one that runs on, "1997-09-08x") is scored over every step, by greedy
    decoding as by beam search."""
    script = {"on 9/8/97": {"1997-09-08": 0.8, "1997-08-09": 0.2},
              "on 8/9/97": {"1997-08-09": 0.45, "1997-09-08": 0.35, "1997-13-08": 0.2}}
    model = scripted(script, book=book)
    if not book:  # an answer that fills every step and has no end token
        long = (*model.conv.vocab.encode("1997-09-08x"),)[:model.conv.output_len]
        long += (model.conv.vocab.encode("x")[0],) * (model.conv.output_len - len(long))
        model.model.tables[0] = {long: 0.9, model.answer_ids("1997-08-09"): 0.1}
    questions = list(script)
    first = DateNormaliser(model.conv).outcomes(questions)
    every = DateNormaliser(model.conv, greedy_first=False).outcomes(questions)
    assert [o.output for o in first] == [o.output for o in every]
    assert [o.probability for o in first] == pytest.approx([o.probability for o in every],
                                                           rel=1e-9)
    assert [o.output for o in first] == (["1997-09-08", "1997-08-09"] if book
                                         else ["1997-08-09", "1997-08-09"])


def test_three_numbers_alone_are_read_in_the_hints_order(scripted):
    """Without a hint month first, as documented (a hint's order is its locale's): the
    reading of the order wins over the model's preference where it is a date; where it is
    none (month 25), the model's reading stands."""
    pytest.importorskip("babel", reason="the locales extra (Babel) gives a hint's order")
    prefers_day_first = {"2021-02-03": 0.7, "2021-03-02": 0.3}
    script = {"3/2/21": prefers_day_first, "on 3/2/21": prefers_day_first,
              "25/9/21": {"2021-09-25": 0.9, "2021-02-25": 0.1}}
    model = scripted(script, hints=("en", "en_GB"))
    norm = DateNormaliser(model.conv)
    assert norm.normalise(["3/2/21", "on 3/2/21", "25/9/21"]) == [
        "2021-03-02", "2021-02-03", "2021-09-25"]
    # a model taught no hints read its numbers as its data did: its reading stands
    assert DateNormaliser(scripted(script).conv).normalise(["3/2/21"]) == ["2021-02-03"]
    [out] = norm.outcomes(["3/2/21"])
    assert out.probability == pytest.approx(model.probability("3/2/21", "2021-03-02"),
                                            rel=1e-9)
    assert [reading_order_of(h) for h in (None, "en", "en_GB", "de", "ja")] == [
        "mdy", "mdy", "dmy", "dmy", "ymd"]
