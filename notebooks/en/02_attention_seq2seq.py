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
# # 2. Implementing the seq2seq with attention
#
# Chapter 8, section 2, on the book's layers (`attnseq.layers`, what `impl="book"` builds):
# `AttentionWeight`, `WeightSum`, `Attention` and `TimeAttention`, with their shapes printed
# and their gradients checked against central differences; then the `AttentionSeq2seq` that
# the book assembles from them, trained for a few steps.
#
# **Cost** (measured by the last cell, see `notebooks/README.md`): a few seconds; nothing
# here trains to convergence, so the quick settings (`ATTNSEQ_NOTEBOOK_QUICK=1`) and the full
# ones differ only in the number of training steps.
#
# Measured on the shared 2-core development machine (not a laptop; other jobs ran beside it):
# quick 22 s, full 7 s.

# %%
import os
import time

import numpy as np

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
STEPS = 5 if QUICK else 30

# %% [markdown]
# ## The four layers, their shapes
#
# N batch, T encoder steps, H hidden width; the decoder runs Td steps. Every layer keeps
# `params` and `grads` lists (the score here, the book's dot product, has none) and a
# `backward` beside its `forward`.

# %%
from attnseq.layers import Attention, AttentionWeight, TimeAttention, WeightSum

rng = np.random.default_rng(0)
N, T, Td, H = 2, 5, 3, 4
hs = rng.standard_normal((N, T, H))  # the encoder's states
h = rng.standard_normal((N, H))  # one decoder state
hs_dec = rng.standard_normal((N, Td, H))  # every decoder state

a = AttentionWeight().forward(hs, h)
c = WeightSum().forward(hs, a)
attention = Attention()
c_step = attention.forward(hs, h)
time_attention = TimeAttention()
C = time_attention.forward(hs, hs_dec)
print("AttentionWeight: hs", hs.shape, "h", h.shape, "-> a", a.shape)
print("WeightSum:       hs", hs.shape, "a", a.shape, "-> c", c.shape)
print("Attention:       hs", hs.shape, "h", h.shape, "-> c", c_step.shape)
print("TimeAttention:   hs", hs.shape, "hs_dec", hs_dec.shape, "-> C", C.shape,
      "weights", time_attention.attention_weights.shape)
assert np.allclose(c, c_step)

# %% [markdown]
# The book's `TimeAttention` loops over `Attention` layers, one per decoder step. Since no
# recurrence runs through attention, attnseq's computes every step at once,
# `S = H_dec hsᵀ`, `A = softmax(S)`, `C = A hs`: the same numbers, as the cell checks.

# %%
looped = np.stack([Attention().forward(hs, hs_dec[:, t]) for t in range(Td)], axis=1)
print("largest difference to the loop:", np.abs(looped - C).max())
assert np.allclose(looped, C)

# %% [markdown]
# ## Gradient check
#
# `backward` is written by hand, so it is checked: each gradient against central differences
# `(f(x+ε) − f(x−ε)) / 2ε`, in float64, of the scalar `loss = Σ C · R` for a fixed random R
# (so that every output element counts with its own weight). The relative error
# `‖a − b‖ / (‖a‖ + ‖b‖)` must stay below 1e-6.

# %%
from attnseq.gradcheck.checker import numerical_gradient, relative_error

R = rng.standard_normal((N, Td, H))
layer = TimeAttention()


def loss():
    return float((layer.forward(hs, hs_dec) * R).sum())


layer.forward(hs, hs_dec)
dhs, dhs_dec = layer.backward(R)
errors = {"dhs": relative_error(dhs, numerical_gradient(loss, hs)),
          "dhs_dec": relative_error(dhs_dec, numerical_gradient(loss, hs_dec))}
step = Attention()


def step_loss():
    return float((step.forward(hs, h) * R[:, 0]).sum())


step.forward(hs, h)
dhs_step, dh_step = step.backward(R[:, 0])
errors["Attention dhs"] = relative_error(dhs_step, numerical_gradient(step_loss, hs))
errors["Attention dh"] = relative_error(dh_step, numerical_gradient(step_loss, h))
for name, error in errors.items():
    print(f"{name:14s} relative error {error:.1e}")
assert max(errors.values()) < 1e-6

# %% [markdown]
# `attnseq gradcheck` runs the same check over every layer and model of the package.
#
# ## The book's AttentionSeq2seq
#
# `AttentionSeq2seq(V, D, H, impl="book")` is the book's model: the `Encoder` (embedding and
# LSTM, returning every state) and the `AttentionDecoder` (embedding, a stateful LSTM started
# from the encoder's last state, `TimeAttention`, then an affine map of `[c ; h]`, 2H wide).
# Its layers are the book's, listed here from the layer tree.

# %%
from attnseq.layers.base import walk
from attnseq.tasks import date_dataset, encode_pairs

data = date_dataset(2_000, seed=1984)
xs, ts = encode_pairs(data.train, data.vocab)
from attnseq.models import AttentionSeq2seq

V, D, H = len(data.vocab), 16, 64
book = AttentionSeq2seq(V, D, H, impl="book", seed=0, pad_id=data.vocab.pad_id)
for layer in walk(book.decoder):
    print(type(layer).__module__, type(layer).__name__)
print("parameters:", sum(p.size for p in book.params))
print("question", repr(data.train[0][0]), "-> xs row (reversed, padded)", xs[0])

# %% [markdown]
# ## A few training steps on the book's layers
#
# One step is forward (the loss), backward, gradient clipping at 5.0 and an Adam update: what
# `Trainer.step` does. A model built from the fast layer set (`impl="fast"`, the default)
# from the same seed holds the same weights and computes the same loss; it is only faster.

# %%
from attnseq.training.optim import Adam
from attnseq.training.trainer import Trainer

fast = AttentionSeq2seq(V, D, H, impl="fast", seed=0, pad_id=data.vocab.pad_id)
book_loss, fast_loss = book.forward(xs[:64], ts[:64]), fast.forward(xs[:64], ts[:64])
print(f"first loss: book {book_loss:.6f}, fast {fast_loss:.6f}")
assert abs(book_loss - fast_loss) < 1e-4

trainer = Trainer(book, Adam(5e-3))
losses = []
for k in range(STEPS):
    lo = 64 * k % (len(xs) - 64)
    losses.append(trainer.step(xs[lo:lo + 64], ts[lo:lo + 64])[0])
print("losses:", " ".join(f"{x:.3f}" for x in losses))
assert losses[-1] < losses[0]

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
