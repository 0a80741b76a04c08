"""Checking a ``POST /api/convert`` request before any model sees it.

The body is a JSON object::

    {"text": "September 27, 1994",   required: the input to convert
     "model": "attention",           a served model's name (default: the first one served)
     "beam": 5,                      optional: beam search with this many beams (1-16) ...
     "n_best": 3}                    ... returning this many alternatives (1-beam, default beam)

Every refusal is an ``ApiError``: an HTTP status and a one-line message, sent back as
``{"error": message}``. The statuses say whose the fault is:

    400  the request is malformed: not JSON, nested deeper than ``MAX_DEPTH``, a number of
         more than ``MAX_DIGITS`` digits, not an object, a field missing, unknown or of the
         wrong type, a beam setting out of range
    404  no model of that name is served
    413  the body is larger than ``MAX_BODY`` bytes (read no further)
    422  the text is well-formed but the model cannot read it: empty, with characters it does
         not know (each named), or longer than its inputs (the limit is said)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from attnseq.core.errors import AttnseqError, integer_at_least
from attnseq.core.jsontext import json_depth

# A date is some 30 characters; a body this size holds any input a model here accepts, and
# bounds what one request can make the server read and hold.
MAX_BODY = 16 * 1024
MAX_BEAM = 16
# A request is one flat object. Python's json parser recurses once per bracket and converts
# integer literals digit by digit: both are bounded before they can cost a RecursionError,
# or the ValueError of an integer past Python's digit limit.
MAX_DEPTH = 16
MAX_DIGITS = 20
FIELDS = ("text", "model", "beam", "n_best")


class ApiError(Exception):
    """A refused request: ``status`` (4xx) and a one-line ``message``."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ConvertRequest:
    """A checked request: its text, the model's name and the beam settings (None: greedy)."""

    text: str
    model: str
    beam: int | None = None
    n_best: int | None = None


def parse_body(body: bytes) -> dict:
    """The JSON object in ``body`` (at most ``MAX_BODY`` bytes: the app reads no more), else
    a 400."""
    depth = nesting(body)
    if depth > MAX_DEPTH:
        raise ApiError(400, f"request body nests {depth} levels deep; at most {MAX_DEPTH}")
    try:
        doc = json.loads(body, parse_int=_integer)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"request body is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ApiError(400, f"request body must be a JSON object, got {type(doc).__name__}")
    return doc


def nesting(body: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``body`` nest (brackets inside
    strings do not count; a text that never closes them counts them all). A body with at
    most ``MAX_DEPTH`` brackets in all gets their count instead, unscanned: a bound on its
    depth that is within the limit too."""
    brackets = body.count(b"[") + body.count(b"{")
    if brackets <= MAX_DEPTH:
        return brackets  # an upper bound, and cheap: most bodies end here
    return json_depth(body)


def _integer(digits: str) -> int:
    """json's ``parse_int``: the integer, refused past ``MAX_DIGITS`` digits."""
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ApiError(400, f"request body holds a number of {len(digits.lstrip('-'))} "
                            f"digits; at most {MAX_DIGITS}")
    return int(digits)


def parse_convert(doc: dict, models: Mapping) -> ConvertRequest:
    """Check the fields of a convert request against the served ``models`` (name -> an
    ``Explorer``); the text itself is checked by its model (``Explorer.check``)."""
    unknown = [key for key in doc if key not in FIELDS]
    if unknown:
        raise ApiError(400, f"unknown field {unknown[0]!r}; the fields are "
                            f"{', '.join(FIELDS)}")
    if "text" not in doc:
        raise ApiError(400, "missing field 'text'")
    text = doc["text"]
    if not isinstance(text, str):
        raise ApiError(400, f"'text' must be a string, got {type(text).__name__}")
    name = doc.get("model", next(iter(models)))
    if not isinstance(name, str):
        raise ApiError(400, f"'model' must be a string, got {type(name).__name__}")
    if name not in models:
        raise ApiError(404, f"unknown model {name!r}; serving {', '.join(map(repr, models))}")
    beam, n_best = doc.get("beam"), doc.get("n_best")
    try:
        if beam is not None:
            beam = _one_to("beam", beam, MAX_BEAM, str(MAX_BEAM))
        if n_best is not None:
            if beam is None:
                raise AttnseqError("n_best needs beam")
            n_best = _one_to("n_best", n_best, beam, f"beam ({beam})")
    except AttnseqError as exc:
        raise ApiError(400, str(exc)) from None
    return ConvertRequest(text, name, beam, n_best if n_best is not None else beam)


def _one_to(name: str, value, top: int, top_text: str) -> int:
    """``value`` when it is an integer from 1 to ``top``: "NAME must be an integer from 1 to
    TOP_TEXT, got VALUE" otherwise."""
    what = f"an integer from 1 to {top_text}"
    value = integer_at_least(name, value, 1, what)
    if value > top:
        raise AttnseqError(f"{name} must be {what}, got {value}")
    return value


def check_text(explorer, text: str) -> None:
    """The model's refusal of ``text`` as a 422 (see ``Explorer.check``)."""
    try:
        explorer.check(text)
    except AttnseqError as exc:
        raise ApiError(422, str(exc)) from None
