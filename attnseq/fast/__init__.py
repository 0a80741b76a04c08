"""The fast layer set: every speed-up, each a layer with the contract of the book's layer it
replaces (``attnseq.layers``) and tested equal to it, outputs and every gradient, in float64.

    lstm.py         FastTimeLSTM (TimeLSTM's loop in fewer, larger operations) and
                    EmbeddingLSTM (Embedding + that LSTM over ids, shared prefixes run once)
    shared_rows.py  prefix plans and the projection of repeated tokens, which EmbeddingLSTM uses
    packing.py      a padded batch's real positions as one block (the Transformer's encoder)

A reader of the book reads ``attnseq.layers``; models built with ``impl="fast"`` (the
default) run these instead.
"""

from attnseq.fast.lstm import EmbeddingLSTM, FastTimeLSTM

__all__ = ["EmbeddingLSTM", "FastTimeLSTM"]
