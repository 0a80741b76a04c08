"""Dates in data frames: a pandas Series normalised in one call, and the same on Dask.

pandas (one machine)::

    from attnseq.dates import normalise_series
    df["iso"] = normalise_series(df["when"], model="dates")

Dask (data beyond one machine): ``map_partitions`` runs ``normalise_series`` on every
partition, a pandas Series, in the worker that holds it; the model is loaded once per worker
process (``attnseq.dates.builtin.loaded``) and kept for every later partition::

    import dask.dataframe as dd
    ddf = dd.read_csv("dates-*.csv")
    ddf["iso"] = ddf["when"].map_partitions(normalise_series, model="dates",
                                            meta=("iso", "object"))
    ddf.to_csv("normalised-*.csv")

The result is a Series of the same index, holding ISO date strings, and None where the
normaliser refused or abstained (``attnseq.dates.normalise``). Missing values (None, NaN)
stay None. pandas and Dask are the ``dataframes`` extra: ``pip install 'attnseq[dataframes]'``.
"""

from __future__ import annotations

from attnseq.core.errors import AttnseqError


def _pandas():
    try:
        import pandas  # noqa: PLC0415 - optional: only data frames need it
    except ImportError:
        raise AttnseqError("data frames need pandas: pip install 'attnseq[dataframes]'") from None
    return pandas


def normalise_series(series, model: str = "dates", *, locale: str | None = None,
                     beam: int = 5, min_confidence: float = 0.0, batch_size: int = 256):
    """The dates of a pandas Series of texts (module docstring): a Series of ISO strings or
    None, same index and name. ``model`` is a model directory or a built-in model's name;
    ``locale`` (the locale hint), ``beam``, ``min_confidence`` and ``batch_size`` are the
    normaliser's."""
    from attnseq.dates.builtin import loaded
    from attnseq.dates.normalise import DateNormaliser

    pandas = _pandas()
    normaliser = DateNormaliser(loaded(model), beam=beam, min_confidence=min_confidence,
                                batch_size=batch_size, locale=locale)
    present = series.notna()
    texts = [str(text) for text in series[present]]
    result = pandas.Series([None] * len(series), index=series.index, name=series.name,
                           dtype=object)
    if texts:
        result[present] = normaliser.normalise(texts)
    return result
