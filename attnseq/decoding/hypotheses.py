"""Beam search's bookkeeping: the hypotheses it returns, the alive beams' histories, and the
pile of finished hypotheses of every input -- arrays over (inputs, beams), no Python loops
over either (``attnseq.decoding.beam`` is the search itself).

Histories and piles live where the model's arrays do (``xp``: on the device under CuPy);
only the finished piles come to the host, once, through ``to_numpy``, when the search hands
back its hypotheses (``Pile.hypotheses``) or its best ids (``Pile.best_ids``)."""

from __future__ import annotations

from typing import NamedTuple

import numpy

from attnseq.core.backend import INDEX_DTYPE, to_numpy, xp


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
            xp.zeros((A, K, L), INDEX_DTYPE), xp.zeros((A, K, L)), None,
            xp.zeros((A, K, Te)))

    def grown(self, parent, token, token_logp, step_att, t: int) -> History:
        """The histories of the extensions (parent (A, J) beam, token (A, J)) at step t;
        step_att (A, K, Te) is what each parent attended to at this step, or None."""
        a = xp.arange(parent.shape[0])[:, None]
        tokens, log_probs = self.tokens[a, parent], self.log_probs[a, parent]
        tokens[:, :, t], log_probs[:, :, t] = token, token_logp
        attention, coverage = self.attention, self.coverage_of(parent, step_att)
        if step_att is not None and self.record:
            att = step_att[a, parent]  # (A, J, Te)
            attention = xp.zeros(tokens.shape + (att.shape[2],)) if attention is None \
                else attention[a, parent]
            attention[:, :, t] = att
        return History(0, 0, 0, 0, record=self.record,
                        arrays=(tokens, log_probs, attention, coverage))

    def coverage_of(self, parent, step_att):
        """The coverage (A, J, Te) of the extensions of ``parent`` (A, J) beams: the parents'
        sums plus what each parent attended to at this step, step_att (A, K, Te) (None: the
        parents' sums)."""
        a = xp.arange(parent.shape[0])[:, None]
        coverage = self.coverage[a, parent]
        return coverage if step_att is None else coverage + step_att[a, parent]

    def rows(self, which) -> History:
        """The histories of the inputs ``which`` (a bool or index array over A)."""
        return History(0, 0, 0, 0, record=self.record, arrays=tuple(
            None if x is None else x[which]
            for x in (self.tokens, self.log_probs, self.attention, self.coverage)))


class Pile:
    """The M best finished hypotheses of every input: scores (N, M), -inf where none yet,
    best first; tokens, log_probs (N, M, L), lengths (N, M), attention (N, M, L, Te)."""

    def __init__(self, N, M, L, Te):
        self.scores = xp.full((N, M), -numpy.inf)
        self.tokens = xp.zeros((N, M, L), INDEX_DTYPE)
        self.log_probs = xp.zeros((N, M, L))
        self.lengths = xp.zeros((N, M), numpy.int64)
        self.attention = None
        self.shape = (N, M, L, Te)

    def mth_best(self, inputs, scores):
        """The M-th best score (I,) of the piles of ``inputs`` (I,) were ``scores`` (I, J)
        added to them (``add``), without adding them: -inf while fewer than M are finite."""
        merged = xp.concatenate([self.scores[inputs], scores], axis=1)
        return xp.sort(merged, axis=1)[:, -self.shape[1]]

    def add(self, inputs, scores, hist: History, length: int) -> None:
        """Merge hypotheses of ``length`` tokens (scores (I, J), -inf: not a hypothesis) into
        the piles of ``inputs`` (I,), keeping the M best; a tie keeps the earlier one."""
        M = self.shape[1]
        merged = xp.concatenate([self.scores[inputs], scores], axis=1)
        top = xp.argsort(-merged, axis=1, kind="stable")[:, :M]
        i = xp.arange(len(inputs))[:, None]

        def merge(old, new):
            return xp.concatenate([old[inputs], new], axis=1)[i, top]

        self.scores[inputs] = xp.take_along_axis(merged, top, axis=1)
        self.tokens[inputs] = merge(self.tokens, hist.tokens)
        self.log_probs[inputs] = merge(self.log_probs, hist.log_probs)
        self.lengths[inputs] = merge(self.lengths,
                                     xp.full(scores.shape, length, dtype=self.lengths.dtype))
        if hist.attention is not None:
            if self.attention is None:
                self.attention = xp.zeros(self.shape[:3] + (hist.attention.shape[3],))
            self.attention[inputs] = merge(self.attention, hist.attention)

    def best_ids(self, width: int, fill: int):
        """The best hypothesis of every input as NumPy ids (N, width): its tokens (cut at
        width), then ``fill``."""
        L = self.tokens.shape[2]
        out = xp.full((self.tokens.shape[0], max(width, L)), fill, dtype=INDEX_DTYPE)
        out[:, :L] = xp.where(xp.arange(L) < self.lengths[:, :1], self.tokens[:, 0], fill)
        return to_numpy(out[:, :width])

    def hypotheses(self) -> list[list[Hypothesis]]:
        """Per input, its finished hypotheses best first (fewer than M only when the
        vocabulary is too small to fill the beam), as NumPy arrays: the piles come to the host
        here, in one copy each."""
        scores, tokens, log_probs, lengths = (to_numpy(a) for a in (
            self.scores, self.tokens, self.log_probs, self.lengths))
        attention = None if self.attention is None else to_numpy(self.attention)
        out = []
        for n in range(scores.shape[0]):
            hyps = []
            for m in numpy.flatnonzero(numpy.isfinite(scores[n])):
                k = lengths[n, m]
                att = None if attention is None else attention[n, m, :k].copy()
                hyps.append(Hypothesis(tokens[n, m, :k].copy(), float(scores[n, m]),
                                       log_probs[n, m, :k].copy(), att))
            out.append(hyps)
        return out
