"""The command line's --task, --locales and --tokens: a model of a token file, and one-line
errors for what does not go together. In-process (``cli.main``), to stay fast."""

import itertools

import pytest

from attnseq import cli
from attnseq.experiments.converter import Converter
from attnseq.tasks.files import save_pairs_tsv

NUMBERS = "zero one two three four five six seven eight nine".split()
TINY = ["--hidden-size", "16", "--wordvec-size", "8", "--epochs", "1", "--no-progress"]


def main(capsys, *argv):
    """(exit code, stdout, stderr) of ``attnseq ARGV``, argparse's exits included."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def fails(capsys, message, *argv):
    code, _, err = main(capsys, *argv)
    assert (code, err) == (2, message + "\n")


@pytest.fixture(scope="module")
def token_file(tmp_path_factory):
    """'three seven' -> '7 3': number words in, digits out, reversed; all 100 pairs."""
    path = tmp_path_factory.mktemp("tokens") / "numbers.tsv"
    save_pairs_tsv([(f"{NUMBERS[a]} {NUMBERS[b]}", f"{b} {a}")
                    for a, b in itertools.product(range(10), range(10))], path)
    return path


def test_a_model_of_a_token_file_converts_it(capsys, token_file, tmp_path):
    out = tmp_path / "m"
    code, _, _ = main(capsys, "train", "--data", token_file, "--tokens", "words",
                      "--hidden-size", "32", "--wordvec-size", "16", "--epochs", "20",
                      "--batch-size", "8", "--lr", "0.01", "--final-lr", "0.01",
                      "--no-progress", "--out", out)
    assert code == 0
    conv = Converter.load(out)
    assert conv.vocab.level == "word" and conv.meta["data"]["tokens"] == "words"
    assert "seven" in conv.vocab and "s" not in conv.vocab
    code, text, _ = main(capsys, "convert", out, "three seven", "nine zero")
    assert (code, text) == (0, "7 3\n0 9\n")  # tokens joined by spaces
    code, text, _ = main(capsys, "eval", out, "--data", token_file)
    lines = text.splitlines()
    assert lines[0] == f"exact match on {token_file}: 100/100 = 100.00%"
    assert lines[1] == "token error rate (edit distance / reference length): 0.00%"
    fails(capsys, "attnseq convert: error: argument 1: unknown word 'ten' in input 'ten one'",
          "convert", out, "ten one")


def test_copy_task_trains_and_eval_rebuilds_it(capsys, tmp_path):
    code, text, _ = main(capsys, "train", "--task", "reverse", "--samples", "60", *TINY,
                         "--out", tmp_path / "m")
    assert code == 0 and "(task reverse)" in text
    code, text, _ = main(capsys, "eval", tmp_path / "m")
    assert code == 0 and text.startswith("exact match on its test split: ") and "/6 = " in text


def test_eval_breaks_dates_down_per_locale(capsys, tmp_path):
    pytest.importorskip("babel", reason="the locales extra (Babel) is not installed")
    code, _, _ = main(capsys, "train", "--task", "dates", "--locales", "ko,de", "--samples",
                      "80", *TINY, "--out", tmp_path / "m")
    assert code == 0
    code, text, _ = main(capsys, "eval", tmp_path / "m")
    assert "per locale, worst first:" in text and "per date format, worst first:" in text
    locale_lines = text.split("per locale, worst first:")[1].split("per date format")[0]
    assert " ko " in locale_lines and " de " in locale_lines
    fails(capsys, "attnseq convert: error: argument 1: unknown character 'ש' in input 'ש'",
          "convert", tmp_path / "m", "ש")


@pytest.mark.parametrize("argv, message", [
    (["--task", "sort"], "attnseq train: error: argument --task: invalid choice: 'sort' "
                         "(choose from 'dates', 'dates-wild', 'copy', 'reverse', 'g2p') "
                         "(see attnseq train --help)"),
    (["--tokens", "bytes"], "attnseq train: error: argument --tokens: invalid choice: 'bytes' "
                            "(choose from 'chars', 'words') (see attnseq train --help)"),
    (["--locales", "en,xx"], "attnseq train: error: unknown locale 'xx': CLDR has no such "
                             "locale (e.g. en, ko, ja, de, fr, es)"),
    (["--task", "copy", "--locales", "ko"],
     "attnseq train: error: --locales needs --task dates or dates-wild"),
    (["--task", "copy", "--no-stress"], "attnseq train: error: --no-stress needs --task g2p"),
    (["--decay-epochs", "0"], "attnseq train: error: argument --decay-epochs: expected a "
                              "positive number, got '0' (see attnseq train --help)"),
    (["--locales", ""], "attnseq train: error: no locales given, e.g. --locales en,ko"),
    (["--tokens", "words"], "attnseq train: error: --tokens needs --data FILE (built-in tasks "
                            "choose their tokens)"),
    (["--data", "x.tsv", "--task", "copy"], "attnseq train: error: give --data FILE or --task, "
                                            "not both"),
])
def test_options_that_are_refused(capsys, tmp_path, argv, message):
    if "--locales" in argv and "xx" in argv[-1]:
        pytest.importorskip("babel", reason="the locales extra (Babel) is not installed")
    fails(capsys, message, "train", *argv, "--out", tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_a_file_line_without_an_answer(capsys, tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("one two\t2 1\nthree four\n", encoding="utf-8")
    fails(capsys, f"attnseq train: error: {path}:2: expected 'question<TAB>answer' "
                  "(no TAB found)", "train", "--data", path, "--tokens", "words",
          "--out", tmp_path / "m")
    path.write_text("one two\t2 1\nthree four\t\n", encoding="utf-8")
    fails(capsys, f"attnseq train: error: {path}:2: empty answer", "train", "--data", path,
          "--tokens", "words", "--out", tmp_path / "m")
    assert not (tmp_path / "m").exists()


FAKE_CMUDICT = {w: [p.split()] for w, p in [
    ("cat", "K AE1 T"), ("act", "AE1 K T"), ("tack", "T AE1 K"), ("at", "AE1 T"),
    ("cab", "K AE1 B"), ("bat", "B AE1 T"), ("tab", "T AE1 B"), ("back", "B AE1 K"),
    ("kat", "K AE1 T")]}  # 'kat' is the one test word (its CRC-32 is 0 mod 10)


@pytest.fixture
def fake_cmudict(monkeypatch):
    from attnseq.experiments import run as experiment

    monkeypatch.setattr(experiment, "load_cmudict", lambda: FAKE_CMUDICT)


def test_g2p_attention_shows_letters_against_phonemes(capsys, tmp_path, fake_cmudict):
    code, _, _ = main(capsys, "train", "--task", "g2p", *TINY, "--out", tmp_path / "m")
    assert code == 0
    conv = Converter.load(tmp_path / "m")
    [(inputs, outputs, weights)] = conv.attention(["tack"])
    assert inputs == ["t", "a", "c", "k"]  # letters on x
    assert weights.shape == (len(outputs), 4)  # an output token (a phoneme, once trained) a row
    code, text, _ = main(capsys, "attention", tmp_path / "m", "tack", "--out",
                         tmp_path / "a.png")
    assert code == 0 and text.startswith("tack -> ") and (tmp_path / "a.png").stat().st_size
    code, text, _ = main(capsys, "eval", tmp_path / "m")
    assert code == 0 and "\nphoneme error rate (edit distance / reference length): " in text


def test_compare_on_g2p_reports_the_error_rate(capsys, tmp_path, fake_cmudict):
    code, text, _ = main(capsys, "compare", "--task", "g2p", "--models", "baseline,attention",
                         *TINY, "--out", tmp_path / "c")
    assert code == 0
    table = (tmp_path / "c" / "table.md").read_text(encoding="utf-8")
    assert "token error rate %" in table.splitlines()[0]
    assert table.count("| baseline") == table.count("| attention") == 1


def test_g2p_without_stress_scores_any_listed_pronunciation(capsys, tmp_path, monkeypatch):
    from attnseq.experiments import run as experiment

    entries = {**FAKE_CMUDICT, "kat": [["K", "AE1", "T"], ["K", "AA1", "T"]]}
    monkeypatch.setattr(experiment, "load_cmudict", lambda: entries)
    code, text, _ = main(capsys, "train", "--task", "g2p", "--no-stress", *TINY,
                         "--decay-epochs", "3", "--final-lr", "1e-4", "--out", tmp_path / "m")
    assert code == 0 and "(task g2p without stress)" in text
    assert "(any accepted answer: " in text
    conv = Converter.load(tmp_path / "m")
    assert conv.meta["data"] == {"kind": "g2p", "stress": False}
    assert conv.meta["train"]["decay_epochs"] == 3.0
    assert not any(ch.isdigit() for token in conv.vocab.tokens for ch in token)
    code, text, _ = main(capsys, "eval", tmp_path / "m")
    assert code == 0
    assert "\nexact match of any accepted answer (1 questions have several): " in text
    assert "\nphoneme error rate to the nearest accepted answer: " in text


def test_wild_dates_train_eval_by_addition_and_take_a_locale(capsys, tmp_path):
    pytest.importorskip("babel", reason="the locales extra (Babel) is not installed")
    out = tmp_path / "m"
    code, text, _ = main(capsys, "train", "--task", "dates-wild", "--locales", "en,de",
                         "--samples", "60", *TINY, "--out", out)
    assert code == 0 and "(dates as people write them in en,de)" in text
    conv = Converter.load(out)
    assert conv.config.question_len == 65 and conv.vocab.hints == ("en", "de")
    code, text, _ = main(capsys, "eval", out)
    for heading in ("locale", "date format", "addition", "locale hint"):
        assert f"per {heading}, worst first:" in text
    code, text, _ = main(capsys, "eval", out, "--locale", "de")
    assert code == 0 and ", locale hint de" in text and "per locale hint" not in text
    code, text, _ = main(capsys, "convert", out, "☃ 03/04/2005", "--locale", "de")
    assert code == 0 and len(text.splitlines()) == 1
    fails(capsys, "attnseq convert: error: unknown locale 'xx': CLDR has no such locale "
          "(e.g. en, ko, ja, de, fr, es)", "convert", out, "03/04/2005", "--locale", "xx")
    fails(capsys, "attnseq eval: error: this model has no locale hint 'fr' (it knows: en, de)",
          "eval", out, "--locale", "fr")
