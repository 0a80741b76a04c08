"""The date normaliser: a model's best answer that is a real date, with its probability, or
none.

A seq2seq model may write an answer that is no date (``2003-00-09``) or the wrong one of two
readings (``Tue 3/2/21`` as 2021-02-03, a Wednesday). ``DateNormaliser`` answers each question
with the first of the K hypotheses of beam search (``n_best = beam``), in the beam's order (its
score: the log-probability with the default alpha = beta = 0), that
``attnseq.dates.validity.accepts``: a valid ISO date with a year in 1000-2999, on the weekday
the question names if it names one, and, where the model was taught locale hints, for a
question of three numbers alone (``8/3/02``) their reading in the order of its hint, month
first without one, where that is a date (``reading_order_of``). If none of the K is
acceptable, it abstains.

Its **probability** is the model's probability of that answer as a whole,

    P(Y | X) = prod_j p(y_j | y_<j, X)  =  exp(sum of the hypothesis' log_probs),

the end token included: the chance that the model, sampling, writes exactly this answer. It
is not renormalised over the beam or over the valid answers, so a question the model finds
ambiguous (two readings at 0.5) gets 0.5 whichever it is given. ``min_confidence`` P abstains
when the answer's probability is below P (P = 0: never for this reason).

**Greedy first.** Most questions need no search. Every question is first decoded greedily,
with the probability of what greedy decoding wrote (``Converter.scored``); where that is above
1/2 and the answer is acceptable, it is the answer: no other output can be as likely (all of
them together have less than 1/2), so greedy's output is the most likely of all, the first
hypothesis of beam search of any width, and the answer beam search would give. Only the other
questions are searched (and those just above 1/2, whose runner-up may be as likely, to
float32's rounding). The answers are the same as searching them all (``greedy_first=False``
does, for comparison), at a fraction of the cost (docs/dates.md has the figures).

    norm = DateNormaliser(Converter.load("runs/dates"), beam=5, min_confidence=0.5)
    norm.outcomes(["9/8/97", "5/6/07 ☃"])
    # [Outcome('1997-09-08', 0.97..., None), Outcome(None, None, "unknown character ...")]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy

from attnseq.core.errors import AttnseqError, positive_int
from attnseq.dates.stream import Outcome, encoded
from attnseq.dates.validity import accepts
from attnseq.tasks.wild.hints import reading_order

# Above 1/2, greedy's answer is the most likely of all. The margin leaves a question whose
# two readings are each near 1/2 to the search, which sums its log-probabilities in other
# batches and so to a float32 rounding apart.
_GREEDY_STANDS = math.log(0.5) + 1e-4


def probability(name: str, value) -> float:
    """A number in [0, 1] (a confidence threshold) as a float, else the one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise AttnseqError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def reading_order_of(hint: str | None) -> str | None:
    """The order a question of three numbers alone is read in (``validity.numeric_reading``):
    without a hint month first, the documented default; with one, its locale's (CLDR's, so
    Babel's: without Babel, None, and the model's reading stands)."""
    try:
        return reading_order(hint, None)  # no words: the question is numbers alone
    except AttnseqError:  # Babel is not installed
        return None


class DateNormaliser:
    """A converter (``attnseq.experiments.converter.Converter``) whose answers are dates.

    ``beam`` K >= 1 hypotheses are searched and all K kept; ``min_confidence`` in [0, 1];
    ``batch_size`` questions are searched at a time; ``locale`` is the locale hint (None:
    the model's default order, docs/dates-wild.md); ``greedy_first`` decodes greedily before
    searching (the module docstring; not with alpha, beta, a min_length over 1 or a
    max_length other than the model's); ``settings`` are beam search's others (alpha, beta,
    min_length, max_length: ``attnseq.decoding.beam``; max_length defaults to the model's
    ``output_len``).
    """

    def __init__(self, conv, *, beam: int = 5, min_confidence: float = 0.0,
                 batch_size: int = 256, locale: str | None = None, greedy_first: bool = True,
                 **settings):
        self.conv = conv
        self.locale = conv.hint(locale)
        beam = positive_int("beam", beam)
        self.search = conv.beam(beam=beam, n_best=beam,
                                **{"max_length": conv.output_len, **settings})
        # Greedy's answer is beam search's only where the search ranks by log P(Y | X) over
        # the outputs greedy decoding can write: no penalties, every length greedy's.
        s = self.search
        self.greedy_first = greedy_first and s.alpha == s.beta == 0 and s.min_length <= 1 \
            and s.max_length == conv.output_len
        self.min_confidence = probability("min_confidence", min_confidence)
        self.batch_size = positive_int("batch_size", batch_size)

    def outcomes(self, texts: Sequence[str], hints: Sequence[str | None] | None = None
                 ) -> list[Outcome]:
        """Per text its ``Outcome``: the accepted date and its probability, or None and why
        (refused by the model, no valid date among the K hypotheses, or below
        ``min_confidence``). ``hints``: each text's own locale hint, all decoded in the same
        batches; a None in them is no hint (not the normaliser's ``locale``); ``hints`` None
        gives every text the normaliser's ``locale``."""
        xs, bad = self._encoded(texts, hints)
        # The documented order is the hinted models'; a model without hints read its numbers
        # as its own data did, and keeps its reading.
        orders = [reading_order_of(h) if self.conv.vocab.hints else None
                  for h in (hints or [self.locale] * len(texts))]
        good = [i for i in range(len(texts)) if i not in bad]
        out = {i: Outcome(None, None, why) for i, why in bad.items()}
        rows = numpy.arange(len(good))  # the rows of xs left to decide
        if self.greedy_first and good:
            answers, log_p = self.conv.scored(xs, self.batch_size)
            left = []
            for k, (i, answer, lp) in enumerate(zip(good, answers, log_p, strict=True)):
                if lp > _GREEDY_STANDS and accepts(texts[i], answer, orders[i]):
                    out[i] = self._verdict(answer, math.exp(lp))
                else:
                    left.append(k)
            rows = numpy.array(left, dtype=int)
        if len(rows):
            hypotheses = self.conv.searched(xs[rows], self.search, self.batch_size)
            for row, hyps in zip(rows.tolist(), hypotheses, strict=True):
                i = good[row]
                out[i] = self._choose(texts[i], hyps, orders[i])
        return [out[i] for i in range(len(texts))]

    def normalise(self, texts: Sequence[str], hints: Sequence[str | None] | None = None
                  ) -> list[str | None]:
        """Per text its date (ISO text), or None where the normaliser refused or abstained;
        ``hints`` as ``outcomes`` takes them."""
        return [o.output for o in self.outcomes(texts, hints)]

    @classmethod
    def normalise_each(cls, conv, texts: Sequence[str], hints: Sequence[str | None],
                       **settings) -> list[str | None]:
        """``normalise`` of each text with its own locale hint (None: none); ``settings`` are
        the normaliser's (beam, min_confidence, ...)."""
        return cls(conv, **settings).normalise(texts, hints)

    def _encoded(self, texts: Sequence[str], hints: Sequence[str | None] | None
                 ) -> tuple[numpy.ndarray, dict[int, str]]:
        """``attnseq.dates.stream.encoded`` of the texts, each with its hint: xs (M,
        question_len) of those that can be encoded, in order, and {index: why} of the
        others. A hint the model was not taught is the one-line error."""
        if hints is None:
            return encoded(self.conv, texts, self.locale)
        if len(hints) != len(texts):
            raise AttnseqError(f"need one hint per text; got {len(hints)} for "
                               f"{len(texts)} texts")
        groups: dict[str | None, list[int]] = {}
        for i, hint in enumerate(hints):
            groups.setdefault(self.conv.hint(hint), []).append(i)
        bad: dict[int, str] = {}
        placed: list[tuple[list[int], numpy.ndarray]] = []
        for hint, members in groups.items():
            xs, why = encoded(self.conv, [texts[i] for i in members], hint)
            bad.update((members[k], reason) for k, reason in why.items())
            placed.append(([i for k, i in enumerate(members) if k not in why], xs))
        rank = {i: k for k, i in enumerate(i for i in range(len(texts)) if i not in bad)}
        out = numpy.zeros((len(rank), self.conv.config.question_len), dtype=numpy.int32)
        for members, xs in placed:
            out[[rank[i] for i in members]] = xs
        return out, bad

    def _choose(self, question: str, hypotheses, order: str | None) -> Outcome:
        """The first acceptable hypothesis of the beam (best first), or an abstention."""
        for h in hypotheses:
            answer = self.conv.text(h.tokens)
            if accepts(question, answer, order):
                return self._verdict(answer, math.exp(float(numpy.sum(h.log_probs))))
        return Outcome(None, 0.0, f"abstained: no valid date among the "
                                  f"{len(hypotheses)} best answers")

    def _verdict(self, answer: str, p: float) -> Outcome:
        """An acceptable ``answer`` of probability ``p``, or the abstention below
        ``min_confidence``."""
        if p < self.min_confidence:
            return Outcome(None, p, f"abstained: {answer} has probability {p:.4f}, "
                                    f"below {self.min_confidence:g}")
        return Outcome(answer, p, None)
