"""Run as a script under ``ATTNSEQ_BACKEND=standin`` (``test_backend_standin.py`` does): every
model, from both layer sets, takes training steps and decodes greedily and by beam search, and
every model's gradient check passes, with every array on the stand-in device. A stray NumPy
call on a device array raises TypeError, which fails the run.

``standin_steps.py beam``, under any backend, prints as JSON what beam search with n_best 2,
both penalties and a minimum length finds for an attention model of either layer set whose
weights are drawn on the host (so every backend decodes the same model): the test compares
the stand-in's answer with NumPy's."""

from __future__ import annotations

import json
import sys

import numpy

from attnseq.core import standin
from attnseq.core.backend import to_device, xp
from attnseq.decoding.beam import BeamSearch, beam_search
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


def penalised_beam(impl: str, xs) -> list:
    """Per input of xs[:4] (two of them padded) the 2 best hypotheses of an attention model
    (two layers, weights from one host seed), as lists: tokens, score, log_probs, attention."""
    model = build_model(Seq2seqConfig(model="attention", wordvec_size=4, hidden_size=6,
                                      num_layers=2), V, pad_id=PAD, seed=0, impl=impl)
    host = numpy.random.default_rng(1)
    for p in model.params:  # in place: the layers hold the same arrays
        p[...] = to_device(host.standard_normal(p.shape).astype(p.dtype))
    search = BeamSearch(END, beam=3, n_best=2, alpha=0.6, beta=0.2, min_length=2)
    found = search.search(model, xs[:4], START, 6)
    out = []
    for hyps in found:
        assert len(hyps) == 2 and hyps[0].score >= hyps[1].score, impl
        for h in hyps:  # the results on the host, as NumPy arrays
            assert isinstance(h.attention, numpy.ndarray), impl
            assert h.attention.shape == (len(h.tokens), xs.shape[1]), impl
        out.append([[h.tokens.tolist(), h.score, h.log_probs.tolist(), h.attention.tolist()]
                    for h in hyps])
    return out


def main() -> None:
    xs, ts = data(numpy.random.default_rng(0))
    if sys.argv[1:] == ["beam"]:
        print(json.dumps({"backend": xp.__name__, **{
            impl: penalised_beam(impl, to_device(xs)) for impl in ("book", "fast")}}))
        return
    assert xp is standin, "run with ATTNSEQ_BACKEND=standin"
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
