"""Packed rows: the real (non-padding) positions of a padded batch as one (M, D) block.

A batch of sequences of unequal length is padded to a common T. Position-wise layers (the
affine maps, LayerNorm, the feed-forward net, dropout, the residual sums) treat each
position alone, so on the padding they only waste time, and a padding position of a
Transformer's encoder never reaches a real one: its key is masked everywhere. The book's
reversed dates are left-padded to 29 characters and more than half padding, so the encoder
runs its position-wise layers on the packed rows only, and unpacks them just around the
attention scores, which need the (N, h, T, T) layout:

    pack      X (N, T, *F) -> X[mask] (M, *F),  M = Σ mask, rows in row-major order of (N, T)
    unpack    R (M, *F)    -> (N, T, *F): R's rows at the real positions, zero elsewhere

unpack ∘ pack keeps the real rows and zeroes the padding; pack ∘ unpack is the identity.
Each is the other's backward: pack's gradient scatters dR back (zero at the padding), and
unpack's gathers the real rows of dX.
"""

from __future__ import annotations

from attnseq.core.backend import xp
from attnseq.core.errors import AttnseqError


class Packing:
    """Packing(mask (N, T) bool, True at real positions). ``pack(x)`` (N, T, *F) -> (M, *F);
    ``unpack(rows)`` (M, *F) -> (N, T, *F); ``rows`` is M."""

    def __init__(self, mask):
        if mask.ndim != 2:
            raise AttnseqError(f"a packing mask is (N, T), not of shape {mask.shape}")
        self.shape = mask.shape
        self.index = xp.flatnonzero(mask)  # the real positions, flat in (N·T)

    @property
    def rows(self) -> int:
        return int(self.index.size)

    def pack(self, x):
        N, T = self.shape
        if x.shape[:2] != (N, T):
            raise AttnseqError(f"packing an array of shape {x.shape}, not ({N}, {T}, ...)")
        return xp.take(x.reshape(N * T, *x.shape[2:]), self.index, axis=0)

    def unpack(self, rows):
        if rows.shape[0] != self.rows:
            raise AttnseqError(f"unpacking {rows.shape[0]} rows, not {self.rows}")
        N, T = self.shape
        out = xp.zeros((N * T, *rows.shape[1:]), dtype=rows.dtype)
        out[self.index] = rows
        return out.reshape(N, T, *rows.shape[1:])


def packing_of(mask):
    """The ``Packing`` of an (N, T) mask, or None when there is nothing to drop (no mask, or
    no padding in it)."""
    return None if mask is None or bool(mask.all()) else Packing(mask)


def maybe_pack(packing, x):
    """``packing.pack(x)``, or x itself without a packing."""
    return x if packing is None else packing.pack(x)


def maybe_unpack(packing, rows):
    """``packing.unpack(rows)``, or rows themselves without a packing."""
    return rows if packing is None else packing.unpack(rows)


def pack_real(key_mask, x):
    """x (N, T, *F) -> the (M, *F) rows of ``key_mask``'s real positions, or x itself when
    there is no padding to drop (``packing_of``)."""
    return maybe_pack(packing_of(key_mask), x)


def unpack_real(key_mask, rows):
    """The inverse of ``pack_real``: rows back at the real positions of (N, T), zero at the
    padding; rows themselves when ``pack_real`` kept x as it was."""
    return maybe_unpack(packing_of(key_mask), rows)
