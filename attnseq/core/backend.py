"""The array module, the dtype policy and the crossings between host and device, in one place.

Layers, models, decoding, training and the gradient checks take their array module from here
(``from attnseq.core.backend import xp``) instead of importing NumPy for array math, so that a
GPU backend is switched on by one environment variable, read once at import:

    ATTNSEQ_BACKEND=numpy     the default
    ATTNSEQ_BACKEND=cupy      CuPy (must be installed; see docs/performance.md for what has
                              been verified on a GPU)
    ATTNSEQ_BACKEND=standin   ``attnseq.core.standin``: NumPy behind CuPy's refusals, so that
                              a machine without a GPU finds every stray host operation

Arrays cross between host and device in named places only, each through one function here:
``to_device`` (loading weights, a batch of ids) and ``to_numpy`` (saving weights, printing,
the explorer's JSON, decoding's final ids). ``random_generator`` gives the generator that
draws on the device (initial weights, dropout masks) from a seed or a host Generator.

Dtype policy: training runs in float32 (``DEFAULT_DTYPE``); every layer and model can also be
built in float64, which the gradient checks use. Integer token ids are ``INDEX_DTYPE``.
"""

from __future__ import annotations

import os

import numpy

from attnseq.core.errors import AttnseqError

DEFAULT_DTYPE = numpy.dtype(numpy.float32)
INDEX_DTYPE = numpy.dtype(numpy.int32)
FLOAT_DTYPES = (numpy.dtype(numpy.float32), numpy.dtype(numpy.float64))


BACKENDS = ("numpy", "cupy", "standin")


def _array_module(name: str):
    if name == "numpy":
        return numpy
    if name == "standin":
        from attnseq.core import standin  # noqa: PLC0415 - a test tool, loaded when asked for
        return standin
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415 - optional, imported only when asked for
        except ImportError:
            raise AttnseqError("ATTNSEQ_BACKEND=cupy needs CuPy, which is not installed "
                               "(pip install cupy-cuda12x)") from None
        return cupy  # pragma: no cover - GPU only
    raise AttnseqError(f"ATTNSEQ_BACKEND must be one of {', '.join(BACKENDS)}, got {name!r}")


xp = _array_module(os.environ.get("ATTNSEQ_BACKEND", "numpy"))


def float_dtype(dtype=None) -> numpy.dtype:
    """Return ``dtype`` as a NumPy float dtype (float32 when None); refuse anything else."""
    dt = DEFAULT_DTYPE if dtype is None else numpy.dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def to_numpy(a):
    """Bring an array back to host memory as a NumPy array (no copy on the NumPy backend)."""
    if xp is numpy:
        return numpy.asarray(a)
    return xp.asnumpy(a)


def to_device(a, dtype=None):
    """Put a host array (or a list, or a number) on the device (no copy on the NumPy backend
    when it already has ``dtype``)."""
    return xp.asarray(a, dtype=dtype)


def random_generator(rng=None):
    """The generator that draws on the device, from a ``numpy.random.Generator``, a seed or
    None. On NumPy it is that Generator itself (a seeded run draws the same numbers as
    before); on a device it is ``xp.random.default_rng`` seeded by one draw from it."""
    host = rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)
    if xp is numpy:
        return host
    return xp.random.default_rng(int(host.integers(2**63)))
