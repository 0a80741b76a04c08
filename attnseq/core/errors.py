"""Errors that the command line reports as one line (exit code 2) instead of a traceback, and
the option checks: the one place where a setting is found to be a positive integer, a
positive number, a flag, ... whoever takes it (configs, the trainer, optimisers, layers,
decoding, the command line's argument types).

Every check takes the option's name and its value, returns the value as a plain Python
``int``/``float``/``bool`` (so that configs stay JSON-serialisable whatever was passed in) and
otherwise raises an ``AttnseqError`` that names both: "NAME must be WHAT, got VALUE". A bool is
never a number, and a float is never an integer (2.0 is refused where an integer is asked
for); NumPy integers and floats are accepted like Python's.
"""

import math
from typing import NoReturn

import numpy

_INTEGERS = (int, numpy.integer)
_NUMBERS = (int, float, numpy.integer, numpy.floating)


class AttnseqError(ValueError):
    """A user-facing error: bad input data, a bad option, a missing or corrupt model directory.

    The message is a single line that says what is wrong and where (a file and line number, the
    offending character, the limit that was exceeded), so the CLI can print it as is. It derives
    from ValueError so that library callers who already catch ValueError keep working.
    """


def _refuse(name: str, what: str, value) -> NoReturn:
    raise AttnseqError(f"{name} must be {what}, got {value!r}")


def integer_at_least(name: str, value, minimum: int, what: str | None = None) -> int:
    """``value`` as an int when it is an integer >= ``minimum``; the message says ``what``
    it must be (default: "at least MINIMUM")."""
    if isinstance(value, bool) or not isinstance(value, _INTEGERS) or value < minimum:
        _refuse(name, what or f"at least {minimum}", value)
    return int(value)


def positive_int(name: str, value) -> int:
    """An integer >= 1: "NAME must be a positive integer, got VALUE"."""
    return integer_at_least(name, value, 1, "a positive integer")


def non_negative_int(name: str, value) -> int:
    """An integer >= 0 (a seed, a length): "NAME must be a non-negative integer, got VALUE"."""
    return integer_at_least(name, value, 0, "a non-negative integer")


def positive_number(name: str, value, what: str = "a positive number") -> float:
    """A finite number > 0 (a rate, a threshold) as a float; nan and inf are refused."""
    if isinstance(value, bool) or not isinstance(value, _NUMBERS) or not 0 < value < math.inf:
        _refuse(name, what, value)
    return float(value)


def non_negative_number(name: str, value) -> float:
    """A finite number >= 0 (a penalty's weight) as a float."""
    if isinstance(value, bool) or not isinstance(value, _NUMBERS) or not 0 <= value < math.inf:
        _refuse(name, "a non-negative number", value)
    return float(value)


def fraction(name: str, value) -> float:
    """A number in [0, 1) (a dropout rate) as a float."""
    if isinstance(value, bool) or not isinstance(value, _NUMBERS) or not 0 <= value < 1:
        _refuse(name, "a number in [0, 1)", value)
    return float(value)


def optional(check):
    """``check`` that also lets None through, for a setting that None switches off
    (``optional(positive_number)("max_grad_norm", None)`` is None)."""
    return lambda name, value: None if value is None else check(name, value)


def boolean(name: str, value) -> bool:
    """True or False, nothing that merely converts to one (1, "yes")."""
    if not isinstance(value, bool):
        _refuse(name, "true or false", value)
    return value
