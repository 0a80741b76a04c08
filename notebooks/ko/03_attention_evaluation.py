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
# # 3. 어텐션 평가
#
# 8장 3절, 책의 실험입니다. 모델은 여러 형식으로 쓰인 날짜를 하나의 형식으로 변환하는 법을
# 배웁니다(`TUESDAY, SEPTEMBER 25, 1984` -> `1984-09-25`). 어텐션을 갖춘 seq2seq를 학습하고,
# 기본 seq2seq와 엿보기(peeky) seq2seq와 비교하며(그림 8-26), 모델이 어디에 주목하는지
# 봅니다(그림 8-27).
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 가장 긴 노트북으로, 모델 네 개를
# 학습합니다. `ATTNSEQ_NOTEBOOK_QUICK=1`이면 모델이 아주 작아서 정확도에는 의미가 없습니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 18초, 전체 설정 953초.

# %%
# %matplotlib inline
import os
import time

import numpy as np
from IPython.display import display

QUICK = os.environ.get("ATTNSEQ_NOTEBOOK_QUICK") == "1"  # CI's small settings
STARTED = time.perf_counter()
# (samples, hidden size, epochs): the attention model alone, then the three compared alike
MAIN = (1_000, 32, 1) if QUICK else (50_000, 256, 1)
COMPARED = (1_000, 16, 1) if QUICK else (20_000, 128, 3)

# %% [markdown]
# ## 날짜 형식 변환 문제
#
# 질문은 서른 가지쯤의 형식으로 쓰인 날짜이고, 답은 ISO 형식의 날짜입니다. 인코더는 질문을
# 뒤집어서 읽고(7장에서 본 책의 기법: 답의 첫 글자들이 그 글자들이 나온 곳 가까이에 놓입니다),
# 질문은 고정 길이로 패딩됩니다.

# %%
from attnseq.experiments.run import Task

task = Task.dates(MAIN[0])
for question, answer, fmt in task.train[:5]:
    print(f"{question!r:34} -> {answer!r}   ({fmt})")
print(len(task.train), "training and", len(task.test), "test pairs,", len(task.vocab), "tokens")

# %% [markdown]
# ## 어텐션을 갖춘 seq2seq 학습
#
# 책의 크기(D=16, H=256)에 attnseq의 기본 레시피(배치 64, 학습률이 5e-3에서 1e-3으로 줄어드는
# Adam, 5.0에서 클리핑)를 빠른 계층 집합으로 학습합니다. `impl="book"`과 같은 모델이며 더
# 빠릅니다. `run`은 에포크마다 따로 떼어 둔 날짜로 완전 일치 정확도를 측정합니다. 전체 설정은
# 책의 날짜 45 000개로 한 에포크입니다.

# %%
from attnseq.experiments.run import run
from attnseq.models.config import Seq2seqConfig
from attnseq.training.trainer import TrainConfig

t0 = time.perf_counter()
conv, history = run(task, Seq2seqConfig(hidden_size=MAIN[1]), TrainConfig(epochs=MAIN[2]),
                    progress=False, impl="fast")
accuracy = history[-1]["accuracy"]
print(f"test exact match {100 * accuracy:.2f}% after {time.perf_counter() - t0:.0f} s")
if not QUICK:
    assert accuracy > 0.95

# %%
texts = ["TUESDAY, SEPTEMBER 25, 1984", "9/8/97", "jun 17, 2013", "2013-06-17"]
for text, out in zip(texts, conv.convert(texts)):
    print(f"{text!r:30} -> {out!r}")

# %% [markdown]
# ## 그림 8-26: 기본, 엿보기, 어텐션
#
# 이 장의 세 모델을 같은 조건(같은 데이터, 크기, 레시피, 시드)으로 학습하고 각각의 정확도
# 곡선을 그립니다. 책의 실행(10 에포크, H=256, 책의 레시피)은 README에 측정되어 있고, 여기서는
# 짧게 끝나도록 작은 설정을 씁니다.

# %%
from attnseq.experiments.viz import accuracy_figure

compared_task = Task.dates(COMPARED[0])
curves = {}
for name in ("baseline", "peeky", "attention"):
    _, curves[name] = run(compared_task, Seq2seqConfig(model=name, hidden_size=COMPARED[1]),
                          TrainConfig(epochs=COMPARED[2]), progress=False,
                          report=lambda line: None)
    print(f"{name:9s}", " ".join(f"{100 * r['accuracy']:6.2f}%" for r in curves[name]))
display(accuracy_figure(curves))
if not QUICK:
    assert curves["attention"][-1]["accuracy"] > curves["baseline"][-1]["accuracy"]

# %% [markdown]
# ## 그림 8-27: 모델은 어디에 주목하는가
#
# 각 행은 출력 문자 하나, 각 열은 읽는 순서대로 놓인 입력 문자 하나입니다(모델의 입력 반전은
# 되돌렸습니다). 각 칸은 그 시각의 맥락 벡터에서 그 입력이 차지하는 가중치입니다. 학습된
# 모델은 연도의 숫자를 연도에서, 월을 월의 이름이나 숫자에서, 일을 일에서 읽습니다.

# %%
from attnseq.experiments.viz import attention_figure

fig, maps = attention_figure(conv, texts)
display(fig)
for m in maps:
    assert np.allclose(m.weights.sum(axis=1), 1.0)  # each step's weights sum to 1

# %% [markdown]
# 같은 그림을 명령줄에서도 그릴 수 있습니다. `attnseq train`이 저장한 모델에 대해 `attnseq
# attention MODEL_DIR TEXT ... --out figure-8-27.png`.

# %%
print(f"this notebook ran in {time.perf_counter() - STARTED:.1f} s wall, "
      f"{time.process_time():.1f} s CPU (quick={QUICK})")
