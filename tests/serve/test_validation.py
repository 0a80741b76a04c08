"""The checks of a convert request: each refusal's status and exact message."""

import pytest

from attnseq.serve.validation import (
    MAX_BEAM,
    MAX_DEPTH,
    ApiError,
    ConvertRequest,
    nesting,
    parse_body,
    parse_convert,
)

MODELS = {"attention": object(), "baseline": object()}


def refusal(doc):
    with pytest.raises(ApiError) as exc:
        parse_convert(doc, MODELS)
    return exc.value.status, exc.value.message


def test_a_good_request_with_defaults():
    assert parse_convert({"text": "9/8/97"}, MODELS) == ConvertRequest("9/8/97", "attention")
    assert parse_convert({"text": "x", "model": "baseline", "beam": 5}, MODELS) == \
        ConvertRequest("x", "baseline", 5, 5)
    assert parse_convert({"text": "x", "beam": 5, "n_best": 2}, MODELS).n_best == 2


@pytest.mark.parametrize("doc,status,message", [
    ({}, 400, "missing field 'text'"),
    ({"text": 3}, 400, "'text' must be a string, got int"),
    ({"text": None}, 400, "'text' must be a string, got NoneType"),
    ({"text": "x", "lang": "en"}, 400,
     "unknown field 'lang'; the fields are text, model, beam, n_best"),
    ({"text": "x", "model": 1}, 400, "'model' must be a string, got int"),
    ({"text": "x", "model": "gpt"}, 404,
     "unknown model 'gpt'; serving 'attention', 'baseline'"),
    ({"text": "x", "beam": 0}, 400, f"beam must be an integer from 1 to {MAX_BEAM}, got 0"),
    ({"text": "x", "beam": MAX_BEAM + 1}, 400,
     f"beam must be an integer from 1 to {MAX_BEAM}, got {MAX_BEAM + 1}"),
    ({"text": "x", "beam": 2.0}, 400, f"beam must be an integer from 1 to {MAX_BEAM}, got 2.0"),
    ({"text": "x", "beam": True}, 400,
     f"beam must be an integer from 1 to {MAX_BEAM}, got True"),
    ({"text": "x", "n_best": 2}, 400, "n_best needs beam"),
    ({"text": "x", "beam": 3, "n_best": 4}, 400,
     "n_best must be an integer from 1 to beam (3), got 4"),
    ({"text": "x", "beam": 3, "n_best": "2"}, 400,
     "n_best must be an integer from 1 to beam (3), got '2'"),
])
def test_each_bad_field_is_named(doc, status, message):
    assert refusal(doc) == (status, message)


@pytest.mark.parametrize("body,message", [
    (b"", "request body is not JSON: Expecting value: line 1 column 1 (char 0)"),
    (b"{'text': 1}", "request body is not JSON: Expecting property name enclosed in double "
                     "quotes: line 1 column 2 (char 1)"),
    (b"\xff", "request body is not JSON: 'utf-8' codec can't decode byte 0xff in position 0: "
              "invalid start byte"),
    (b'["9/8/97"]', "request body must be a JSON object, got list"),
])
def test_a_body_that_is_not_a_json_object_is_a_400(body, message):
    with pytest.raises(ApiError) as exc:
        parse_body(body)
    assert (exc.value.status, exc.value.message) == (400, message)


@pytest.mark.parametrize("body,depth", [
    (b'{"text": "9/8/97"}', 1),
    (b"[" * 17 + b"]" * 17, 17),
    (b"[" + b"[1], " * 20 + b"[[2]], {}]", 3),
    (b'{"text": "' + b"[" * 40 + b'"}', 1),  # brackets in a string are text
    (b'{"text": "\\"' + b"[" * 40 + b'"}', 1),  # after an escaped quote: still the string
    (b'{"text": "\\\\", "a": ' + b"[" * 40, 41),  # an escaped backslash ends the string
    (b'{"text":' + b"[" * 5000, 5001),  # never closed
])
def test_nesting_counts_brackets_outside_strings(body, depth):
    assert nesting(body) == depth
    assert nesting(b"[[1], [[2]], {}]") == 5  # few brackets: their count, a bound, unscanned
    if depth > MAX_DEPTH:
        with pytest.raises(ApiError) as exc:
            parse_body(body)
        assert (exc.value.status, exc.value.message) == (
            400, f"request body nests {depth} levels deep; at most {MAX_DEPTH}")
