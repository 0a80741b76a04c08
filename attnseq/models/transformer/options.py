"""The Transformer's options: their defaults, and the checks that give a bad one its line.

``TRANSFORMER_DEFAULTS`` are the model's own options (``attnseq.models.transformer.model``);
``TRANSFORMER_VARIANTS`` the attention model's variant options at the values that describe a
Transformer (a ``TransformerConfig`` refuses any other, and reads them in the flat configs that
attnseq wrote before the model families). The model and its config check its options with
``check_transformer``.
"""

from __future__ import annotations

from types import MappingProxyType

from attnseq.core.errors import boolean, fraction, positive_int
from attnseq.layers import ACTIVATIONS, NORMS, POSITIONS
from attnseq.layers.multihead import check_heads
from attnseq.models.variants import VARIANT_DEFAULTS

# The model's own options and their defaults: small enough to train on the date task in
# minutes on one core (docs/transformer.md has the measurements).
TRANSFORMER_DEFAULTS = MappingProxyType({
    "num_layers": 2, "dropout": 0.0, "d_model": 64, "heads": 4, "d_ff": 128,
    "norm": NORMS.default, "positions": POSITIONS.default,
    "activation": ACTIVATIONS.default, "tie_embeddings": False,
})


# The attention model's variant options as the Transformer has them: one encoder kind, two
# layers, always residual.
TRANSFORMER_VARIANTS = MappingProxyType({**VARIANT_DEFAULTS, "num_layers": 2,
                                         "residual": True})


def check_transformer(*, num_layers, dropout, d_model, heads, d_ff, norm, positions,
                      activation, tie_embeddings) -> None:
    """Raise the one-line ``AttnseqError`` of the first bad option."""
    positive_int("num_layers", num_layers)
    fraction("dropout", dropout)
    check_heads(d_model, heads)
    positive_int("d_ff", d_ff)
    NORMS.check(norm)
    POSITIONS.check(positions)
    ACTIVATIONS.check(activation)
    boolean("tie_embeddings", tie_embeddings)
