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
# # 1. The problem of the fixed vector, and the structure of attention
#
# Chapter 8, section 1. A plain seq2seq squeezes its whole input into one vector, the
# encoder's last hidden state. This notebook measures what that costs, then builds the
# attention structure that removes the bottleneck: an encoder that hands over *all* its
# states, and a decoder that weighs them at every step.
#
# **Cost** (measured by the last cell, see `notebooks/README.md`): the full settings train two
# small models on the copy task; with `ATTNSEQ_NOTEBOOK_QUICK=1` everything is tiny and the
# numbers are only a smoke test.
#
# Measured on the shared 2-core development machine (not a laptop; other jobs ran beside it):
# quick 10 s, full 303 s.

# %%
# %matplotlib inline
import os
import time

import numpy as np

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
SAMPLES, HIDDEN, EPOCHS = (1_000, 16, 1) if QUICK else (20_000, 128, 3)

# %% [markdown]
# ## A fixed vector forgets long inputs
#
# The copy task (`hcfjab -> hcfjab`, strings of 1 to 12 letters) needs nothing but memory:
# every output letter is an input letter. We train the book's baseline `Seq2seq`, whose
# decoder sees the input only through the encoder's last state, and the attention seq2seq,
# alike, then measure each one's accuracy per input length. `run` is what `attnseq train`
# calls; the fast layer set trains here, since nobody reads this training loop.

# %%
from attnseq.experiments.run import Task, run
from attnseq.models.config import Seq2seqConfig
from attnseq.training.trainer import TrainConfig

task = Task.sequences("copy", SAMPLES)
print(len(task.train), "training pairs, e.g.", task.train[:3])


def train(model):
    config = Seq2seqConfig(model=model, hidden_size=HIDDEN)
    conv, _ = run(task, config, TrainConfig(epochs=EPOCHS), progress=False,
                  report=lambda line: None, impl="fast")
    return conv


def per_length(conv):
    """Character accuracy of the test answers, by input length."""
    answers, _ = conv.predict(task.test)
    lengths = np.array([len(q) for q, _ in task.test])
    right = np.array([np.mean([a == b for a, b in zip(guess.ljust(len(t)), t)])
                      for guess, (_, t) in zip(answers, task.test)])
    return {n: float(right[lengths == n].mean()) for n in sorted(set(lengths.tolist()))}


t0 = time.perf_counter()
by_length = {name: per_length(train(name)) for name in ("baseline", "attention")}
print(f"trained both in {time.perf_counter() - t0:.1f} s")
print("length   " + "  ".join(f"{n:>4}" for n in by_length["baseline"]))
for name, acc in by_length.items():
    print(f"{name:10s}" + "  ".join(f"{a:4.2f}" for a in acc.values()))

# %% [markdown]
# The baseline's accuracy falls as the input grows: the longer the string, the more of it the
# single vector has to hold. The cell below checks this on the full settings (quick settings
# train too little for any model to copy).

# %%
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 3.5))
for name, acc in by_length.items():
    ax.plot(list(acc), list(acc.values()), marker="o", label=name)
ax.set_xlabel("input length")
ax.set_ylabel("test character accuracy")
ax.set_ylim(0, 1.02)
ax.legend()
plt.show()

base = by_length["baseline"]
short, long = np.mean([base[n] for n in (1, 2, 3)]), np.mean([base[n] for n in (10, 11, 12)])
print(f"baseline: {short:.2f} on lengths 1-3, {long:.2f} on lengths 10-12")
if not QUICK:
    assert long < short - 0.1, "the baseline should lose accuracy on long inputs"
    assert np.mean([by_length["attention"][n] for n in (10, 11, 12)]) > long

# %% [markdown]
# ## Improving the encoder: hand over every state
#
# The attention encoder is the baseline's encoder, unchanged; what changes is what it hands
# over. `Encoder.forward(xs)` returns the hidden state of *every* input step, `hs` of shape
# (N, T, H); the baseline's decoder used only `hs[:, -1]`. Here it is on the book's layers
# (`impl="book"`), in float64 so that the numbers below are exact.

# %%
from attnseq.models import AttentionSeq2seq

V, D, H = len(task.vocab), 8, 6
model = AttentionSeq2seq(V, D, H, impl="book", dtype=np.float64, seed=0,
                         pad_id=task.vocab.pad_id)
xs = np.array([[task.vocab.token_to_id(ch) for ch in "abcde"]])  # (N=1, T=5)
hs = model.encoder.forward(xs)
print("xs", xs.shape, "-> hs", hs.shape, "(N, T, H)")
assert hs.shape == (1, 5, H)

# %% [markdown]
# ## Improving the decoder: weigh the states, then sum them
#
# At each step the decoder has its own state `h` (N, H). The book's two layers:
#
# * `AttentionWeight`: scores `s[n, t] = hs[n, t] · h[n]`, weights `a = softmax_t(s)` (N, T),
#   the *alignment*: how much the output step attends to each input step;
# * `WeightSum`: the context vector `c[n] = Σ_t a[n, t] hs[n, t]` (N, H).
#
# The weights are differentiable, unlike picking one state, so backpropagation can learn them.

# %%
from attnseq.layers import AttentionWeight, WeightSum

h = hs[:, 2] + 0.1  # a decoder state close to the third encoder state
a = AttentionWeight().forward(hs, h)
c = WeightSum().forward(hs, a)
print("a", a.shape, np.round(a, 3), "sum", a.sum())
print("c", c.shape)

scores = np.einsum("nth,nh->nt", hs, h)
expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
assert np.allclose(a, expected) and np.isclose(a.sum(), 1.0)
assert np.allclose(c, (expected[:, :, None] * hs).sum(axis=1))

# %% [markdown]
# The weights sum to 1 and peak where `hs[:, t]` points the same way as `h`. Notebook 2 builds
# the full layers (`Attention`, `TimeAttention`) and checks their gradients.

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
