"""The two layer sets a model can be built from: the book's and the fast one.

Every model takes ``impl`` ("fast" by default, or "book") and builds its parts from the chosen
``LayerSet``, so that a model has one code path whichever set it runs. The book's set is
``attnseq.layers`` as a reader holds it beside chapter 8 and the papers: an Embedding, then a
TimeLSTM that loops over LSTM steps; one attention row per decoder row; the Transformer's
layers as the paper writes them; nothing in a decoding state but what the equations need. The
fast set replaces layers with twins of the same contract (``attnseq.fast``, each tested equal
to the book's), and adds what only speed needs: an embedding fused into its LSTM (shared
prefixes run once, batches in prefix order) at the bottom of a stack, grouped attention rows
for beam search, decoding states without the padding columns, the hint that rows are equal
after beam search copied them, and a Transformer encoder that runs on the real positions only
(``pack``/``unpack``).

Both sets hold the same parameters in the same order, so a model's weights load into either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from attnseq import fast as F
from attnseq import layers as L
from attnseq.core.registry import ONE_OF, Registry
from attnseq.decoding.protocol import EQUAL_ROWS, State
from attnseq.fast import attention as fast_attention
from attnseq.fast.packing import pack_real, unpack_real


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


def whole_span(mask) -> tuple[int, int]:
    """The book's: every input column, (0, Te), padding or not."""
    return 0, mask.shape[1]


def padded(key_mask, x):
    """The book's rows: the padded batch x itself, whatever the mask."""
    return x


@dataclass(frozen=True)
class LayerSet:
    """The layers and decoding helpers of one implementation (the module docstring).

    The LSTM models: the layer classes ``TimeEmbedding``, ``TimeLSTM``, ``TimeStackedLSTM``
    (a stack of those LSTMs), ``TimeInputFeeding`` (input feeding's recurrence) and
    ``Attention`` (attention for one step); ``embedded_lstm`` is None, or a layer (W, Wx, Wh,
    b, stateful) that reads ids, an Embedding and a TimeLSTM in one; ``input_keys`` are the
    decoding state's entries of one row per input (``attnseq.decoding.protocol``);
    ``prefix_order``: whether a batch's rows are sorted so that rows with a common prefix lie
    together before the encoder reads them (``Seq2seq.row_order``); ``step_hints(state)``
    are the keywords an LSTM's ``step`` takes besides x, h, c.
    The Transformer: its layer classes; ``pack``/``unpack``, how its encoder gives its
    position-wise layers their rows (the padded batch, or the real positions as one block);
    ``attended_span(mask)``, the input columns that decoding encodes (all of them, or those
    from the first to the last that some row has input in).
    """

    name: str
    TimeEmbedding: type
    TimeLSTM: type
    TimeStackedLSTM: type
    TimeInputFeeding: type
    Attention: type
    embedded_lstm: Callable | None
    attention_state: Callable[..., State]
    input_keys: tuple[str, ...]
    prefix_order: bool
    step_hints: Callable[[State], dict]
    MultiHeadAttention: type
    LayerNorm: type
    FeedForward: type
    Affine: type
    pack: Callable
    unpack: Callable
    attended_span: Callable[..., tuple[int, int]]


BOOK = LayerSet("book", TimeEmbedding=L.TimeEmbedding, TimeLSTM=L.TimeLSTM,
                TimeStackedLSTM=L.TimeStackedLSTM, TimeInputFeeding=L.TimeInputFeeding,
                Attention=L.Attention, embedded_lstm=None,
                attention_state=book_attention_state, input_keys=(), prefix_order=False,
                step_hints=no_hints, MultiHeadAttention=L.MultiHeadAttention,
                LayerNorm=L.LayerNorm, FeedForward=L.FeedForward, Affine=L.TimeAffine,
                pack=padded, unpack=padded, attended_span=whole_span)
FAST = LayerSet("fast", TimeEmbedding=F.FastTimeEmbedding, TimeLSTM=F.FastTimeLSTM,
                TimeStackedLSTM=F.FastTimeStackedLSTM, TimeInputFeeding=F.FastTimeInputFeeding,
                Attention=F.FastAttention, embedded_lstm=F.EmbeddingLSTM,
                attention_state=fast_attention.attention_state,
                input_keys=fast_attention.ATTENTION_STATE_KEYS, prefix_order=True,
                step_hints=equal_rows_hint, MultiHeadAttention=F.FastMultiHeadAttention,
                LayerNorm=F.FastLayerNorm, FeedForward=F.FastFeedForward, Affine=F.FastAffine,
                pack=pack_real, unpack=unpack_real,
                attended_span=fast_attention.attended_span)

IMPLS = Registry("impl", {"book": BOOK, "fast": FAST}, default="fast", message=ONE_OF)
