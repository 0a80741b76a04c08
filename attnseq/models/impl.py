"""The two layer sets a model can be built from: the book's and the fast one.

Every model takes ``impl`` ("fast" by default, or "book") and builds its parts from the chosen
``LayerSet``. The book's set is ``attnseq.layers`` as a reader holds it beside chapter 8: an
Embedding, then a TimeLSTM that loops over LSTM steps; one attention row per decoder row;
nothing in a decoding state but what the equations need. The fast set replaces layers with
twins of the same contract (``attnseq.fast``, each tested equal to the book's), and adds what
only speed needs: an embedding fused into its LSTM (shared prefixes run once, batches in
prefix order), grouped attention rows for beam search, decoding states without the padding
columns, and the hint that rows are equal after beam search copied them.

Both sets hold the same parameters in the same order, so a model's weights load into either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attnseq.core.registry import ONE_OF, Registry
from attnseq.decoding.protocol import EQUAL_ROWS, State
from attnseq.fast import EmbeddingLSTM, FastTimeLSTM
from attnseq.fast import attention as fast_attention
from attnseq.fast.embedding import TimeEmbedding as FastTimeEmbedding
from attnseq.layers import Attention, TimeEmbedding, TimeLSTM


def book_attention_state(enc_hs, mask=None) -> State:
    """What a decoding state keeps for attention: the encoder's states and the mask."""
    return {"enc_hs": enc_hs} if mask is None else {"enc_hs": enc_hs, "mask": mask}


def no_hints(state: State) -> dict:
    """The book's layers take no hints."""
    return {}


def equal_rows_hint(state: State) -> dict:
    """The rows of the state that beam search copied from one parent (``decoding.select``),
    for the fast LSTMs' ``step``, which compute the recurrent product once for them."""
    return {"equal_rows": state.get(EQUAL_ROWS)}


@dataclass(frozen=True)
class LayerSet:
    """The layers and decoding helpers of one implementation (the module docstring).

    ``embedded_lstm``: None, or a layer (W, Wx, Wh, b, stateful) that reads ids, an Embedding
    and a TimeLSTM in one. ``input_keys``: the decoding state's entries of one row per input
    (``attnseq.decoding.protocol``). ``prefix_order``: whether a batch's rows are sorted so that
    rows with a common prefix lie together before the encoder reads them.
    """

    name: str
    TimeEmbedding: type
    TimeLSTM: type
    Attention: type
    embedded_lstm: Callable | None
    attention_state: Callable[..., State]
    input_keys: tuple[str, ...]
    prefix_order: bool
    step_hints: Callable[[State], dict]


BOOK = LayerSet("book", TimeEmbedding, TimeLSTM, Attention, None, book_attention_state, (),
                False, no_hints)
FAST = LayerSet("fast", FastTimeEmbedding, FastTimeLSTM, fast_attention.Attention,
                EmbeddingLSTM, fast_attention.attention_state,
                fast_attention.ATTENTION_STATE_KEYS, True, equal_rows_hint)

IMPLS = Registry("impl", {"book": BOOK, "fast": FAST}, default="fast", message=ONE_OF)
