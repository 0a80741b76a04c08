"""json_depth: the nesting of a JSON text, strings not counted, for str and bytes alike."""

import pytest

from attnseq.core.jsontext import json_depth


@pytest.mark.parametrize("text, depth", [
    ('{"text": "9/8/97"}', 1),
    ("[[1], [[2]], {}]", 3),
    ('{"a": "[[[[", "b": [1]}', 2),  # brackets in a string are text
    ('{"a": "\\"[[[", "b": [1]}', 2),  # an escaped quote does not end the string
    ('{"a": "\\\\", "b": [[1]]}', 3),  # an escaped backslash does
    ("[" * 50, 50),  # never closed
    ("", 0),
])
def test_depth_of_str_and_bytes(text, depth):
    assert json_depth(text) == depth
    assert json_depth(text.encode("utf-8")) == depth


def test_stop_ends_the_scan_past_the_limit():
    assert json_depth("[" * 10_000, stop=32) == 33
    assert json_depth("[[]]", stop=32) == 2
