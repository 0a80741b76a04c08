"""The option checks of ``attnseq.core.errors``, and the command line's argument types over them."""

import argparse
import math

import numpy as np
import pytest

from attnseq.core.errors import (
    AttnseqError,
    boolean,
    fraction,
    integer_at_least,
    non_negative_int,
    non_negative_number,
    optional,
    positive_int,
    positive_number,
)
from attnseq.core.option_types import positive_float_option, positive_int_option


@pytest.mark.parametrize("check, value, expected", [
    (positive_int, 3, 3), (positive_int, np.int64(3), 3), (positive_int, np.uint8(1), 1),
    (non_negative_int, 0, 0), (non_negative_int, np.int32(7), 7),
    (positive_number, 2, 2.0), (positive_number, np.float32(0.5), 0.5),
    (positive_number, 1e-300, 1e-300), (fraction, 0, 0.0), (fraction, 0.999, 0.999),
    (boolean, True, True), (boolean, False, False),
])
def test_accepted_values_come_back_as_plain_python_values(check, value, expected):
    got = check("x", value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("check, what, values", [
    (positive_int, "a positive integer", [0, -3, 2.0, "8", True, None, np.float64(2)]),
    (non_negative_int, "a non-negative integer", [-1, 1.5, "7", None, False]),
    (positive_number, "a positive number", [0, -1.0, math.inf, math.nan, True, "1", None]),
    (fraction, "a number in [0, 1)", [1, 1.0, -0.1, math.nan, True, None]),
    (boolean, "true or false", [1, 0, "yes", None, np.bool_(True)]),
])
def test_refused_values_name_the_option_and_the_value(check, what, values):
    for value in values:
        with pytest.raises(AttnseqError) as info:
            check("size", value)
        assert str(info.value) == f"size must be {what}, got {value!r}"


def test_integer_at_least_says_the_minimum_unless_told_what():
    assert integer_at_least("samples", 2, 2) == 2
    with pytest.raises(AttnseqError, match=r"^samples must be at least 2, got 1$"):
        integer_at_least("samples", 1, 2)
    with pytest.raises(AttnseqError, match=r"^n must be an even size, got 3$"):
        integer_at_least("n", 3, 4, "an even size")


def test_optional_lets_none_through_and_checks_the_rest():
    assert optional(positive_number)("clip", None) is None
    assert optional(positive_number)("clip", 5) == 5.0
    with pytest.raises(AttnseqError, match=r"^clip must be a positive number, got 0$"):
        optional(positive_number)("clip", 0)


@pytest.mark.parametrize("parse, text, expected", [
    (positive_int_option, "12", 12), (positive_float_option, "0.5", 0.5),
    (positive_float_option, "1e-3", 1e-3),
])
def test_argument_types_parse(parse, text, expected):
    assert parse(text) == expected


@pytest.mark.parametrize("parse, what, text", [
    (positive_int_option, "a positive integer", "0"),
    (positive_int_option, "a positive integer", "-2"),
    (positive_int_option, "a positive integer", "ten"),
    (positive_int_option, "a positive integer", "2.0"),
    (positive_float_option, "a positive number", "0"),
    (positive_float_option, "a positive number", "inf"),
    (positive_float_option, "a positive number", "nan"),
    (positive_float_option, "a positive number", "fast"),
])
def test_argument_types_refuse_in_one_line(parse, what, text):
    with pytest.raises(argparse.ArgumentTypeError) as info:
        parse(text)
    assert str(info.value) == f"expected {what}, got {text!r}"


@pytest.mark.parametrize("value", [-0.1, float("inf"), float("nan"), True, "1"])
def test_non_negative_number_refuses(value):
    with pytest.raises(AttnseqError) as info:
        non_negative_number("alpha", value)
    assert str(info.value) == f"alpha must be a non-negative number, got {value!r}"


def test_non_negative_number_accepts_zero_and_numpy_floats():
    assert non_negative_number("beta", 0) == 0.0 and isinstance(non_negative_number("b", 0), float)
    assert non_negative_number("beta", np.float32(0.5)) == 0.5
