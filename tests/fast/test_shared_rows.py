"""attnseq.fast.shared_rows: prefix plans cover every distinct prefix exactly once (or, in
a contiguous step, at least once), and the per-token projection equals the plain product.
``EmbeddingLSTM``, which runs the plans, is checked against the reference in
test_fast_lstm.py."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from attnseq.fast.shared_rows import (
    INPUT_SHARE,
    RECURRENT_SHARE,
    PrefixPlan,
    StepRows,
    distinct_rows,
    input_projection,
    prefix_order,
    recurrent_product,
)

D, H = 4, 6


def weights(rng):
    return rng.standard_normal((D, 4 * H)), None, rng.standard_normal(4 * H)


# (N, T) tables of small ids, so that rows often share prefixes
key_tables = st.integers(1, 7).flatmap(lambda n: st.integers(1, 6).flatmap(
    lambda t: st.lists(st.lists(st.integers(0, 2), min_size=t, max_size=t),
                       min_size=n, max_size=n)))


def by_gate(a):
    """(R, 4H) -> (4, R, H), gate k being columns kH:(k+1)H: the layout input_projection
    returns, built here gate by gate."""
    return np.stack([a[:, k * H:(k + 1) * H] for k in range(4)])


@given(key_tables)
def test_prefix_plan_computes_every_distinct_prefix(keys):
    keys = np.array(keys)
    n, t_len = keys.shape
    plan = PrefixPlan.for_keys(keys)
    order = np.arange(n) if plan.order is None else plan.order  # None: given sorted already
    assert sorted(order.tolist()) == list(range(n)) and plan.batch == n
    assert len(plan.steps) == t_len
    sorted_keys = keys[order]
    np.testing.assert_array_equal(plan.sort(keys), sorted_keys)
    np.testing.assert_array_equal(plan.unsort(sorted_keys), keys)
    rows = []
    for t, step in enumerate(plan.steps):
        distinct = {tuple(row) for row in keys[:, :t + 1]}
        if not step.gathered:  # rows :m; row m-1 carries the rest
            m = step.count
            first, run = np.arange(m), np.minimum(np.arange(n), m - 1)
            assert step.run is None
            assert len(first) >= len(distinct)
        else:  # exactly one row per distinct prefix
            first, run = step.first, step.run
            assert step.count == len(first) == len(distinct)
        rows.extend(t * n + first)
        assert {tuple(row) for row in sorted_keys[first, :t + 1]} == distinct
        # every sorted row is in the run of a row with the same prefix
        np.testing.assert_array_equal(sorted_keys[first[run], :t + 1], sorted_keys[:, :t + 1])
    if plan.computed_rows() is None:
        assert rows == list(range(n * t_len))
    else:
        assert plan.computed_rows().tolist() == rows


def test_every_row_plan_computes_everything_in_the_given_order():
    plan = PrefixPlan.every_row(3, 4)
    assert plan.order is None and plan.steps == (StepRows(3),) * 4
    assert plan.computed_rows() is None


@given(key_tables)
def test_prefix_order_sorts_largest_first_and_keeps_equal_rows_in_order(keys):
    order = prefix_order(np.array(keys))
    rows = [(tuple(keys[i]), i) for i in range(len(keys))]
    # descending by the keys, ascending by position among equal keys
    expected = [i for _, i in sorted(rows, key=lambda r: ([-k for k in r[0]], r[1]))]
    assert order.tolist() == expected


@given(key_tables)
def test_prefix_plan_of_sorted_rows_sorts_nothing(keys):
    keys = np.array(keys)
    keys = keys[prefix_order(keys)]
    assert PrefixPlan.for_keys(keys).order is None


@given(st.lists(st.integers(0, 4), min_size=1, max_size=12))
def test_input_projection_with_keys_equals_the_plain_product(keys):
    rng = np.random.default_rng(len(keys))
    keys = np.array(keys)
    vectors = rng.standard_normal((5, D))
    x = vectors[keys]  # equal keys, equal rows
    Wx, _, b = weights(rng)
    expected = by_gate(x @ Wx + b)
    assert input_projection(x, Wx, b, keys).shape == (4, len(keys), H)
    np.testing.assert_allclose(input_projection(x, Wx, b, keys), expected, rtol=0, atol=1e-13)
    np.testing.assert_allclose(input_projection(x, Wx, b), expected, rtol=0, atol=1e-13)


def test_input_projection_projects_only_the_distinct_rows():
    rng = np.random.default_rng(5)
    Wx, _, b = weights(rng)
    keys = np.array([0, 1, 0, 0, 2, 1, 1, 0] * 5)  # 40 rows, 3 distinct
    x = rng.standard_normal((3, D))[keys]
    rows = []

    class Spy(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            plain = [np.asarray(a) if isinstance(a, Spy) else a for a in inputs]
            if ufunc is np.matmul:
                rows.append(plain[0].shape[0])
            return getattr(ufunc, method)(*plain, **kwargs)

    np.testing.assert_allclose(input_projection(x.view(Spy), Wx, b, keys), by_gate(x @ Wx + b),
                               rtol=0, atol=1e-13)
    assert rows == [3]


def test_recurrent_product_multiplies_each_distinct_state_once_while_few_are_distinct():
    """The recurrent product deduplicates up to RECURRENT_SHARE distinct rows (its matmul is
    worth far more than the gather), the input projection only up to INPUT_SHARE."""
    rng = np.random.default_rng(6)
    Wh = rng.standard_normal((H, 4 * H))
    R = 40
    for distinct in (3, 30, 36, 37, 40):
        keys = np.arange(R) % distinct
        h = rng.standard_normal((distinct, H))[keys]
        rows = []
        spy = np.ndarray.__new__(_MatmulSpy, h.shape, buffer=h.copy(), dtype=h.dtype)
        spy.rows = rows
        np.testing.assert_allclose(recurrent_product(spy, Wh, keys), h @ Wh, rtol=0,
                                   atol=1e-12)
        assert rows == [distinct if distinct <= RECURRENT_SHARE * R else R], distinct
        assert (distinct_rows(keys) is None) == (distinct > INPUT_SHARE * R)


class _MatmulSpy(np.ndarray):
    """An array that records the rows of the matmuls it is the left side of."""

    def __array_finalize__(self, obj):
        self.rows = getattr(obj, "rows", None)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul and self.rows is not None:
            self.rows.append(np.asarray(inputs[0]).shape[0])
        plain = [np.asarray(a) if isinstance(a, _MatmulSpy) else a for a in inputs]
        return getattr(ufunc, method)(*plain, **kwargs)
