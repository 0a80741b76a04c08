"""Gradient checks: the float64 central-difference checker and its declarative table.

    checker.py     check(): analytic gradients against central differences
    rows.py        LayerRow, ModelRow, NTMRow: what one check builds and feeds
    layer_rows.py  the table's layer rows (both layer sets)
    cases.py       the model, variant and NTM rows, and the cases made of every row
                   (``attnseq gradcheck`` runs them)
"""

from attnseq.gradcheck.checker import Case, check

__all__ = ["Case", "check"]
