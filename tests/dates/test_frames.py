"""Dates in data frames: a pandas Series, and the Dask path on a two-worker LocalCluster."""

import pytest

from attnseq.dates import DateNormaliser, normalise_series
from attnseq.dates.builtin import load

pandas = pytest.importorskip("pandas")

QUESTIONS = ["TUESDAY, SEPTEMBER 25, 1984", None, "9/8/97", "jun 17, 2013", "5/6/07 ☃",
             "sat, mar 7, 2015", float("nan")]


# Numeric dates for the cluster: a question with letters would make each worker read the
# weekday names of every CLDR language (seconds); the pandas test covers those.
NUMERIC = ["9/8/97", None, "12/31/1999", "5/6/07 ☃", "10.02.2021", float("nan"), "20/20/20"]


def expected(model, questions=QUESTIONS):
    """What the normaliser answers one by one; None for missing values."""
    norm = DateNormaliser(load(model))
    return [None if not isinstance(q, str) else norm.normalise([q])[0] for q in questions]


def test_a_series_keeps_its_index_and_name():
    series = pandas.Series(QUESTIONS, index=[10, 11, 12, 13, 14, 15, 16], name="when")
    out = normalise_series(series, model="dates-book")
    assert list(out.index) == list(series.index) and out.name == "when"
    assert list(out) == expected("dates-book")
    assert out[10] == "1984-09-25" and out[11] is None and out[14] is None


def test_an_empty_series():
    out = normalise_series(pandas.Series([], dtype=object), model="dates-book")
    assert len(out) == 0


def test_dask_map_partitions_on_a_two_worker_local_cluster():
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    frame = pandas.DataFrame({"when": NUMERIC * 2, "n": range(2 * len(NUMERIC))})
    ddf = dd.from_pandas(frame, npartitions=4)
    ddf["iso"] = ddf["when"].map_partitions(normalise_series, model="dates-book",
                                            meta=("iso", "object"))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        result = ddf.compute()
        # each worker process loaded the model once and kept it for its partitions
        loads = client.run(_loads_in_this_process)
    assert len(loads) == 2
    assert all(n <= 1 for n in loads.values()) and sum(loads.values()) >= 1
    assert list(result["n"]) == list(range(2 * len(NUMERIC)))
    answers = expected("dates-book", NUMERIC)
    assert list(result["iso"]) == answers * 2
    assert answers[0] == "1997-09-08" and answers[1] is None and answers[3] is None


def _loads_in_this_process() -> int:
    from attnseq.dates.builtin import loaded

    return loaded.cache_info().currsize
