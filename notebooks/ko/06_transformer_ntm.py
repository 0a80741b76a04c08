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
# # 6. 어텐션 응용: 트랜스포머와 뉴럴 튜링 머신
#
# 8장 5절의 나머지 두 응용입니다. 트랜스포머(Vaswani et al. 2017)는 RNN을 버리고 어텐션만
# 남깁니다. 뉴럴 튜링 머신(NTM, Graves et al. 2014)은 RNN에 외부 메모리를 주고, 어텐션으로 그
# 메모리를 읽고 씁니다.
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 날짜 문제로 작은 트랜스포머,
# 복사 문제로 NTM을 학습하며, NTM 쪽이 더 깁니다. `ATTNSEQ_NOTEBOOK_QUICK=1`이면 둘 다 아주
# 작아서 결과에는 의미가 없습니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 15초, 전체 설정 159초(CPU 153초).

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
# ## 스케일드 닷 프로덕트 어텐션
#
# 트랜스포머의 어텐션은 책의 어텐션과 같되, 질의 Q, 키 K, 값 V를 입력의 Affine 변환으로 만들고
# 점수를 √dk로 나눕니다. `Attention(Q, K, V) = softmax(Q Kᵀ / √dk) V`. 인과 마스크는 디코더의
# 위치가 자기 뒤의 위치에 주목하지 못하게 막습니다. `scaled_dot_product_attention`은 순수
# 함수이고, 출력과 함께 가중치를 반환합니다.

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
# ## 멀티헤드 어텐션
#
# `MultiHeadAttention`은 D를 D/h 폭의 헤드 h개로 나누어 각각 따로 어텐션을 계산하고 이어
# 붙입니다. 헤드마다 서로 다른 것을 찾을 수 있습니다.

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
# ## 날짜 문제를 푸는 트랜스포머와 그 헤드들
#
# `transformer` 레시피(학습률이 줄어드는 Adam, 클리핑)로 학습하는 `TransformerConfig`입니다.
# 인코더는 셀프 어텐션 층, 디코더는 인과 셀프 어텐션과 인코더-디코더 어텐션 층으로 이루어집니다.
# 그다음 날짜 하나에 대해 모든 층과 헤드의 가중치를 그립니다.

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
# ## 뉴럴 튜링 머신은 학습한 것보다 긴 시퀀스를 복사한다
#
# LSTM 컨트롤러가 매 시각 메모리 행렬(기본값은 20 폭의 행 128개)에 대한 읽기 헤드와 쓰기 헤드의
# 매개변수를 냅니다. 각 헤드는 내용으로 메모리를 찾고(코사인 유사도, 키 강도로 날카롭게 한 뒤
# 소프트맥스), 이전 가중치와 보간하고, 작은 합성곱으로 이동시킨 뒤 다시 날카롭게 합니다. 쓰기
# 헤드는 지우고 더합니다. 복사 문제에서 머신은 8비트 벡터의 시퀀스와 구분 기호를 읽은 뒤 그
# 시퀀스를 다시 써야 합니다. 길이 1~20(빠른 설정: 1~3)으로 학습하고, 본 적 있는 가장 긴 길이의
# 두 배로 시험합니다.

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
# 쓰기 헤드는 입력 벡터 하나마다 메모리를 한 행씩 내려갑니다. 구분 기호 다음에는 읽기 헤드가 처음
# 쓴 행으로 돌아가 같은 방향으로 걸어갑니다. 길이와 상관없이 그렇습니다.

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
