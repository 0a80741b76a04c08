"""Layers with hand-written forward and backward passes (see ``base`` for the protocol)."""

from attnseq.layers.attention import Attention, AttentionWeight, TimeAttention, WeightSum
from attnseq.layers.base import Layer, gather
from attnseq.layers.core import Affine, Embedding, Softmax, TimeAffine, TimeEmbedding, softmax
from attnseq.layers.losses import TimeSoftmaxWithLoss
from attnseq.layers.recurrent import LSTM, TimeLSTM

__all__ = [
    "Affine",
    "Attention",
    "AttentionWeight",
    "Embedding",
    "Layer",
    "LSTM",
    "Softmax",
    "TimeAffine",
    "TimeAttention",
    "TimeEmbedding",
    "TimeLSTM",
    "TimeSoftmaxWithLoss",
    "WeightSum",
    "gather",
    "softmax",
]
