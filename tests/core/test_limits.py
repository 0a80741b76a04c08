"""The limits: each a positive maximum with a one-line reason, checked as the usual checks
are (the command line's and config.json's use of them: tests/reliability/test_options.py)."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.core.limits import CONFIG_LIMITS, LIMITS, WIDTH


def test_every_limit_has_a_positive_maximum_and_a_one_line_reason():
    for name, limit in LIMITS.items():
        assert name.isupper() and limit.maximum > 0
        assert limit.reason and "\n" not in limit.reason and not limit.reason.endswith(".")


def test_a_limit_refuses_above_its_maximum_and_keeps_the_usual_checks():
    assert WIDTH.check("hidden_size", np.int64(8192)) == 8192
    with pytest.raises(AttnseqError, match=r"^hidden_size must be at most 8192, got 8193 \("):
        WIDTH.check("hidden_size", 8193)
    with pytest.raises(AttnseqError, match="^hidden_size must be at least 1, got 0$"):
        WIDTH.check("hidden_size", 0)
    with pytest.raises(AttnseqError, match="^hidden_size must be at least 1, got 2.0$"):
        WIDTH.check("hidden_size", 2.0)


def test_every_config_limit_is_one_of_the_named_limits():
    assert set(CONFIG_LIMITS.values()) <= set(LIMITS.values())
