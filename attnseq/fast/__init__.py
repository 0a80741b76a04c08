"""The fast layer set: every speed-up, each a layer with the contract of the book's layer it
replaces (``attnseq.layers``) and tested equal to it, outputs and every gradient, in float64.

    cell.py         the LSTM cell on gate-major (4, N, H) blocks, activated in place;
                    FastLSTM, one step on it (the NTM's controller)
    lstm.py         FastTimeLSTM (TimeLSTM's loop in fewer, larger operations) and
                    EmbeddingLSTM (Embedding + that LSTM over ids, shared prefixes run once)
    shared_rows.py  prefix plans and the projection of repeated tokens, which EmbeddingLSTM uses
    embedding.py    FastEmbedding: the backward by sorted runs and one reduceat
    attention.py    FastAttention: g decoder rows per encoder row (beam search), and the
                    decoding state without the padding columns
    stacked.py      FastTimeStackedLSTM: a stack whose bottom layer may read ids, and whose
                    step passes the equal rows on to its LSTMs
    input_feeding.py  FastTimeInputFeeding: input feeding's recurrence in time-major buffers
    packing.py      a padded batch's real positions as one block (the Transformer's encoder)
    reductions.py   sums and means as BLAS products, the column-loop maximum, mask biases
    affine.py       FastAffine: BLAS bias sums, one product for an (N, 1, I) step
    layernorm.py    FastLayerNorm: LayerNorm's reductions as BLAS products
    feedforward.py  FastFeedForward: FeedForward of FastAffine maps
    multihead.py    FastMultiHeadAttention: in-place scores softmax, merged-heads matmuls,
                    packed rows, the K/V cache with K laid out as Kᵀ

A reader of the book reads ``attnseq.layers``; models built with ``impl="fast"`` (the
default) run these instead.
"""

from attnseq.fast.affine import FastAffine
from attnseq.fast.attention import FastAttention
from attnseq.fast.cell import FastLSTM
from attnseq.fast.embedding import FastEmbedding, FastTimeEmbedding
from attnseq.fast.feedforward import FastFeedForward
from attnseq.fast.input_feeding import FastTimeInputFeeding
from attnseq.fast.layernorm import FastLayerNorm
from attnseq.fast.lstm import EmbeddingLSTM, FastTimeLSTM
from attnseq.fast.multihead import FastMultiHeadAttention
from attnseq.fast.stacked import FastTimeStackedLSTM

__all__ = ["EmbeddingLSTM", "FastAffine", "FastAttention", "FastEmbedding", "FastFeedForward",
           "FastLSTM", "FastLayerNorm", "FastMultiHeadAttention", "FastTimeEmbedding",
           "FastTimeInputFeeding", "FastTimeLSTM", "FastTimeStackedLSTM"]
