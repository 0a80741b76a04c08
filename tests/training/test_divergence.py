"""Divergence: the weights' check and the quiet blocks (the trainer's use of them is tested in
test_trainer.py)."""

import warnings

import numpy as np
import pytest

from attnseq.training.divergence import LARGEST_WEIGHT, Diverged, check_weights, quiet


@pytest.mark.parametrize("value, refused", [(LARGEST_WEIGHT / 2, False), (-LARGEST_WEIGHT, True),
                                            (np.inf, True), (np.nan, True)])
def test_check_weights(value, refused):
    params = [np.zeros((2, 3)), np.array([1.0, value]), np.zeros(0)]
    if refused:
        with pytest.raises(Diverged, match="weights are nan, inf or beyond 2"):
            check_weights(params)
    else:
        check_weights(params)


def test_quiet_silences_floating_point_warnings_inside_only():
    big = np.float32(1e30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with quiet():
            assert np.isinf(big * big)
        with pytest.raises(RuntimeWarning, match="overflow"):
            big * big
