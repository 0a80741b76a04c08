"""Streams of lines: read lazily a chunk at a time, --on-error, CSV/TSV fields."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.dates.stream import (
    Fields,
    Outcome,
    chunks,
    converted,
    encoded,
    refusals,
    stream,
)


def upper_or_refuse(texts):
    """A stand-in converter: upper case, refusing texts that start with '!'."""
    return [Outcome(None, None, f"refused {t!r}") if t.startswith("!") else Outcome(t.upper())
            for t in texts]


class Counting:
    """An iterator of n lines that counts how many have been read."""

    def __init__(self, n):
        self.n, self.read = n, 0

    def __iter__(self):
        while self.read < self.n:
            self.read += 1
            yield f"line {self.read}"


def test_lines_are_read_a_chunk_at_a_time():
    source = Counting(10_000_000)  # never materialised: only what is pulled is read
    out = stream(source, upper_or_refuse, chunk_size=4)
    assert next(out) == ["LINE 1", "LINE 2", "LINE 3", "LINE 4"]
    assert source.read == 4
    assert next(out) == ["LINE 5", "LINE 6", "LINE 7", "LINE 8"] and source.read == 8


def test_the_converter_sees_one_chunk_at_a_time():
    seen = []

    def convert(texts):
        seen.append(len(texts))
        return upper_or_refuse(texts)

    out = [line for chunk in stream(Counting(10), convert, chunk_size=4) for line in chunk]
    assert seen == [4, 4, 2] and out == [f"LINE {k}" for k in range(1, 11)]


def test_chunks():
    assert list(chunks(iter("abcde"), 2)) == [["a", "b"], ["c", "d"], ["e"]]
    assert list(chunks([], 3)) == []


LINES = ["a", "!b", "c", "!d"]


def test_on_error_fail_names_the_line_after_yielding_earlier_chunks():
    out = stream(LINES, upper_or_refuse, chunk_size=1)
    assert next(out) == ["A"]
    with pytest.raises(AttnseqError) as err:
        next(out)
    assert str(err.value) == "line 2: refused '!b'"


def test_on_error_fail_prints_nothing_of_the_chunk_with_the_error():
    with pytest.raises(AttnseqError, match=r"^argument 2: refused '!b'$"):
        list(stream(LINES, upper_or_refuse, what="argument"))


@pytest.mark.parametrize("on_error, expected", [("skip", ["A", "C"]),
                                                ("empty", ["A", "", "C", ""])])
def test_on_error_skip_and_empty(on_error, expected):
    out = [x for chunk in stream(LINES, upper_or_refuse, on_error=on_error, chunk_size=3)
           for x in chunk]
    assert out == expected


def test_on_error_must_be_known():
    with pytest.raises(AttnseqError, match=r"^on_error must be one of fail, skip, empty, got "
                                           r"'ignore'$"):
        list(stream(LINES, upper_or_refuse, on_error="ignore"))


def test_a_field_is_converted_and_the_line_kept():
    lines = ["1,may 5 2001,x", '2,"jun 17, 2013",y', "3,!no,z", "4"]
    out = list(stream(lines, upper_or_refuse, on_error="empty", fields=Fields(2)))[0]
    assert out == ["1,MAY 5 2001,x", '2,"JUN 17, 2013",y', "3,,z", ""]


def test_a_tab_separated_field_is_stripped_before_conversion():
    seen = []

    def convert(texts):
        seen.extend(texts)
        return upper_or_refuse(texts)

    out = list(stream(["a\t may 5 \tb"], convert, fields=Fields(2, "\t")))[0]
    assert seen == ["may 5"] and out == ["a\tMAY 5\tb"]


def test_a_line_without_the_field_fails_with_its_number():
    with pytest.raises(AttnseqError) as err:
        list(stream(["a,b,c", "a,b"], upper_or_refuse, fields=Fields(3)))
    assert str(err.value) == "line 2: has 2 fields, not the field 3 to convert"


@pytest.mark.parametrize("delimiter", ["", ";;", '"', "\n"])
def test_a_delimiter_is_one_character(delimiter):
    with pytest.raises(AttnseqError) as err:
        Fields(1, delimiter)
    assert str(err.value) == ("the delimiter must be one character other than a quote or a "
                              f"line break, got {delimiter!r}")


@pytest.mark.parametrize("field", [0, -1])
def test_a_field_index_counts_from_one(field):
    with pytest.raises(AttnseqError, match=rf"^field must be a positive integer, got {field}$"):
        Fields(field)


def test_a_plain_converter_refuses_lines_one_by_one(scripted):
    model = scripted({"3/2/21": {"2021-02-03": 1.0}})
    convert = converted(model.conv)
    outs = convert(["3/2/21", "", "3/2/21 ☃", "3/2/21"])
    assert [o.output for o in outs] == ["2021-02-03", None, None, "2021-02-03"]
    assert outs[1].reason == "empty input"
    assert outs[2].reason.startswith("unknown character '☃'")


def test_encoded_keeps_the_rows_it_can_encode_in_order(scripted):
    conv = scripted({"3/2/21": {"2021-02-03": 1.0}}).conv
    texts = ["3/2/21", " ", "9/8/97", "3/2/21 ☃", "1.1.99"]
    xs, bad = encoded(conv, texts)
    np.testing.assert_array_equal(xs, conv.encode_questions(["3/2/21", "9/8/97", "1.1.99"]))
    assert sorted(bad) == [1, 3] and bad[1] == "empty input"
    assert bad == refusals(conv, texts)
    xs, bad = encoded(conv, ["", "☃"])
    assert xs.shape == (0, conv.config.question_len) and sorted(bad) == [0, 1]
    xs, bad = encoded(conv, ["9/8/97"])
    assert bad == {} and xs.shape == (1, conv.config.question_len)


def test_encoded_finds_a_few_bad_texts_among_many_in_halves(scripted, monkeypatch):
    conv = scripted({"3/2/21": {"2021-02-03": 1.0}}).conv
    texts = ["3/2/21"] * 64
    texts[5], texts[40] = "3/2/21 ☃", "☃"
    calls = []
    encode = conv.encode_questions
    monkeypatch.setattr(conv, "encode_questions",
                        lambda batch, *a: calls.append(len(batch)) or encode(batch, *a))
    xs, bad = encoded(conv, texts)
    assert sorted(bad) == [5, 40] and len(xs) == 62
    # the empty batch, the 64, then each bad text's path of halves 32, 16, 8, whose 8 go
    # one by one: 1 + 1 + 2 + 4 + 4 + 2 * 8, against 1 + 1 + 64 text by text
    assert len(calls) == 28 and calls.count(1) == 16
    calls.clear()
    xs, bad = encoded(conv, ["☃"] * 64)
    assert len(bad) == 64 and len(xs) == 0
    assert len(calls) == 1 + 1 + 2 + 4 + 8 + 64  # all bad: halves down to 8, then singles
