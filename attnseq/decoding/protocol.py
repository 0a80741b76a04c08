"""The decoder protocol: what any decoding algorithm may rely on, written down once.

A model that can be decoded (every model in ``attnseq.models``) has two methods:

    start(xs (N, Te) ids) -> state            encode the inputs
    step(tokens (N,) ids, state) -> (logits (N, V), state)

``step`` reads the tokens emitted last (the start id at first) and returns the scores of the
next token with the state that follows. A state is a dict of arrays and nothing else, each
with the batch on its first axis: row n of every array belongs to input n. So an algorithm
can keep, drop, repeat and reorder rows with ``select`` (beam search reorders its hypotheses
by their backpointers at every step) and go on stepping, and rows never mix: a row's logits
depend on its own rows of the state alone.

A few keys have a meaning for the algorithms. A model with attention puts the step's weights in
``state["attention"]`` (N, K). When it attends over K of the Te input columns only (a speed-up
of the fast layer set, ``attnseq.fast.attention.attention_state``), the state also holds
``state["attention_columns"]`` (N, K) ints, the input position of each of them;
``input_attention`` puts weights back at their input positions. And ``select`` marks the
rows it copied from one row (``EQUAL_ROWS``), so that the next step can compute their
recurrent products once; a model may ignore the mark, and every step drops it (``stepped``).

Rows per input. A model may name, in its attribute ``input_keys``, the state entries that
belong to the input rather than to a row being decoded (the attention models' encoder states
and mask), and whose rows its ``step`` reads for groups of consecutive rows: given g·N rows in
the other entries and N in these, rows n·g .. n·g + g - 1 read row n. An algorithm that
decodes g rows per input (beam search, g = K beams) then keeps these once per input, selects
them only when inputs leave, and never copies them per row; one that decodes one row per input
(greedy) needs to know nothing of it.
"""

from __future__ import annotations

from typing import Protocol

from attnseq.core.backend import xp

State = dict  # str -> array, batch-first


class Decodable(Protocol):
    """A model that a decoding algorithm can run (see the module docstring)."""

    def start(self, xs) -> State:
        ...

    def step(self, tokens, state: State) -> tuple:
        ...


# The key under which ``select`` says which rows it copied from the same row (see select).
EQUAL_ROWS = "equal_rows"


def select(state: State, rows) -> State:
    """The state of ``rows`` (N',) indices into the batch, in that order, repeats allowed:
    row i of the result is row rows[i] of ``state``.

    The result also holds ``state[EQUAL_ROWS]`` = rows: rows copied from the same row are
    equal, so the next ``step`` may compute what depends on the state alone once for each
    (beam search copies a parent's state to each of its children). ``step`` reads it and
    never returns it: after a step the rows differ again.
    """
    out = {key: value[rows] for key, value in state.items() if key != EQUAL_ROWS}
    out[EQUAL_ROWS] = rows
    return out


def stepped(state: State, **changes) -> State:
    """The state a ``step`` returns: ``state`` with ``changes``, less ``EQUAL_ROWS``."""
    kept = {key: value for key, value in state.items() if key != EQUAL_ROWS}
    return {**kept, **changes}


def input_attention(weights, state: State, Te: int):
    """Weights (N, L, K) that ``state`` says cover its attention columns -> (N, L, Te), an
    array of ``weights``' module (on the device, for a device array), with zeros at the input
    positions that were not attended over. The state's ``attention_columns`` may hold one row
    per input, N / g of them (``input_keys``)."""
    columns = state.get("attention_columns")
    if columns is None:
        return weights
    N, L, K = weights.shape
    if len(columns) != N:  # one row per input for g rows per input (see "Rows per input")
        columns = xp.repeat(columns, N // len(columns), axis=0)
    full = xp.zeros((N, L, Te), dtype=weights.dtype)
    full[xp.arange(N)[:, None, None], xp.arange(L)[None, :, None], columns[:, None, :]] = weights
    return full
