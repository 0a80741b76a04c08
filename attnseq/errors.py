"""Errors that the command line reports as one line (exit code 2) instead of a traceback, and
the positive-integer check that the training loop and decoding share."""

import numpy


class AttnseqError(ValueError):
    """A user-facing error: bad input data, a bad option, a missing or corrupt model directory.

    The message is a single line that says what is wrong and where (a file and line number, the
    offending character, the limit that was exceeded), so the CLI can print it as is. It derives
    from ValueError so that library callers who already catch ValueError keep working.
    """


def positive_int(name: str, value) -> int:
    """``value`` as an int when it is a positive integer (a bool is not), else an
    ``AttnseqError`` that names it: "NAME must be a positive integer, got VALUE"."""
    if isinstance(value, bool) or not isinstance(value, (int, numpy.integer)) or value < 1:
        raise AttnseqError(f"{name} must be a positive integer, got {value!r}")
    return int(value)
