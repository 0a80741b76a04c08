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
# # 5. 어텐션 응용: GNMT와 빔 서치
#
# 8장 5절의 첫 번째 응용입니다. 구글 신경망 기계 번역(GNMT, Wu et al. 2016)은 어텐션을 갖춘
# seq2seq를 크게 키운 것입니다. 여러 층의 LSTM, 양방향인 인코더의 첫 층, 잔차 연결, 디코더 첫
# 층에서 계산해 그 위의 모든 층에 넣는 어텐션, 그리고 길이 정규화와 커버리지 페널티를 쓰는
# 빔 서치.
#
# **비용** (마지막 셀이 측정합니다. `notebooks/README.md` 참고): 날짜 문제로 GNMT 하나를 학습하고
# 탐욕적 디코딩과 빔 서치로 디코딩합니다. `ATTNSEQ_NOTEBOOK_QUICK=1`이면 모델이 아주 작아서
# 출력에는 의미가 없습니다.
#
# 공유 2코어 개발 머신에서 측정(노트북 PC가 아니며 다른 작업이 함께 돌았음):
# 빠른 설정 14초, 전체 설정 1059초.

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
# ## 모델
#
# `Seq2seqConfig(model="gnmt")`는 책의 모델과 같은 계층으로 GNMT를 만듭니다. 기본값은 세 층,
# 양방향인 인코더 첫 층, 세 번째 층부터의 잔차 연결입니다. docs/variants.md에 구조 그림과 논문과
# 다른 점(논문은 여덟 층에 단어 조각을 쓰지만, 날짜에는 훨씬 작아도 됩니다)이 있습니다.

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
# ## 빔 서치: 여러 후보
#
# 탐욕적 디코딩은 매 시각 가장 확률이 높은 토큰 하나만 남깁니다. 빔 서치는 확률이 가장 높은
# 부분 출력 K개를 남기고, 각각을 모든 토큰으로 늘린 뒤 다시 가장 좋은 K개를 남깁니다. 끝나면
# 완성된 출력 `n_best`개를 점수 `s(Y) = log P(Y|X) / lp(Y) + cp(X; Y)`와 함께
# 반환합니다(docs/beam.md).

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
# ## 커버리지 페널티
#
# `cp(X; Y) = β Σ_i log(min(Σ_j a_ij, 1))`은 입력의 각 위치 i에 대해, 모든 출력 시각 j가 그
# 위치에 준 어텐션의 합을 봅니다. 합쳐서 한 번 이상 주목받은 위치는 페널티가 없고, 출력이 무시한
# 위치는 작은 커버리지의 `β log`만큼 점수를 깎으므로, 입력의 일부를 건너뛴 후보는 순위가
# 내려갑니다. 지어낸 커버리지 두 개로 보면:

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
# 모델에서는 각 후보가 자신의 어텐션(|Y|, 입력 열)을 가지고 있고, 커버리지는 그것을 출력 시각에
# 대해 더한 것입니다. `alpha`와 `beta`를 주면 점수가 바뀌고, 후보의 순서가 바뀔 수도 있습니다.

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
# 이 페널티는 원문의 모든 단어를 번역해야 하는 기계 번역을 위해 만들어졌습니다. 날짜의 요일은
# 답에 필요한 정보가 없으므로 출력이 읽지 않고 넘어가는 것이 맞지만, 요일 이름이 길면 정답에도
# 커버리지 페널티가 크게 붙습니다.
#
# 테스트 데이터 전체에 대한 빔 서치와 탐욕적 디코딩의 비교입니다(잘 학습된 모델에서는 둘이 대부분
# 같고, 빔 서치는 모델이 확신하지 못하는 곳에서 가장 도움이 됩니다).

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
