"""The chapter's models: baseline ``Seq2seq``, ``PeekySeq2seq`` and ``AttentionSeq2seq``."""

from attnseq.models.attention import AttentionSeq2seq
from attnseq.models.peeky import PeekySeq2seq
from attnseq.models.seq2seq import Seq2seq
from attnseq.registry import Registry

# The names the command line and saved configs use for each model, in the order of the book's
# Figure 8-26 (the order listings and comparisons follow).
MODELS = Registry("model", {"baseline": Seq2seq, "peeky": PeekySeq2seq,
                            "attention": AttentionSeq2seq}, default="attention")

__all__ = ["MODELS", "AttentionSeq2seq", "PeekySeq2seq", "Seq2seq"]
