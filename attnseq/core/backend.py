"""The array module and the dtype policy, in one place.

Layers take their array module from here (``from attnseq.core.backend import xp``) instead of
importing NumPy for array math, so that a GPU backend is switched on by one environment
variable: ``ATTNSEQ_BACKEND=cupy`` (CuPy must be installed). The choice is read once, at
import, and never changes afterwards: there is no mutable backend state to get out of sync.

Dtype policy: training runs in float32 (``DEFAULT_DTYPE``); every layer and model can also be
built in float64, which the gradient checks use. Integer token ids are ``INDEX_DTYPE``.
"""

from __future__ import annotations

import os

import numpy

DEFAULT_DTYPE = numpy.dtype(numpy.float32)
INDEX_DTYPE = numpy.dtype(numpy.int32)
FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


def _array_module(name: str):
    if name == "numpy":
        return numpy
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415 - optional, imported only when asked for
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ImportError("ATTNSEQ_BACKEND=cupy needs CuPy: pip install cupy") from exc
        return cupy
    raise ValueError(f"ATTNSEQ_BACKEND must be 'numpy' or 'cupy', got {name!r}")


xp = _array_module(os.environ.get("ATTNSEQ_BACKEND", "numpy"))


def float_dtype(dtype=None) -> numpy.dtype:
    """Return ``dtype`` as a NumPy float dtype (float32 when None); refuse anything else."""
    dt = DEFAULT_DTYPE if dtype is None else numpy.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def to_numpy(a):
    """Bring an array back to host memory as a NumPy array (a no-op on the NumPy backend)."""
    if xp is numpy:
        return numpy.asarray(a)
    return xp.asnumpy(a)  # pragma: no cover - GPU only
