"""How deep a JSON text nests, found before it is parsed.

Python's ``json`` parser recurses once per level of arrays and objects, so a text nested some
thousands deep (``'[' * 8000``) raises RecursionError instead of a parse error. Whoever reads
JSON from a user (a model directory's config.json, a request body) measures the depth first
and refuses the text in one line past its own limit.
"""

from __future__ import annotations

import re

# A whole string (so that the brackets inside it are text), or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def json_depth(text: str | bytes, stop: int | None = None) -> int:
    """The deepest nesting of arrays and objects in the JSON ``text`` (brackets inside strings
    do not count; brackets never closed do). With ``stop``, the scan ends as soon as the depth
    passes it, and that depth (``stop + 1``) is returned."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")  # byte for byte: quotes, backslashes, brackets are ASCII
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
            if stop is not None and depth > stop:
                break
        elif token in ("]", "}"):
            depth -= 1
    return deepest
