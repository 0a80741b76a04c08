"""The chapter's models: baseline ``Seq2seq``, ``PeekySeq2seq`` and ``AttentionSeq2seq``."""

from types import MappingProxyType

from attnseq.models.attention import AttentionSeq2seq
from attnseq.models.peeky import PeekySeq2seq
from attnseq.models.seq2seq import Seq2seq

# The names the command line and saved configs use for each model.
MODELS = MappingProxyType(
    {"baseline": Seq2seq, "peeky": PeekySeq2seq, "attention": AttentionSeq2seq}
)

__all__ = ["MODELS", "AttentionSeq2seq", "PeekySeq2seq", "Seq2seq"]
