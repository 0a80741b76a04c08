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
# # 2. 어텐션을 갖춘 seq2seq 구현
#
# 8장 2절을 책의 계층(`attnseq.layers`, `impl="book"`이 만드는 것)으로 구현합니다.
# `AttentionWeight`, `WeightSum`, `Attention`, `TimeAttention`의 형상을 출력하고 기울기를
# 중앙 차분과 비교해 확인한 다음, 책이 이 계층들로 조립하는 `AttentionSeq2seq`를 몇 스텝
# 학습합니다.
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 몇 초. 여기서는 수렴할 때까지
# 학습하지 않으므로, 빠른 설정(`ATTNSEQ_NOTEBOOK_QUICK=1`)과 전체 설정은 학습 스텝 수만
# 다릅니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 22초, 전체 설정 7초.

# %%
import os
import time

import numpy as np

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
STEPS = 5 if QUICK else 30

# %% [markdown]
# ## 네 계층과 그 형상
#
# N은 배치, T는 인코더의 시각 수, H는 은닉 상태의 차원이고, 디코더는 Td 시각을 처리합니다.
# 모든 계층은 `params`와 `grads` 리스트를 가지고(여기서 쓰는 책의 내적 점수는 매개변수가
# 없습니다), `forward` 바로 옆에 `backward`가 있습니다.

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
# 책의 `TimeAttention`은 디코더의 시각마다 `Attention` 계층을 하나씩 두고 반복합니다. 어텐션에는
# 순환이 없으므로 attnseq는 모든 시각을 한 번에 계산합니다. `S = H_dec hsᵀ`, `A = softmax(S)`,
# `C = A hs`. 결과는 같으며, 셀이 이를 확인합니다.

# %%
looped = np.stack([Attention().forward(hs, hs_dec[:, t]) for t in range(Td)], axis=1)
print("largest difference to the loop:", np.abs(looped - C).max())
assert np.allclose(looped, C)

# %% [markdown]
# ## 기울기 확인
#
# `backward`는 손으로 쓴 것이므로 검증합니다. 고정된 무작위 행렬 R에 대한 스칼라
# `loss = Σ C · R`(출력의 모든 원소가 서로 다른 가중치로 반영되도록)의 기울기를 float64에서
# 중앙 차분 `(f(x+ε) − f(x−ε)) / 2ε`과 비교합니다. 상대 오차 `‖a − b‖ / (‖a‖ + ‖b‖)`는 1e-6
# 미만이어야 합니다.

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
# `attnseq gradcheck`는 패키지의 모든 계층과 모델에 같은 확인을 수행합니다.
#
# ## 책의 AttentionSeq2seq
#
# `AttentionSeq2seq(V, D, H, impl="book")`는 책의 모델입니다. `Encoder`(임베딩과 LSTM, 모든
# 상태를 반환)와 `AttentionDecoder`(임베딩, 인코더의 마지막 상태에서 시작하는 stateful LSTM,
# `TimeAttention`, 그리고 2H 폭의 `[c ; h]`에 대한 Affine)로 이루어집니다. 아래는 계층 트리에서
# 뽑은 디코더의 계층들로, 모두 책의 계층입니다.

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
# ## 책의 계층으로 몇 스텝 학습하기
#
# 한 스텝은 순전파(손실), 역전파, 5.0에서의 기울기 클리핑, Adam 갱신입니다. `Trainer.step`이 하는
# 일이 바로 이것입니다. 같은 시드로 빠른 계층 집합(`impl="fast"`, 기본값)에서 만든 모델은 같은
# 가중치를 가지고 같은 손실을 계산합니다. 단지 더 빠를 뿐입니다.

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
