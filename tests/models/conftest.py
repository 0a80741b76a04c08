"""The model tests' toy task and its training, offered as fixtures (the test folders are not
packages)."""

import numpy as np
import pytest

from attnseq.training.optim import Adam
from attnseq.training.trainer import STOP, Trainer


def _reverse_pairs(seed: int, n: int) -> list[tuple[str, str]]:
    """n (question, answer) pairs: 3–6 random digits, and the same digits reversed."""
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n):
        digits = "".join(str(d) for d in rng.integers(0, 10, int(rng.integers(3, 7))))
        pairs.append((digits, digits[::-1]))
    return pairs


@pytest.fixture(scope="session")
def reverse_pairs():
    """``reverse_pairs(seed, n)``: the toy task of test_variants.py and test_gnmt.py."""
    return _reverse_pairs


def _train_until_exact(conv, pairs, epochs: int = 600):
    """Train ``conv``'s model on ``pairs`` (Adam 0.01, clipping at 5, all pairs one batch)
    until every pair converts exactly, checked every 10 epochs; returns the ``History``."""
    xs, ts = conv.encode(pairs)
    trainer = Trainer(conv.model, Adam(0.01), max_grad_norm=5.0, rng=0, epochs=epochs,
                      batch_size=len(pairs))

    def every_pair_exact(epoch, record):
        return STOP if epoch % 10 == 0 and conv.accuracy(pairs) == 1.0 else None

    return trainer.fit(xs, ts, callbacks=[every_pair_exact], progress=False)


@pytest.fixture(scope="session")
def train_until_exact():
    """``train_until_exact(conv, pairs, epochs=600) -> History``; see ``_train_until_exact``."""
    return _train_until_exact
