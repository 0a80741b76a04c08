"""The built-in models: shipped in float16, loaded upcast, found by name; ``ship`` itself."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.dates import DateNormaliser
from attnseq.dates.builtin import HERE, builtin_models, load, resolve, ship
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task
from attnseq.models.config import Seq2seqConfig
from attnseq.training.trainer import TrainConfig


def test_the_builtin_book_dates_model_loads_and_converts():
    [model] = [m for m in builtin_models() if m.name == "dates-book"]
    assert model.size < 2_000_000
    assert model.info["weights"] == "float16" and 0.999 <= model.info["accuracy"] <= 1.0
    with np.load(model.path / "weights.npz", allow_pickle=False) as data:
        assert {data[k].dtype for k in data.files} == {np.dtype(np.float16)}
    conv = load("dates-book")
    assert {p.dtype for p in conv.model.params} == {np.dtype(np.float32)}
    questions = ["TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013", "sat, mar 7, 2015"]
    assert DateNormaliser(conv).normalise(questions) == ["1984-09-25", "1997-09-08",
                                                         "2013-06-17", "2015-03-07"]


def test_the_builtin_model_answers_greedy_first_as_searching_every_question_does():
    """The shortcut of ``DateNormaliser`` (greedy's answer where it is valid and above 1/2)
    on a trained model: the same outcomes as beam search over every question."""
    from attnseq.tasks.wild import generate_wild_dates

    conv = load("dates")
    questions = [p.question for p in generate_wild_dates(120, seed=26)]
    questions += ["8/3/02", "3.2.21", "tue 3/2/21", "the 5th of nothing", "平成7年1月17日"]
    for locale in (None, "en_GB"):
        first = DateNormaliser(conv, locale=locale).outcomes(questions)
        every = DateNormaliser(conv, locale=locale, greedy_first=False).outcomes(questions)
        assert [o.output for o in first] == [o.output for o in every]
        assert [o.reason for o in first] == [o.reason for o in every]
        # float32 sums over other batches of rows: equal to some 1e-6
        assert [o.probability for o in first] == pytest.approx(
            [o.probability for o in every], rel=1e-4)


def test_a_directory_of_the_name_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve("dates") == HERE / "dates"
    (tmp_path / "dates").mkdir()
    assert resolve("dates") == Path("dates")
    assert resolve("dates").resolve() == (tmp_path / "dates").resolve()


def test_an_unknown_name_is_one_line(tmp_path):
    with pytest.raises(AttnseqError) as err:
        resolve("nope", where=tmp_path)
    assert str(err.value) == "no model directory 'nope' and no built-in model of that name " \
                             "(built in: none)"
    with pytest.raises(AttnseqError) as err:
        resolve(f"nope{os.sep}deeper")
    assert str(err.value) == f"no model directory at nope{os.sep}deeper"


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny attention model trained for a few steps on 40 generated dates, saved."""
    from attnseq.experiments.run import run

    out = tmp_path_factory.mktemp("tiny") / "model"
    task = Task.dates(40, 3)
    config = Seq2seqConfig(wordvec_size=4, hidden_size=8, question_len=task.lengths()[0],
                           answer_len=task.lengths()[1])
    run(task, config, TrainConfig(epochs=1, batch_size=16), out=out, progress=False)
    return out


def test_ship_writes_float16_and_measures_the_normaliser(tiny_model, tmp_path):
    shipped = ship(tiny_model, "tiny", command="a test", where=tmp_path, beam=2)
    assert shipped.name == "tiny" and shipped.path == tmp_path / "tiny"
    doc = json.loads((shipped.path / "config.json").read_text())
    assert doc["builtin"] == shipped.info and shipped.info["command"] == "a test"
    # the accuracy stored is the normaliser's on the float16 model, recomputed here
    test = Task.from_source(doc["data"]).test
    answers = DateNormaliser(Converter.load(shipped.path), beam=2).normalise(
        [q for q, *_ in test])
    assert shipped.info["accuracy"] == sum(a == p[1] for a, p in zip(answers, test)) / len(test)
    assert shipped.info["abstained"] == answers.count(None)
    # the weights are the original ones rounded to float16
    original, halved = Converter.load(tiny_model), resolve("tiny", where=tmp_path)
    upcast = Converter.load(halved)
    for a, b in zip(original.model.params, upcast.model.params, strict=True):
        assert np.array_equal(a.astype(np.float16).astype(np.float32), b)
    assert shipped.size == sum(f.stat().st_size for f in shipped.path.iterdir())


def test_ship_wants_a_plain_name(tiny_model, tmp_path):
    with pytest.raises(AttnseqError, match=r"^a built-in model's name must be a plain name, "
                                           r"got '\.\./x'$"):
        ship(tiny_model, "../x", command="", where=tmp_path)


def test_the_builtin_dates_model_reads_dates_as_people_write_them():
    """The built-in ``dates`` model, trained on the wild generator (docs/dates.md): float16,
    small, right on dates with times, zones, ordinals, words, other scripts and years outside
    the book's range, and reading an ambiguous numeric date as its hint says."""
    [model] = [m for m in builtin_models() if m.name == "dates"]
    assert model.size < 2_000_000 and model.info["weights"] == "float16"
    assert model.info["accuracy"] >= 0.99
    cases = {"Nov 25 2014 10:17 pm": "2014-11-25", "2015-05-02T10:20:19+0000": "2015-05-02",
             "3rd of May 2001": "2001-05-03", "July 12th, 2014": "2014-07-12",
             "20 Mar 2013 10h11": "2013-03-20", "2016年3月20日 21時40分": "2016-03-20",
             "12 jan 1876": "1876-01-12", "20030925": "2003-09-25", "2003-Sep-25": "2003-09-25",
             "25/09/2003": "2003-09-25", "November 19, 2014 at noon": "2014-11-19"}
    assert DateNormaliser(load("dates")).normalise(list(cases)) == list(cases.values())
    by_hint = {hint: DateNormaliser(load("dates"), locale=hint).normalise(["03/04/2005"])[0]
               for hint in (None, "en", "en_GB", "de")}
    assert by_hint == {None: "2005-03-04", "en": "2005-03-04", "en_GB": "2005-04-03",
                       "de": "2005-04-03"}


def test_normalise_each_reads_each_text_with_its_own_hint():
    conv = load("dates")
    texts = ["03/04/2005", "03/04/2005", "Nov 25 2014", "03/04/2005"]
    hints = [None, "en_GB", "de", "en"]
    assert DateNormaliser.normalise_each(conv, texts, hints) == [
        DateNormaliser(conv, locale=h).normalise([t])[0] for t, h in zip(texts, hints)]
    assert DateNormaliser.normalise_each(conv, texts, hints) == [
        "2005-03-04", "2005-04-03", "2014-11-25", "2005-03-04"]


def test_texts_with_their_own_hints_share_batches(monkeypatch):
    conv = load("dates")
    texts = ["03/04/2005", "19/04/01", "", "Nov 25 2014", "03/04/2005 ☃" * 9, "03/04/2005",
             "05.06.07"]
    hints = [None, "ja", "de", "de", "en_GB", "en_GB", "ja"]
    batches = []
    scored = conv.scored
    monkeypatch.setattr(conv, "scored", lambda xs, *a: batches.append(len(xs)) or
                        scored(xs, *a))
    outs = DateNormaliser(conv).outcomes(texts, hints)
    assert batches == [5]  # every text that can be encoded, in one call
    alone = [DateNormaliser(conv, locale=h).outcomes([t])[0] for t, h in zip(texts, hints)]
    assert [o.output for o in outs] == [o.output for o in alone]
    assert [o.output for o in outs[:6:5]] == ["2005-03-04", "2005-04-03"]
    assert outs[2].reason == "empty input" and "at most 65" in outs[4].reason
    with pytest.raises(AttnseqError, match=r"^need one hint per text; got 1 for 2 texts$"):
        DateNormaliser(conv).outcomes(["1/2/03", "1/2/03"], ["de"])
    with pytest.raises(AttnseqError, match=r"^this model has no locale hint 'sw' \(it knows: en, "):
        DateNormaliser(conv).outcomes(["1/2/03"], ["sw"])
