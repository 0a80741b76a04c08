"""Run as a script under ``ATTNSEQ_BACKEND=standin`` (``test_backend_standin.py`` does): every
model, from both layer sets, takes training steps and decodes greedily and by beam search, and
every model's gradient check passes, with every array on the stand-in device. A stray NumPy
call on a device array raises TypeError, which fails the run."""

from __future__ import annotations

import numpy

from attnseq.core import standin
from attnseq.core.backend import to_device, xp
from attnseq.decoding.beam import beam_search
from attnseq.decoding.greedy import greedy
from attnseq.gradcheck.cases import model_cases
from attnseq.gradcheck.checker import check
from attnseq.models import MODELS
from attnseq.models.config import Seq2seqConfig, TransformerConfig, build_model
from attnseq.training.optim import Adam
from attnseq.training.trainer import Trainer

V, START, END, PAD = 12, 1, 2, 0
ELEMENTS = 4  # of each parameter, differenced: the stand-in's wrapping makes each pass slower


def data(rng):
    """16 pairs of a toy task: ids 3..11, padding in front of the questions, answers of
    START + 4 ids + END."""
    xs = rng.integers(3, V, (16, 7))
    xs[:8, :2] = PAD
    ts = numpy.concatenate([numpy.full((16, 1), START), rng.integers(3, V, (16, 4)),
                            numpy.full((16, 1), END)], axis=1)
    return xs, ts


def config(name: str):
    if name == "transformer":
        return TransformerConfig(d_model=8, heads=2, d_ff=8, num_layers=1, question_len=7,
                                 answer_len=5,
                                 dropout=0.1)
    if name in ("attention", "gnmt"):  # the models with layers between which dropout acts
        return Seq2seqConfig(model=name, wordvec_size=4, hidden_size=6, num_layers=2,
                             dropout=0.1)
    return Seq2seqConfig(model=name, wordvec_size=4, hidden_size=6)


def run_model(name: str, impl: str, xs, ts) -> None:
    model = build_model(config(name), V, pad_id=PAD, seed=0, impl=impl)
    assert all(isinstance(p, standin.ndarray) for p in model.params), name
    trainer = Trainer(model, Adam(0.01), rng=0, epochs=2, batch_size=8)
    history = trainer.fit(xs, ts, progress=False)
    assert numpy.isfinite([r["loss"] for r in history]).all(), (name, impl)
    ids = greedy(model, xs[:4], START, 5)
    assert isinstance(ids, numpy.ndarray) and ids.shape == (4, 5), (name, impl)
    hyps = beam_search(model, xs[:3], START, 5, end_id=END, beam=3)
    assert len(hyps) == 3 and all(h for h in hyps), (name, impl)


def main() -> None:
    assert xp is standin, "run with ATTNSEQ_BACKEND=standin"
    xs, ts = data(numpy.random.default_rng(0))
    for name in MODELS:
        for impl in ("book", "fast"):
            run_model(name, impl, to_device(xs), to_device(ts))
            print("trained and decoded:", name, impl)
    for case in model_cases():
        worst = max(check(case, elements=ELEMENTS).values())
        assert worst < 1e-5, (case.name, worst)
        print(f"gradient check: {case.name} {worst:.1e}")


if __name__ == "__main__":
    main()
