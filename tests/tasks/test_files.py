"""Tests for attnseq.tasks.files."""

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.tasks.dates import generate_dates
from attnseq.tasks.files import load_pairs, save_pairs_book, save_pairs_tsv

# Three lines as they appear in the book's dataset/date.txt and addition.txt.
BOOK_TEXT = (
    "september 27, 1994           _1994-09-27\n"
    "TUESDAY, SEPTEMBER 25, 1984  _1984-09-25\n"
    "9/8/97                       _1997-09-08\n"
)


def write(tmp_path, text, name="data.txt", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def test_book_format(tmp_path):
    path = write(tmp_path, BOOK_TEXT + "\n\n")  # trailing blank lines are ignored
    assert load_pairs(path) == [
        ("september 27, 1994", "1994-09-27"),
        ("TUESDAY, SEPTEMBER 25, 1984", "1984-09-25"),
        ("9/8/97", "1997-09-08"),
    ]


def test_book_format_padded_answers_crlf_and_bom(tmp_path):
    path = write(tmp_path, "\ufeff16+75  _91  \r\n52+607 _659 \r\n1+9    _10  \r\n")
    assert load_pairs(str(path)) == [("16+75", "91"), ("52+607", "659"), ("1+9", "10")]


def test_book_format_splits_at_first_underscore(tmp_path):
    path = write(tmp_path, "a b_c_d\n")
    assert load_pairs(path) == [("a b", "c_d")]


def test_tsv_keeps_fields_exactly(tmp_path):
    path = write(tmp_path, "jun 17, 2013\t2013-06-17\n a_b \tx y \n", name="data.tsv")
    assert load_pairs(path) == [("jun 17, 2013", "2013-06-17"), (" a_b ", "x y ")]


@pytest.mark.parametrize("save", [save_pairs_tsv, save_pairs_book])
def test_save_then_load_round_trip(tmp_path, save):
    pairs = generate_dates(50, seed=0)
    path = tmp_path / "out.txt"
    save(pairs, path)
    assert load_pairs(path) == [(p.question, p.answer) for p in pairs]


def test_save_book_is_fixed_width(tmp_path):
    path = tmp_path / "out.txt"
    save_pairs_book([("9/8/97", "1997-09-08"), ("jun 17, 2013", "2013-6-17")], path)
    assert path.read_text(encoding="utf-8") == "9/8/97      _1997-09-08\njun 17, 2013_2013-6-17 \n"


@pytest.mark.parametrize(
    "text, message",
    [
        ("a_1\nb_2\nno underscore\n", "data.txt:3: expected 'question_answer' (no '_' found)"),
        ("a\t1\nb\t2\nc\t3\nd\t4\nno tab\n",
         "data.txt:5: expected 'question<TAB>answer' (no TAB found)"),
        ("a\t1\nb\t2\tx\n", "data.txt:2: expected 'question<TAB>answer' (found 2 TABs)"),
        ("a_1\n   _2\n", "data.txt:2: empty question"),
        ("a_1\nb_   \n", "data.txt:2: empty answer"),
        ("\t1\n", "data.txt:1: empty question"),
        ("a\t\n", "data.txt:1: empty answer"),
        ("a_1\nb\t2\n",
         "data.txt:2: mixed formats: a TAB in a 'question_answer' file (line 1 has none)"),
        ("a\t1\nb_2\n",
         "data.txt:2: mixed formats: a 'question_answer' line in a TSV file (line 1 has a TAB)"),
        ("a_1\n\nb_2\n", "data.txt:2: blank line (only trailing blank lines are allowed)"),
        ("\na_1\n", "data.txt:1: blank line (only trailing blank lines are allowed)"),
        ("", "data.txt: empty data file (no pairs)"),
        ("\n  \n\n", "data.txt: empty data file (no pairs)"),
    ],
)
def test_malformed_files(tmp_path, monkeypatch, text, message):
    write(tmp_path, text)
    monkeypatch.chdir(tmp_path)  # a relative name, as a user would type it
    with pytest.raises(AttnseqError) as err:
        load_pairs("data.txt")
    assert str(err.value) == message


def test_non_utf8_names_the_line(tmp_path, monkeypatch):
    write(tmp_path, b"a_1\nb_2\ncaf\xe9_3\n", mode="wb")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AttnseqError) as err:
        load_pairs("data.txt")
    assert str(err.value) == "data.txt:3: not valid UTF-8 (byte 0xe9 at column 4)"


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(AttnseqError) as err:
        load_pairs(missing)
    assert str(err.value) == f"no such data file: {missing}"
    with pytest.raises(AttnseqError) as err:
        load_pairs(tmp_path)
    assert str(err.value) == f"not a data file but a directory: {tmp_path}"


@pytest.mark.parametrize(
    "save, pair, message",
    [
        (save_pairs_book, ("a_b", "1"), "pairs[1]: the question 'a_b' contains '_'"),
        (save_pairs_book, ("ab ", "1"), "pairs[1]: the question 'ab ' ends in a space"),
        (save_pairs_book, ("ab", "1 "), "pairs[1]: the answer '1 ' ends in a space"),
        (save_pairs_book, ("", "1"), "pairs[1]: the question must be a non-empty string, got ''"),
        (save_pairs_tsv, ("a\tb", "1"), "pairs[1]: the question 'a\\tb' contains '\\t'"),
        (save_pairs_tsv, ("ab", "1\n"), "pairs[1]: the answer '1\\n' contains '\\n'"),
    ],
)
def test_save_refuses_pairs_that_would_not_load_back(tmp_path, save, pair, message):
    path = tmp_path / "out.txt"
    with pytest.raises(AttnseqError) as err:
        save([("ok", "0"), pair], path)
    assert str(err.value) == message
    assert not path.exists()  # nothing half-written
