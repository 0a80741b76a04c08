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
# # 4. 어텐션에 관한 남은 이야기: 양방향 인코더, 어텐션 계층의 위치, 심층화와 skip 연결
#
# 8장 4절, 어텐션을 갖춘 seq2seq에 대한 세 가지 변형입니다. 각각 `Seq2seqConfig`의 옵션(그리고
# `attnseq train`의 `--encoder bi`, `--input-feeding`, `--layers N --residual`)이며, 수식과 전체
# 측정은 docs/variants.md에 있습니다.
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 날짜 문제로 작은 학습 네 번.
# `ATTNSEQ_NOTEBOOK_QUICK=1`이면 모델이 아주 작아서 정확도에는 의미가 없습니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 16초, 전체 설정 578초.

# %%
import os
import time

import numpy as np

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
SAMPLES, HIDDEN, EPOCHS = (1_000, 16, 1) if QUICK else (20_000, 64, 2)

# %% [markdown]
# ## 양방향 인코더
#
# 한 방향 LSTM의 상태 `hs[:, t]`는 입력을 `t`까지만 읽었습니다. 두 번째 LSTM이 입력을 거꾸로
# 읽으면, 두 상태를 나란히 놓아 모든 위치가 자기 주변의 입력 전체를 읽은 상태를 갖게 됩니다.
# `TimeBiLSTM`은 책의 `TimeLSTM` 두 개를 받습니다. "concat"이면 각 방향의 폭이 Hd이고 상태의
# 폭은 2·Hd입니다.

# %%
from attnseq.layers import TimeBiLSTM, TimeLSTM

rng = np.random.default_rng(0)
N, T, D, Hd = 2, 7, 5, 3


def lstm():
    return TimeLSTM(rng.standard_normal((D, 4 * Hd)), rng.standard_normal((Hd, 4 * Hd)),
                    np.zeros(4 * Hd))


bi = TimeBiLSTM(lstm(), lstm(), merge="concat")
xs = rng.standard_normal((N, T, D))
hs = bi.forward(xs)
print("xs", xs.shape, "-> hs", hs.shape, "final_h", bi.final_h.shape)
assert hs.shape == (N, T, 2 * Hd)
# The backward direction's state at t = 0 has read the whole input: changing the last input
# changes it, while the forward direction's state at t = 0 stays as it was.
changed = xs.copy()
changed[:, -1] += 1.0
hs2 = bi.forward(changed)
print("forward half moved:", np.abs(hs2[:, 0, :Hd] - hs[:, 0, :Hd]).max(),
      " backward half moved:", np.abs(hs2[:, 0, Hd:] - hs[:, 0, Hd:]).max())
assert np.allclose(hs2[:, 0, :Hd], hs[:, 0, :Hd]) and not np.allclose(hs2[:, 0, Hd:],
                                                                        hs[:, 0, Hd:])

# %% [markdown]
# ## 어텐션 계층의 출력을 어디에 넣을까, 그리고 더 깊게
#
# 책은 맥락 벡터 `c`를 LSTM의 상태와 나란히 Affine 계층에 넣습니다. 대신 다음 시각 LSTM의
# 입력으로 넣을 수도 있습니다(Luong의 *input feeding*: 디코더가 이전에 어디에 주목했는지 알게
# 됩니다). 그리고 LSTM을 여러 층 쌓고, skip(잔차) 연결 `h = x + LSTM(x)`로 기울기가 깊이를
# 지나도 약해지지 않게 할 수 있습니다.
#
# 네 가지 변형을 날짜 문제로 똑같이 학습하고 정확도를 비교합니다.

# %%
from attnseq.experiments.run import Task, run
from attnseq.models.config import Seq2seqConfig
from attnseq.training.trainer import TrainConfig

task = Task.dates(SAMPLES)
variants = {
    "book's attention": {},
    "bidirectional encoder": {"encoder": "bi"},
    "input feeding": {"input_feeding": True},
    "2 layers + skip": {"num_layers": 2, "residual": True},
}
results = {}
for name, options in variants.items():
    t0 = time.perf_counter()
    conv, history = run(task, Seq2seqConfig(hidden_size=HIDDEN, **options),
                        TrainConfig(epochs=EPOCHS), progress=False, report=lambda line: None)
    params = sum(p.size for p in conv.model.params)
    results[name] = history[-1]["accuracy"]
    print(f"{name:22s} {params:7d} parameters  test exact match "
          f"{100 * results[name]:6.2f}%  ({time.perf_counter() - t0:.0f} s)")
if not QUICK:
    assert min(results.values()) > 0.5  # every variant learns the task

# %% [markdown]
# H=64로 짧게 두 에포크 학습한 결과는 맛보기일 뿐 순위가 아닙니다. 전체 설정에서 모든 변형이
# 테스트 날짜의 절반 넘게 맞히며(셀이 확인합니다), 더 길게 학습하면 모두 99.9%에 이릅니다
# (docs/variants.md).

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
