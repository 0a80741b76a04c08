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
# # 1. 고정 길이 벡터의 문제와 어텐션의 구조
#
# 8장 1절. 기본 seq2seq는 입력 전체를 하나의 벡터, 즉 인코더의 마지막 은닉 상태에 욱여넣습니다.
# 이 노트북은 그 대가가 얼마인지 측정한 다음, 병목을 없애는 어텐션 구조를 만듭니다. 인코더는
# *모든* 은닉 상태를 넘겨주고, 디코더는 매 시각 그 상태들에 가중치를 매깁니다.
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 전체 설정에서는 복사 문제로
# 작은 모델 두 개를 학습합니다. `ATTNSEQ_NOTEBOOK_QUICK=1`이면 모든 것이 아주 작아져서 숫자는
# 동작 확인용일 뿐입니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 10초, 전체 설정 303초.

# %%
# %matplotlib inline
import os
import time

import numpy as np

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
SAMPLES, HIDDEN, EPOCHS = (1_000, 16, 1) if QUICK else (20_000, 128, 3)

# %% [markdown]
# ## 고정 길이 벡터는 긴 입력을 잊는다
#
# 복사 문제(`hcfjab -> hcfjab`, 1~12글자 문자열)는 기억력 말고는 필요한 것이 없습니다. 출력의
# 모든 글자가 입력의 글자입니다. 디코더가 인코더의 마지막 상태로만 입력을 보는 책의 기본
# `Seq2seq`와 어텐션을 갖춘 seq2seq를 똑같이 학습하고, 입력 길이별 정확도를 측정합니다. `run`은
# `attnseq train`이 호출하는 함수입니다. 여기서는 이 학습 루프를 읽을 일이 없으므로 빠른 계층
# 집합(fast)으로 학습합니다.

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
# 기본 모델의 정확도는 입력이 길어질수록 떨어집니다. 문자열이 길수록 하나의 벡터가 담아야 할
# 정보가 많아지기 때문입니다. 아래 셀은 전체 설정에서 이것을 확인합니다(빠른 설정은 학습량이
# 너무 적어서 어떤 모델도 복사하지 못합니다).

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
# ## 인코더 개선: 모든 상태를 넘겨준다
#
# 어텐션의 인코더는 기본 모델의 인코더 그대로이고, 달라지는 것은 넘겨주는 것입니다.
# `Encoder.forward(xs)`는 입력의 *모든* 시각의 은닉 상태 `hs`, 형상 (N, T, H)를 반환합니다.
# 기본 모델의 디코더는 `hs[:, -1]`만 썼습니다. 여기서는 책의 계층(`impl="book"`)으로, 아래 숫자가
# 정확하도록 float64로 만듭니다.

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
# ## 디코더 개선: 상태에 가중치를 매기고 더한다
#
# 디코더는 매 시각 자신의 상태 `h` (N, H)를 가집니다. 책의 두 계층:
#
# * `AttentionWeight`: 점수 `s[n, t] = hs[n, t] · h[n]`, 가중치 `a = softmax_t(s)` (N, T).
#   이것이 *얼라인먼트*, 즉 출력의 한 시각이 입력의 각 시각에 얼마나 주목하는지입니다.
# * `WeightSum`: 맥락 벡터 `c[n] = Σ_t a[n, t] hs[n, t]` (N, H).
#
# 상태 하나를 골라내는 것과 달리 가중치는 미분할 수 있으므로, 오차역전파로 학습할 수 있습니다.

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
# 가중치의 합은 1이고, `hs[:, t]`가 `h`와 같은 방향을 가리키는 곳에서 가장 큽니다. 노트북 2에서는
# 나머지 계층(`Attention`, `TimeAttention`)을 만들고 기울기를 확인합니다.

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
