# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Applications: GNMT and beam search
#
# Chapter 8, section 5, first application: Google's Neural Machine Translation system (Wu et
# al. 2016) is the attention seq2seq grown up: stacked LSTMs, a bidirectional bottom encoder
# layer, residual connections, attention from the bottom decoder layer fed to every layer
# above it, and beam search with a length normalisation and a coverage penalty.
#
# **Cost** (measured by the last cell, see `notebooks/README.md`): one GNMT trained on the
# date task, then decoded greedily and by beam search; with `ATTNSEQ_NOTEBOOK_QUICK=1` the
# model is tiny and its outputs mean nothing.
#
# Measured on the shared 2-core development machine (not a laptop; other jobs ran beside it):
# quick 14 s, full 1059 s.

# %%
# %matplotlib inline
import os
import time

import numpy as np
from IPython.display import display

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
SAMPLES, HIDDEN, EPOCHS = (1_000, 16, 1) if QUICK else (20_000, 64, 2)

# %% [markdown]
# ## The model
#
# `Seq2seqConfig(model="gnmt")` builds GNMT from the same layers as the book's model: its own
# defaults are three layers, the bottom encoder layer bidirectional, residual connections
# from the third layer up. docs/variants.md draws it and lists where it departs from the
# paper (the paper has eight layers and word pieces; dates need far less).

# %%
from attnseq.experiments.run import Task, run
from attnseq.models.config import Seq2seqConfig
from attnseq.training.trainer import TrainConfig

config = Seq2seqConfig(model="gnmt", hidden_size=HIDDEN)
print({k: getattr(config, k) for k in ("encoder", "num_layers", "residual", "score")})
task = Task.dates(SAMPLES)
t0 = time.perf_counter()
conv, history = run(task, config, TrainConfig(epochs=EPOCHS), progress=False,
                    report=lambda line: None)
print(f"{sum(p.size for p in conv.model.params)} parameters, test exact match "
      f"{100 * history[-1]['accuracy']:.2f}% after {time.perf_counter() - t0:.0f} s")
if not QUICK:
    assert history[-1]["accuracy"] > 0.8

# %% [markdown]
# ## Beam search: alternatives
#
# Greedy decoding keeps the single most likely token at every step. Beam search keeps the K
# most likely partial outputs, extends each by every token and keeps the K best again; at the
# end it returns the `n_best` finished outputs with their scores
# `s(Y) = log P(Y|X) / lp(Y) + cp(X; Y)` (docs/beam.md).

# %%
texts = ["TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013"]
search = conv.beam(beam=5, n_best=3)
for text, greedy, alternatives in zip(texts, conv.convert(texts),
                                      conv.alternatives(texts, search)):
    print(f"{text!r}: greedy {greedy!r}")
    for output, score in alternatives:
        print(f"    {score:8.4f}  {output!r}")
    scores = [score for _, score in alternatives]
    assert scores == sorted(scores, reverse=True)  # best first

# %% [markdown]
# ## The coverage penalty
#
# `cp(X; Y) = β Σ_i log(min(Σ_j a_ij, 1))` sums, over the input positions i, the attention
# that all the output steps j gave them. A position attended to in total at least once costs
# nothing; one the output ignored costs `β log` of its small coverage, so a hypothesis that
# skipped part of the input ranks lower. On two made-up coverages:

# %%
search_cp = conv.beam(beam=5, n_best=3, alpha=0.6, beta=0.2)
covered = np.array([1.0, 1.3, 0.9, 1.0])  # every input attended to about once
skipped = np.array([1.6, 1.6, 0.01, 1.0])  # the third input almost ignored
real = np.ones(4, dtype=bool)
cp_covered = search_cp.coverage_penalty(covered, real)
cp_skipped = search_cp.coverage_penalty(skipped, real)
print(f"cp covered {cp_covered:.3f}, cp skipped {cp_skipped:.3f}")
assert cp_skipped < cp_covered <= 0

# %% [markdown]
# On the model, each hypothesis carries its attention (|Y|, input columns): its coverage is
# that summed over the output steps. With `alpha` and `beta` the scores change, and can
# reorder the alternatives.

# %%
hypotheses = conv.hypotheses(texts, search_cp)
for text, hyps in zip(texts, hypotheses):
    best = hyps[0]
    real = conv.encode_questions([text])[0] != conv.vocab.pad_id
    cp = search_cp.coverage_penalty(best.attention.sum(axis=0), real)
    print(f"{text!r}: {conv.text(best.tokens)!r} score {best.score:.4f}, "
          f"log P {best.log_probs.sum():.4f}, cp {cp:.4f}")
    assert cp <= 0

# %% [markdown]
# The penalty was made for translation, where every source word should be translated. A
# date's weekday carries nothing the answer needs, so the output rightly leaves it unread,
# and a long weekday name costs a right answer a large coverage penalty.
#
# Beam search over the test set, against greedy decoding (on a well-trained model the two
# mostly agree; beam search helps most where the model is unsure):

# %%
t0 = time.perf_counter()
greedy_accuracy = conv.accuracy(task.test)
t1 = time.perf_counter()
beam_accuracy = conv.accuracy(task.test, search=conv.beam(beam=5, alpha=0.6, beta=0.2))
t2 = time.perf_counter()
print(f"greedy {100 * greedy_accuracy:.2f}% ({t1 - t0:.1f} s), "
      f"beam 5 {100 * beam_accuracy:.2f}% ({t2 - t1:.1f} s)")

# %%
from attnseq.experiments.viz import attention_figure

fig, maps = attention_figure(conv, texts[:2], search=search_cp)
display(fig)

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
