"""Task (generated dates or a file, and its saved source) and run (train, evaluate, save)."""

import json
from pathlib import Path

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task, run
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks.dates import generate_dates
from attnseq.tasks.files import save_pairs_book, save_pairs_tsv
from attnseq.training.trainer import TrainConfig

TINY = Seq2seqConfig(model="attention", wordvec_size=8, hidden_size=16)


def tiny_train(epochs=1, seed=0):
    return TrainConfig(epochs=epochs, batch_size=64, seed=seed)


@pytest.fixture
def book_file(tmp_path):
    path = tmp_path / "dates.txt"
    save_pairs_book(generate_dates(60, seed=3), path)
    return path


# -- Task ------------------------------------------------------------------------------------

def test_dates_split_and_source():
    task = Task.dates(200, seed=5)
    assert (len(task.train), len(task.test)) == (180, 20)
    assert task.source == {"kind": "dates", "samples": 200, "seed": 5}
    assert all(pair.question and pair.answer for pair in task.train + task.test)


def test_dates_round_trip_through_the_saved_source():
    task = Task.dates(100, seed=11)
    again = Task.from_source(json.loads(json.dumps(task.source)))
    assert again.train == task.train and again.test == task.test
    assert again.vocab == task.vocab
    assert Task.dates(100, seed=12).test != task.test  # the seed matters


@pytest.mark.parametrize("samples", [1, 0, -5, 2.5, True])
def test_dates_needs_two_samples(samples):
    with pytest.raises(AttnseqError) as info:
        Task.dates(samples)
    assert str(info.value) == f"samples must be at least 2, got {samples!r}"


@pytest.mark.parametrize("seed", [-1, 1.5, "7", None])
def test_data_seed_must_be_a_non_negative_integer(seed, book_file):
    with pytest.raises(AttnseqError) as info:
        Task.dates(10, seed)
    assert str(info.value) == f"data seed must be a non-negative integer, got {seed!r}"
    with pytest.raises(AttnseqError) as info:
        Task.from_file(book_file, seed)
    assert str(info.value) == f"data seed must be a non-negative integer, got {seed!r}"


def test_from_file_book_format(book_file):
    task = Task.from_file(book_file, seed=4)
    assert (len(task.train), len(task.test)) == (54, 6)
    assert task.source == {"kind": "file", "path": str(book_file.resolve()), "seed": 4}
    expected = {(p.question, p.answer) for p in generate_dates(60, seed=3)}
    assert set(task.train + task.test) == expected
    for q, a in task.train + task.test:
        assert all(ch in task.vocab for ch in q + a)


def test_from_file_round_trip_through_the_saved_source(tmp_path, monkeypatch):
    path = tmp_path / "pairs.tsv"
    save_pairs_tsv([(f"q{i}", f"a{i % 7}") for i in range(30)], path)
    monkeypatch.chdir(tmp_path)
    task = Task.from_file("pairs.tsv", seed=9)  # a relative path is saved resolved
    assert Path(task.source["path"]).is_absolute()
    monkeypatch.chdir(tmp_path.parent)
    again = Task.from_source(json.loads(json.dumps(task.source)))
    assert again.train == task.train and again.test == task.test
    assert again.vocab == task.vocab


@pytest.mark.parametrize("n", [1, 3, 5])
def test_from_file_needs_pairs_for_both_parts(tmp_path, n):
    path = tmp_path / "few.tsv"
    path.write_text("".join(f"a{i}\tb\n" for i in range(n)))
    with pytest.raises(AttnseqError) as info:
        Task.from_file(path)
    assert str(info.value) == (f"{path}: too few pairs to split 90/10 into train and test: "
                               f"got {n}, need at least 6")


def test_from_file_reports_a_malformed_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("5/6/07_2007-05-06\nno separator here\n")
    with pytest.raises(AttnseqError) as info:
        Task.from_file(path)
    assert str(info.value) == f"{path}:2: expected 'question_answer' (no '_' found)"


def test_from_source_of_a_vanished_file(book_file):
    source = Task.from_file(book_file).source
    book_file.unlink()
    with pytest.raises(AttnseqError) as info:
        Task.from_source(source)
    assert str(info.value) == (f"the model was trained on {book_file.resolve()}, which is "
                               "gone; pass --data FILE")


@pytest.mark.parametrize("source", [{}, {"kind": "web"}, {"kind": ["dates"]}, [], None])
def test_from_source_without_a_known_kind(source):
    with pytest.raises(AttnseqError) as info:
        Task.from_source(source)
    assert str(info.value) == ("the model directory does not say what data it was trained "
                               "on; pass --data FILE")


@pytest.mark.parametrize("source", [
    {"kind": "dates", "seed": 1},
    {"kind": "file", "seed": 1},
    {"kind": "file", "path": 3, "seed": 1},
])
def test_from_source_that_is_corrupt(source):
    with pytest.raises(AttnseqError) as info:
        Task.from_source(source)
    assert str(info.value) == f"the model directory's data source is corrupt: {source!r}"


def test_lengths_are_the_longest_question_and_answer():
    task = Task.dates(50, seed=1)
    pairs = task.train + task.test
    assert task.lengths() == (max(len(p[0]) for p in pairs), max(len(p[1]) for p in pairs))


# -- run -------------------------------------------------------------------------------------

def test_run_records_every_epoch(book_file):
    task = Task.from_file(book_file)
    lines = []
    conv, history = run(task, TINY, tiny_train(epochs=3), progress=False, samples=2,
                        report=lines.append)
    assert [r["epoch"] for r in history] == [1, 2, 3]
    for r in history:
        assert 0.0 <= r["accuracy"] <= 1.0
        assert r["loss"] > 0 and r["eval_seconds"] >= 0 and r["wall_seconds"] >= 0
    assert history[-1]["accuracy"] == conv.accuracy(task.test)
    assert [line.split(":")[0] for line in lines if not line.startswith("  ")] == [
        "epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert len(lines) == 3 * (1 + 2)  # each epoch: its line and two sample conversions
    assert lines[0].endswith("s") and f"of {len(task.test)}," in lines[0]
    q_len, a_len = task.lengths()
    assert (conv.config.question_len, conv.config.answer_len) == (q_len, a_len)
    assert (conv.config.hidden_size, conv.config.wordvec_size) == (16, 8)


def test_run_stops_at_the_first_epoch_that_reaches_stop_at(book_file):
    task = Task.from_file(book_file)
    _, full = run(task, TINY, tiny_train(epochs=3), progress=False, report=lambda _: None)
    # The same seeded run, told to stop as soon as it reaches its own second-epoch accuracy.
    target = full[1]["accuracy"]
    first = next(r["epoch"] for r in full if r["accuracy"] >= target)
    _, stopped = run(task, TINY, tiny_train(epochs=3), progress=False, stop_at=target,
                     report=lambda _: None)
    assert [r["epoch"] for r in stopped] == list(range(1, first + 1))
    assert stopped[-1]["accuracy"] == full[first - 1]["accuracy"]


def test_run_saves_after_every_epoch(tmp_path):
    task = Task.dates(100, seed=2)
    out = tmp_path / "model"
    seen_on_disk = []

    def report(line):
        if line.startswith("epoch "):  # reported before this epoch's save
            if (out / "config.json").exists():
                doc = json.loads((out / "config.json").read_text())
                seen_on_disk.append(len(doc["history"]))
            else:
                seen_on_disk.append(0)

    conv, history = run(task, TINY, tiny_train(epochs=3), out=out, progress=False,
                        report=report)
    assert seen_on_disk == [0, 1, 2]
    doc = json.loads((out / "config.json").read_text())
    assert doc["history"] == json.loads(json.dumps(history.records))
    assert doc["data"] == task.source
    assert doc["train"]["epochs"] == 3
    back = Converter.load(out)
    assert back.config == conv.config
    assert back.convert([p[0] for p in task.test]) == conv.convert([p[0] for p in task.test])


def test_run_refuses_a_foreign_directory_before_any_work(tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "cat.jpg").write_bytes(b"meow")
    lines = []
    with pytest.raises(AttnseqError) as info:
        run(Task.dates(20, seed=1), TINY, tiny_train(), out=out, progress=False,
            report=lines.append)
    assert str(info.value) == f"{out} is not empty and holds no attnseq model; " \
                              "refusing to overwrite"
    assert lines == []
    assert [p.name for p in out.iterdir()] == ["cat.jpg"]


def test_run_is_reproducible():
    task = Task.dates(60, seed=8)
    _, h1 = run(task, TINY, tiny_train(epochs=1, seed=3), progress=False, report=lambda s: None)
    _, h2 = run(task, TINY, tiny_train(epochs=1, seed=3), progress=False, report=lambda s: None)
    assert h1[0]["loss"] == h2[0]["loss"]


# -- the built-in tasks and token modes -------------------------------------------------------

def test_dates_in_locales_round_trip_through_the_saved_source():
    pytest.importorskip("babel", reason="the locales extra (Babel) is not installed")
    task = Task.dates(120, seed=3, locales=["en", "ko"])
    assert task.source == {"kind": "dates", "samples": 120, "seed": 3, "locales": ["en", "ko"]}
    assert {p.locale for p in task.train + task.test} == {"en", "ko"}
    again = Task.from_source(json.loads(json.dumps(task.source)))
    assert again.train == task.train and again.test == task.test and again.vocab == task.vocab
    assert "년" in task.vocab


def test_english_alone_is_the_books_task_and_source():
    assert Task.dates(100, seed=11, locales=["en"]) == Task.dates(100, seed=11)


@pytest.mark.parametrize("kind", ["copy", "reverse"])
def test_sequences_round_trip_through_the_saved_source(kind):
    task = Task.sequences(kind, 200, seed=6)
    assert task.source == {"kind": kind, "samples": 200, "seed": 6}
    assert (len(task.train), len(task.test)) == (180, 20)
    assert not {q for q, _ in task.train} & {q for q, _ in task.test}
    again = Task.from_source(json.loads(json.dumps(task.source)))
    assert again.train == task.train and again.test == task.test
    assert Task.sequences(kind, 200, seed=7).test != task.test


def test_words_file_round_trips_through_the_saved_source(tmp_path):
    pairs = [(f"w{i} w{i + 1}", f"X{i} Y") for i in range(30)]
    save_pairs_tsv(pairs, tmp_path / "words.tsv")
    task = Task.from_file(tmp_path / "words.tsv", seed=2, tokens="words")
    assert task.source["tokens"] == "words" and task.vocab.level == "word"
    assert "w3" in task.vocab and "X29" in task.vocab and "w" not in task.vocab
    assert task.lengths() == (2, 2)
    again = Task.from_source(json.loads(json.dumps(task.source)))
    assert again.vocab == task.vocab and again.test == task.test
    chars = Task.from_file(tmp_path / "words.tsv", seed=2)
    assert "tokens" not in chars.source and chars.vocab.level == "char"  # as before
    with pytest.raises(AttnseqError) as info:
        Task.from_file(tmp_path / "words.tsv", tokens="bytes")
    assert str(info.value) == "unknown --tokens 'bytes'; choose from chars, words"


FAKE_CMUDICT = {"cat": [["K", "AE1", "T"]], "act": [["AE1", "K", "T"]],
                "tack": [["T", "AE1", "K"]], "at": [["AE1", "T"], ["AH0", "T"]],
                "o'cat": [["OW0", "K", "AE1", "T"]], "kat": [["K", "AE1", "T"]]}


def test_g2p_task_reads_letters_and_answers_phonemes(monkeypatch):
    from attnseq.experiments import run as experiment

    monkeypatch.setattr(experiment, "load_cmudict", lambda: FAKE_CMUDICT)
    task = Task.g2p()
    assert task.source == {"kind": "g2p"}
    assert sorted(task.train) == [("act", "AE1 K T"), ("at", "AE1 T"), ("cat", "K AE1 T"),
                                  ("tack", "T AE1 K")]
    assert task.test == [("kat", "K AE1 T")]  # its CRC-32 is 0 mod 10
    assert (task.vocab.question_level, task.vocab.level) == ("char", "word")
    assert task.lengths() == (4, 3)
    assert Task.from_source({"kind": "g2p"}) == task
    monkeypatch.setattr(experiment, "load_cmudict", lambda: {"cat": [["K", "AE1", "T"]]})
    with pytest.raises(AttnseqError) as info:
        Task.g2p()
    assert str(info.value) == "the dictionary gives 1 training and 0 test words; need both"


def test_g2p_task_without_stress_accepts_every_variant_of_a_test_word(monkeypatch):
    from attnseq.experiments import run as experiment

    entries = {**FAKE_CMUDICT, "kat": [["K", "AE1", "T"], ["K", "AA1", "T"], ["K", "AE2", "T"]]}
    monkeypatch.setattr(experiment, "load_cmudict", lambda: entries)
    task = Task.g2p(stress=False)
    assert task.source == {"kind": "g2p", "stress": False}
    assert task.test == [("kat", "K AE T")]
    assert ("at", "AE T") in task.train
    assert task.accepted == {"kat": ("K AE T", "K AA T")}  # 'K AE2 T' is 'K AE T' again
    assert Task.from_source(task.source) == task
    assert Task.g2p().accepted == {"kat": ("K AE1 T", "K AA1 T", "K AE2 T")}
    with pytest.raises(AttnseqError, match="data source is corrupt"):
        Task.from_source({"kind": "g2p", "stress": "no"})


def test_run_on_words_records_the_token_error_rate(tmp_path):
    pairs = [(f"w{i % 7} w{i % 5}", f"X{i % 5} X{i % 7}") for i in range(40)]
    save_pairs_tsv(pairs, tmp_path / "words.tsv")
    task = Task.from_file(tmp_path / "words.tsv", tokens="words")
    _, history = run(task, TINY, tiny_train(), progress=False, report=lambda line: None)
    assert 0.0 <= history[0]["error_rate"]
    _, dates = run(Task.dates(40, seed=1), TINY, tiny_train(), progress=False,
                   report=lambda line: None)
    assert "error_rate" not in dates[0]  # characters: exact match only
