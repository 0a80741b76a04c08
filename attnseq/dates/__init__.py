"""The date normaliser: dates as people write them in, ISO dates (or nothing) out.

* ``validity``: what may be answered: a real calendar date, years 1000-2999, on the weekday
  the question names;
* ``normalise``: ``DateNormaliser``, greedy decoding where its answer is valid and more
  likely than 1/2, else beam search re-ranked by validity, with each answer's probability
  and abstentions (``min_confidence``);
* ``stream``: lines in, lines out in bounded memory, ``on_error`` and CSV/TSV fields (what
  ``attnseq convert`` runs on standard input);
* ``builtin``: the models shipped in the package (``attnseq models``), and a model name's
  resolution (a directory, else a built-in model);
* ``frames``: ``normalise_series`` for pandas, and the Dask path.

docs/dates.md shows them from the command line and from Python.
"""

from attnseq.dates.frames import normalise_series
from attnseq.dates.normalise import DateNormaliser
from attnseq.dates.stream import Outcome
from attnseq.dates.validity import accepts, iso_date, named_weekdays

__all__ = ["DateNormaliser", "Outcome", "accepts", "iso_date", "named_weekdays",
           "normalise_series"]
