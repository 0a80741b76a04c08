"""Models for the explorer's tests: small ones, trained once per session in a few seconds.

``served_models`` is a directory holding two trained models, ``attention`` (an attention
model good enough to write dates in the answer's shape, though not always the right date)
and ``baseline`` (no attention), as ``attnseq train`` saves them.
"""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.decoding.threads import one_blas_thread
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task, run
from attnseq.models.config_entry import model_config
from attnseq.training.trainer import TrainConfig


def _train(out, model: str, samples: int, hidden: int, epochs: int):
    # One BLAS thread: on a busy machine more would wait for each other at every matmul.
    with one_blas_thread():
        run(Task.dates(samples, seed=3), model_config(model, dict(hidden_size=hidden,
                                                     wordvec_size=16)),
            TrainConfig(epochs=epochs, decay_epochs=epochs), out=out, progress=False,
            samples=0, report=lambda line: None)
    return out


@pytest.fixture(scope="session")
def served_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    _train(root / "attention", "attention", 5000, 64, 4)
    # 5000 dates for both: from 500 the longest question is one character shorter than some
    # that benchmarks/load.py sends, which the server then refuses (422)
    _train(root / "baseline", "baseline", 5000, 16, 1)
    return root


@pytest.fixture(scope="session")
def attention_dir(served_models):
    return served_models / "attention"


@pytest.fixture(scope="session")
def baseline_dir(served_models):
    return served_models / "baseline"


class HeadsConverter(Converter):
    """A test double of a Transformer's converter: ``attention_heads`` gives, per text, two
    layers of three heads of row-normalised weights of the shapes the Transformer's will have
    (made from the text's own attention so that they differ per text); with ``own_attention``
    False, ``attention`` is refused as a Transformer's may be."""

    LAYERS, HEADS = 2, 3

    def __init__(self, conv: Converter, own_attention: bool = True):
        super().__init__(conv.model, conv.vocab, conv.config, conv.meta)
        self.own_attention = own_attention

    def attention(self, texts, search=None, *, hypotheses=None):
        if not self.own_attention:
            raise AttnseqError("no single attention matrix")
        return super().attention(texts, search, hypotheses=hypotheses)

    def attention_heads(self, texts):
        out = []
        for ins, outs, w in super().attention(texts):
            rng = np.random.default_rng(len(ins))

            def heads(rows, cols, rng=rng):
                x = rng.random((self.HEADS, rows, cols))
                return x / x.sum(axis=-1, keepdims=True)

            out.append({"inputs": ins, "outputs": outs,
                        "encoder": [heads(len(ins), len(ins)) for _ in range(self.LAYERS)],
                        "decoder": [heads(len(outs), len(outs)) for _ in range(self.LAYERS)],
                        "cross": [heads(len(outs), len(ins)) for _ in range(self.LAYERS - 1)]
                        + [np.stack([w] * self.HEADS)]})
        return out


@pytest.fixture
def heads_converter():
    """The double's class: ``heads_converter(Converter.load(...), own_attention=...)``."""
    return HeadsConverter
