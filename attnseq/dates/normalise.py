"""The date normaliser: a model's best answer that is a real date, with its probability, or
none.

A seq2seq model may write an answer that is no date (``2003-00-09``) or the wrong one of two
readings (``Tue 3/2/21`` as 2021-02-03, a Wednesday). ``DateNormaliser`` decodes each question
by beam search, keeps all K hypotheses (``n_best = beam``), and answers with the first of
them, in the beam's order (its score: the log-probability with the default alpha = beta = 0),
that ``attnseq.dates.validity.accepts``: a valid ISO date with a year in 1000-2999, on the
weekday the question names if it names one. If none of the K is acceptable, it abstains.

Its **probability** is the model's probability of that answer as a whole,

    P(Y | X) = prod_j p(y_j | y_<j, X)  =  exp(sum of the hypothesis' log_probs),

the end token included: the chance that the model, sampling, writes exactly this answer. It
is not renormalised over the beam or over the valid answers, so a question the model finds
ambiguous (two readings at 0.5) gets 0.5 whichever it is given. ``min_confidence`` P abstains
when the answer's probability is below P (P = 0: never for this reason).

    norm = DateNormaliser(Converter.load("runs/dates"), beam=5, min_confidence=0.5)
    norm.outcomes(["9/8/97", "5/6/07 ☃"])
    # [Outcome('1997-09-08', 0.97..., None), Outcome(None, None, "unknown character ...")]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy

from attnseq.core.errors import AttnseqError, positive_int
from attnseq.dates.stream import Outcome, refusals
from attnseq.dates.validity import accepts


def probability(name: str, value) -> float:
    """A number in [0, 1] (a confidence threshold) as a float, else the one-line error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise AttnseqError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


class DateNormaliser:
    """A converter (``attnseq.experiments.converter.Converter``) whose answers are dates.

    ``beam`` K >= 1 hypotheses are searched and all K kept; ``min_confidence`` in [0, 1];
    ``batch_size`` questions are searched at a time; ``locale`` is the locale hint (None:
    the model's default order, docs/dates-wild.md); ``settings`` are beam search's others
    (alpha, beta, min_length, max_length: ``attnseq.decoding.beam``; max_length defaults to
    the model's ``output_len``).
    """

    def __init__(self, conv, *, beam: int = 5, min_confidence: float = 0.0,
                 batch_size: int = 256, locale: str | None = None, **settings):
        self.conv = conv
        self.locale = conv.hint(locale)
        beam = positive_int("beam", beam)
        self.search = conv.beam(beam=beam, n_best=beam,
                                **{"max_length": conv.output_len, **settings})
        self.min_confidence = probability("min_confidence", min_confidence)
        self.batch_size = positive_int("batch_size", batch_size)

    def outcomes(self, texts: Sequence[str]) -> list[Outcome]:
        """Per text its ``Outcome``: the accepted date and its probability, or None and why
        (refused by the model, no valid date among the K hypotheses, or below
        ``min_confidence``)."""
        bad = refusals(self.conv, texts, self.locale)
        good = [t for i, t in enumerate(texts) if i not in bad]
        hypotheses = iter(self.conv.hypotheses(good, self.search, self.batch_size, self.locale)
                          if good else ())
        out = []
        for i, text in enumerate(texts):
            out.append(Outcome(None, None, bad[i]) if i in bad
                       else self._choose(text, next(hypotheses)))
        return out

    def normalise(self, texts: Sequence[str]) -> list[str | None]:
        """Per text its date (ISO text), or None where the normaliser refused or abstained."""
        return [o.output for o in self.outcomes(texts)]

    @classmethod
    def normalise_each(cls, conv, texts: Sequence[str], hints: Sequence[str | None],
                       **settings) -> list[str | None]:
        """``normalise`` of each text with its own locale hint (None: none), a batch per
        hint; ``settings`` are the normaliser's (beam, min_confidence, ...)."""
        groups: dict[str | None, list[int]] = {}
        for n, hint in enumerate(hints):
            groups.setdefault(hint, []).append(n)
        dates: list[str | None] = [None] * len(texts)
        for hint, members in groups.items():
            found = cls(conv, locale=hint, **settings).normalise([texts[n] for n in members])
            for n, date in zip(members, found, strict=True):
                dates[n] = date
        return dates

    def _choose(self, question: str, hypotheses) -> Outcome:
        """The first acceptable hypothesis of the beam (best first), or an abstention."""
        for h in hypotheses:
            answer = self.conv.text(h.tokens)
            if accepts(question, answer):
                p = math.exp(float(numpy.sum(h.log_probs)))
                if p < self.min_confidence:
                    return Outcome(None, p, f"abstained: {answer} has probability {p:.4f}, "
                                            f"below {self.min_confidence:g}")
                return Outcome(answer, p, None)
        return Outcome(None, 0.0, f"abstained: no valid date among the "
                                  f"{len(hypotheses)} best answers")
