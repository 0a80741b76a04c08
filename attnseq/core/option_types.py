"""``argparse`` types built on the value checks of ``attnseq.core.errors``.

The command line and the benchmarks' own command lines read numbers with these, so that a bad
value is the same one-line usage error everywhere: "expected a positive integer, got '0'".
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from attnseq.core.errors import positive_int, positive_number


def option_type(convert: Callable[[str], object], check, what: str):
    """An ``argparse`` type: ``check`` (one of ``attnseq.core.errors``' checks) of
    ``convert(text)``, else the one-line usage error "expected WHAT, got 'TEXT'"."""

    def parse(text: str):
        try:
            return check("value", convert(text))
        except ValueError:  # int()/float() refused the text, or the check its value
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None

    return parse


positive_int_option = option_type(int, positive_int, "a positive integer")
positive_float_option = option_type(float, positive_number, "a positive number")
