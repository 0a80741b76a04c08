"""The fast set's reductions against plain loops and NumPy's own reductions."""

import numpy as np
import pytest


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_column_sums_and_row_means_equal_plain_loops(dtype):
    from attnseq.fast.reductions import column_sums, row_means

    rng = np.random.default_rng(8)
    a = rng.standard_normal((7, 5)).astype(dtype)
    sums = [sum(float(a[r, c]) for r in range(7)) for c in range(5)]
    np.testing.assert_allclose(column_sums(a), sums, rtol=1e-5 if dtype == np.float32 else 1e-13)
    assert column_sums(a).dtype == dtype
    x = rng.standard_normal((2, 3, 5)).astype(dtype)
    means = [[[sum(float(v) for v in x[n, t]) / 5] for t in range(3)] for n in range(2)]
    np.testing.assert_allclose(row_means(x), means, rtol=1e-5 if dtype == np.float32 else 1e-13)
    assert row_means(x).shape == (2, 3, 1) and row_means(x).dtype == dtype


@pytest.mark.parametrize("shape", [(6, 4, 9, 9), (3, 9), (40, 1), (2, 3, 5)])
def test_last_axis_max_equals_numpys_max_by_rows_and_by_columns(shape):
    """Many short rows take the column-by-column passes, few long ones NumPy's reduction:
    the same numbers either way, NaN and −∞ included."""
    from attnseq.fast.reductions import last_axis_max

    x = np.random.default_rng(10).standard_normal(shape).astype(np.float32)
    x.reshape(-1)[::7] = -np.inf
    x.reshape(-1)[5] = np.nan
    got = last_axis_max(x)
    np.testing.assert_array_equal(got, x.max(axis=-1, keepdims=True))
    assert got.shape == (*shape[:-1], 1) and got.dtype == x.dtype


def test_row_sums_row_dots_and_mask_bias():
    from attnseq.fast.reductions import mask_bias, row_dots, row_sums

    rng = np.random.default_rng(11)
    x, y = rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3, 5))
    sums = [[[sum(float(v) for v in x[n, t])] for t in range(3)] for n in range(2)]
    np.testing.assert_allclose(row_sums(x), sums, rtol=1e-13)
    dots = [[[sum(float(u * v) for u, v in zip(x[n, t], y[n, t]))] for t in range(3)]
            for n in range(2)]
    np.testing.assert_allclose(row_dots(x, y), dots, rtol=1e-12)
    assert row_dots(x, y).shape == (2, 3, 1)
    bias = mask_bias(np.array([True, False]), np.float32)
    assert bias.dtype == np.float32 and bias[0] == 0.0 and bias[1] == -np.inf
