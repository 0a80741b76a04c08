"""The chapter's models: baseline ``Seq2seq``, ``PeekySeq2seq``, ``AttentionSeq2seq``, and
``GNMT``, the application the chapter closes with, and the ``Transformer`` it points to."""

from attnseq.core.registry import Registry
from attnseq.models.attention import AttentionSeq2seq
from attnseq.models.gnmt import GNMT
from attnseq.models.peeky import PeekySeq2seq
from attnseq.models.seq2seq import Seq2seq
from attnseq.models.transformer.model import Transformer

# The names the command line and saved configs use for each model, in the order of the book's
# Figure 8-26 (the order listings and comparisons follow), then GNMT and the Transformer.
MODELS = Registry("model", {"baseline": Seq2seq, "peeky": PeekySeq2seq,
                            "attention": AttentionSeq2seq, "gnmt": GNMT,
                            "transformer": Transformer}, default="attention")

__all__ = ["GNMT", "MODELS", "AttentionSeq2seq", "PeekySeq2seq", "Seq2seq", "Transformer"]
