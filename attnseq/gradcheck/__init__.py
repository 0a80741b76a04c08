"""Gradient checks: the float64 central-difference checker and its declarative table.

    checker.py  check(): analytic gradients against central differences
    cases.py    the table: one row per layer and per model (``attnseq gradcheck`` runs it)
"""

from attnseq.gradcheck.checker import Case, check

__all__ = ["Case", "check"]
