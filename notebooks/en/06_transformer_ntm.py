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
# # 6. Applications: the Transformer and the Neural Turing Machine
#
# Chapter 8, section 5, the last two applications. The Transformer (Vaswani et al. 2017)
# drops the RNN and keeps only attention; the Neural Turing Machine (Graves et al. 2014)
# gives an RNN an external memory that it reads and writes through attention.
#
# **Cost** (measured by the last cell, see `notebooks/README.md`): a small Transformer on
# the date task and an NTM on the copy task, the NTM the longer; with
# `ATTNSEQ_NOTEBOOK_QUICK=1` both are tiny and their results mean nothing.
#
# Measured on the shared 2-core development machine (not a laptop; other jobs ran beside it):
# quick 15 s, full 159 s (153 s CPU).

# %%
# %matplotlib inline
import os
import time

import numpy as np
from IPython.display import display

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
SAMPLES, D_MODEL, HEADS, EPOCHS = (1_000, 16, 2, 1) if QUICK else (50_000, 64, 4, 3)
NTM_SEQUENCES = 1_000 if QUICK else 60_000  # full: the run of docs/ntm.md, seed 2

# %% [markdown]
# ## Scaled dot-product attention
#
# The Transformer's attention is the book's, with queries Q, keys K and values V made by
# affine maps of the inputs and the scores divided by √dk:
# `Attention(Q, K, V) = softmax(Q Kᵀ / √dk) V`. A causal mask keeps a decoder position
# from attending to the positions after it. `scaled_dot_product_attention` is the pure
# function; its weights are returned beside the output.

# %%
from attnseq.layers import scaled_dot_product_attention

rng = np.random.default_rng(0)
T, dk = 4, 8
Q, K, V = (rng.standard_normal((T, dk)) for _ in range(3))
causal = np.tril(np.ones((T, T), dtype=bool))  # position t may attend to 0..t
C, A = scaled_dot_product_attention(Q, K, V, causal)
print("C", C.shape, "A", A.shape)
print(np.round(A, 2))
assert np.allclose(A.sum(axis=1), 1.0) and np.all(A[~causal] == 0.0)

# %% [markdown]
# ## Multi-head attention
#
# `MultiHeadAttention` splits D into h heads of D/h, attends in each separately, and
# concatenates them: each head can look for something else.

# %%
from attnseq.layers import MultiHeadAttention

N, Tq, Tk, D, h = 2, 3, 5, 8, 2


def W():
    return rng.standard_normal((D, D)) / np.sqrt(D)


mha = MultiHeadAttention(W(), np.zeros(D), W(), W(), np.zeros(D), W(), np.zeros(D), heads=h)
out = mha.forward(rng.standard_normal((N, Tq, D)), rng.standard_normal((N, Tk, D)))
print("out", out.shape, "weights", mha.weights.shape, "(N, heads, Tq, Tk)")
assert mha.weights.shape == (N, h, Tq, Tk)

# %% [markdown]
# ## A Transformer on the date task, and its heads
#
# `TransformerConfig` with the `transformer` recipe (Adam with a falling rate, clipping):
# an encoder of self-attention layers, a decoder of causal self-attention and
# encoder-decoder attention layers. Then every layer's and head's weights for one date.

# %%
from attnseq.experiments.run import Task, run
from attnseq.experiments.viz import heads_figure
from attnseq.models.config import TransformerConfig
from attnseq.training.recipes import get_recipe

model_config, train_config = get_recipe("transformer").apply(
    TransformerConfig(d_model=D_MODEL, heads=HEADS, d_ff=2 * D_MODEL),
    epochs=EPOCHS, decay_epochs=EPOCHS)
task = Task.dates(SAMPLES)
t0 = time.perf_counter()
conv, history = run(task, model_config, train_config, progress=False,
                    report=lambda line: None)
print(f"{sum(p.size for p in conv.model.params)} parameters, test exact match "
      f"{100 * history[-1]['accuracy']:.2f}% after {time.perf_counter() - t0:.0f} s")
if not QUICK:
    assert history[-1]["accuracy"] > 0.9

heads = conv.attention_heads(["jun 17, 2013"])[0]
print("output:", "".join(heads["outputs"]))
for kind in ("encoder", "decoder", "cross"):
    print(kind, [a.shape for a in heads[kind]], "(heads, queries, keys) per layer")
    assert all(np.allclose(a.sum(axis=-1), 1.0) for a in heads[kind] if a.size)
display(heads_figure(heads, "jun 17, 2013"))

# %% [markdown]
# ## The Neural Turing Machine copies longer sequences than it trained on
#
# An LSTM controller emits, at every step, the parameters of a read head and a write head
# over a memory matrix (128 rows of 20 by default). Each head addresses the memory by
# content (cosine similarity, sharpened by a key strength, softmax), then interpolates with
# its previous weighting, shifts it by a small convolution and sharpens it; the write head
# erases and adds. On the copy task the machine reads a sequence of 8-bit vectors, a
# delimiter, then must write the sequence back. It trains on lengths 1 to 20 (quick: 1 to 3)
# and is tested on twice the longest length it saw.

# %%
from attnseq.ntm import copytask
from attnseq.ntm.model import NTM, NTMConfig

if QUICK:  # a toy machine (the test suite's): 8 x 6 memory, lengths 1-3
    ntm = NTM(NTMConfig(hidden_size=20, memory_rows=8, memory_width=6), seed=0)
    copy = copytask.CopyConfig(sequences=NTM_SEQUENCES, lr=2e-2, max_length=3)
else:  # the paper's machine, seed 2 (docs/ntm.md: no wrong bit up to length 80)
    ntm = NTM(NTMConfig(), seed=2)
    copy = copytask.CopyConfig(sequences=NTM_SEQUENCES, seed=2)
t0 = time.perf_counter()
log = copytask.train(ntm, copy, progress=False)
print(f"trained on {log[-1]['sequences']} sequences in {time.perf_counter() - t0:.0f} s; "
      f"bit errors per sequence in the last record: {log[-1]['bit_errors']:.2f}")
trained, longer = copy.max_length, 2 * copy.max_length
errors = {n: copytask.evaluate(ntm, n, sequences=64)["bit_errors"] for n in (trained, longer)}
for n, e in errors.items():
    print(f"length {n:3d}: {e:.2f} wrong bits per sequence (a guess: {4 * n})")
if not QUICK:
    assert errors[longer] < 1.0

# %%
from attnseq.ntm.bits import BITS, copy_batch
from attnseq.ntm.viz import copy_figure

xs, ts = copy_batch(np.random.default_rng(1), 1, longer, BITS, ntm.dtype)
ys = ntm.predict(xs)
display(copy_figure(xs[0], ys[0], ntm.write_weights[0], ntm.read_weights[0],
                    f"copying a sequence of length {longer}"))

# %% [markdown]
# The write head walks down the memory one row per input vector; after the delimiter the
# read head jumps back to the first row written and walks the same way, whatever the length.

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
