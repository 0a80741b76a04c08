"""Decoding: turning a model's step function into output sequences.

* ``protocol``: what a model offers to be decoded (``Decodable``: ``start`` and ``step``), what
  its state is (arrays only, batch-first), and ``select``, which reorders a state's rows;
* ``greedy``: the most likely token at every step, for a whole batch at once (and, with
  ``scored_greedy``, the probability of what it wrote);
* ``beam``: beam search with length and coverage penalties (``BeamSearch``, ``beam_search``),
  batched over inputs and beams, returning scored ``Hypothesis``es;
* ``batching``: how many inputs are split into batches of like inputs and spread over threads
  (``batch_rows``, ``decode_in_batches``), whatever the algorithm.
"""

from attnseq.decoding.batching import DEFAULT_BATCH, batch_rows, decode_in_batches
from attnseq.decoding.beam import BeamSearch, Hypothesis, beam_search, log_softmax
from attnseq.decoding.greedy import greedy, scored_greedy
from attnseq.decoding.protocol import EQUAL_ROWS, Decodable, input_attention, select, stepped

__all__ = ["DEFAULT_BATCH", "EQUAL_ROWS", "BeamSearch", "Decodable", "Hypothesis",
           "batch_rows", "beam_search", "decode_in_batches", "greedy", "input_attention",
           "log_softmax", "scored_greedy", "select", "stepped"]
