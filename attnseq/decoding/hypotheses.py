"""Beam search's bookkeeping: the hypotheses it returns, the alive beams' histories, and the
pile of finished hypotheses of every input -- arrays over (inputs, beams), no Python loops
over either (``attnseq.decoding.beam`` is the search itself)."""

from __future__ import annotations

from typing import NamedTuple

import numpy

from attnseq.core.backend import INDEX_DTYPE


class Hypothesis(NamedTuple):
    """One output of beam search. ``tokens`` (|Y|,) ids, ending with the end token unless the
    search hit max_length; ``log_probs`` (|Y|,) log P(y_j | y_<j, X) of each token; ``score``
    s(Y) (``attnseq.decoding.beam``); ``attention`` (|Y|, Te) over the input positions (row
    j: what step j attended to), or None for a model without attention."""

    tokens: numpy.ndarray
    score: float
    log_probs: numpy.ndarray
    attention: numpy.ndarray | None


class History:
    """What the alive beams have emitted: tokens (A, K, L), log_probs (A, K, L), coverage
    (A, K, Te), the attention summed over the steps, and, when ``record``, attention
    (A, K, L, Te) (else None: the coverage penalty needs the sums only)."""

    tokens: numpy.ndarray
    log_probs: numpy.ndarray
    attention: numpy.ndarray | None
    coverage: numpy.ndarray

    def __init__(self, A, K, L, Te, *, record: bool, arrays=None):
        self.record = record
        self.tokens, self.log_probs, self.attention, self.coverage = arrays or (
            numpy.zeros((A, K, L), INDEX_DTYPE), numpy.zeros((A, K, L)), None,
            numpy.zeros((A, K, Te)))

    def grown(self, parent, token, token_logp, step_att, t: int) -> History:
        """The histories of the extensions (parent (A, J) beam, token (A, J)) at step t;
        step_att (A, K, Te) is what each parent attended to at this step, or None."""
        a = numpy.arange(parent.shape[0])[:, None]
        tokens, log_probs = self.tokens[a, parent], self.log_probs[a, parent]
        tokens[:, :, t], log_probs[:, :, t] = token, token_logp
        attention, coverage = self.attention, self.coverage[a, parent]
        if step_att is not None:
            att = step_att[a, parent]  # (A, J, Te)
            coverage = coverage + att
            if self.record:
                attention = numpy.zeros(tokens.shape + (att.shape[2],)) if attention is None \
                    else attention[a, parent]
                attention[:, :, t] = att
        return History(0, 0, 0, 0, record=self.record,
                        arrays=(tokens, log_probs, attention, coverage))

    def rows(self, which) -> History:
        """The histories of the inputs ``which`` (a bool or index array over A)."""
        return History(0, 0, 0, 0, record=self.record, arrays=tuple(
            None if x is None else x[which]
            for x in (self.tokens, self.log_probs, self.attention, self.coverage)))


class Pile:
    """The M best finished hypotheses of every input: scores (N, M), -inf where none yet,
    best first; tokens, log_probs (N, M, L), lengths (N, M), attention (N, M, L, Te)."""

    def __init__(self, N, M, L, Te):
        self.scores = numpy.full((N, M), -numpy.inf)
        self.tokens = numpy.zeros((N, M, L), INDEX_DTYPE)
        self.log_probs = numpy.zeros((N, M, L))
        self.lengths = numpy.zeros((N, M), numpy.int64)
        self.attention = None
        self.shape = (N, M, L, Te)

    def add(self, inputs, scores, hist: History, length: int) -> None:
        """Merge hypotheses of ``length`` tokens (scores (I, J), -inf: not a hypothesis) into
        the piles of ``inputs`` (I,), keeping the M best; a tie keeps the earlier one."""
        M = self.shape[1]
        merged = numpy.concatenate([self.scores[inputs], scores], axis=1)
        top = numpy.argsort(-merged, axis=1, kind="stable")[:, :M]
        i = numpy.arange(len(inputs))[:, None]

        def merge(old, new):
            return numpy.concatenate([old[inputs], new], axis=1)[i, top]

        self.scores[inputs] = numpy.take_along_axis(merged, top, axis=1)
        self.tokens[inputs] = merge(self.tokens, hist.tokens)
        self.log_probs[inputs] = merge(self.log_probs, hist.log_probs)
        self.lengths[inputs] = merge(self.lengths, numpy.full(scores.shape, length))
        if hist.attention is not None:
            if self.attention is None:
                self.attention = numpy.zeros(self.shape[:3] + (hist.attention.shape[3],))
            self.attention[inputs] = merge(self.attention, hist.attention)

    def best_ids(self, width: int, fill: int):
        """The best hypothesis of every input as ids (N, width): its tokens (cut at width),
        then ``fill``."""
        L = self.tokens.shape[2]
        out = numpy.full((self.tokens.shape[0], max(width, L)), fill, dtype=INDEX_DTYPE)
        out[:, :L] = numpy.where(numpy.arange(L) < self.lengths[:, :1], self.tokens[:, 0], fill)
        return out[:, :width]

    def hypotheses(self) -> list[list[Hypothesis]]:
        """Per input, its finished hypotheses best first (fewer than M only when the
        vocabulary is too small to fill the beam)."""
        out = []
        for n in range(self.scores.shape[0]):
            hyps = []
            for m in numpy.flatnonzero(numpy.isfinite(self.scores[n])):
                k = self.lengths[n, m]
                att = None if self.attention is None else self.attention[n, m, :k].copy()
                hyps.append(Hypothesis(self.tokens[n, m, :k].copy(), float(self.scores[n, m]),
                                       self.log_probs[n, m, :k].copy(), att))
            out.append(hyps)
        return out
