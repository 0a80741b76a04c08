"""Layers with hand-written forward and backward passes (see ``base`` for the protocol)."""

from attnseq.layers.attention import Attention, AttentionWeight, TimeAttention, WeightSum
from attnseq.layers.base import Layer, gather
from attnseq.layers.bidirectional import TimeBiLSTM
from attnseq.layers.core import Affine, Embedding, Softmax, TimeAffine, TimeEmbedding, softmax
from attnseq.layers.dropout import TimeDropout
from attnseq.layers.feedforward import ACTIVATIONS, GELU, FeedForward, ReLU
from attnseq.layers.input_feeding import TimeInputFeeding
from attnseq.layers.layernorm import LayerNorm
from attnseq.layers.losses import TimeSoftmaxWithLoss
from attnseq.layers.multihead import MultiHeadAttention, scaled_dot_product_attention
from attnseq.layers.positions import POSITIONS, LearnedPositions, SinusoidalPositions
from attnseq.layers.recurrent import LSTM, TimeLSTM
from attnseq.layers.scores import SCORES, AdditiveScore, DotScore, GeneralScore, ScaledDotScore
from attnseq.layers.stacked import TimeStackedLSTM
from attnseq.layers.sublayer import NORMS, Residual

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "LSTM",
    "NORMS",
    "POSITIONS",
    "SCORES",
    "AdditiveScore",
    "Affine",
    "Attention",
    "AttentionWeight",
    "DotScore",
    "Embedding",
    "FeedForward",
    "GeneralScore",
    "Layer",
    "LayerNorm",
    "LearnedPositions",
    "MultiHeadAttention",
    "ReLU",
    "Residual",
    "ScaledDotScore",
    "SinusoidalPositions",
    "Softmax",
    "TimeAffine",
    "TimeAttention",
    "TimeBiLSTM",
    "TimeDropout",
    "TimeEmbedding",
    "TimeLSTM",
    "TimeSoftmaxWithLoss",
    "TimeInputFeeding",
    "TimeStackedLSTM",
    "WeightSum",
    "gather",
    "scaled_dot_product_attention",
    "softmax",
]
