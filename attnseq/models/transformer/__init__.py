"""The Transformer (Vaswani et al., 2017), the application the chapter points to.

    model.py    Transformer: its encoder and decoder stacks, training and decoding
    blocks.py   EncoderLayer, DecoderLayer
    options.py  its options' defaults and checks
"""

from attnseq.models.transformer.model import Transformer

__all__ = ["Transformer"]
