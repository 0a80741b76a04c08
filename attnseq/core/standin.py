"""A stand-in device array module: NumPy underneath, CuPy's manners on top.

``ATTNSEQ_BACKEND=standin`` selects it (``attnseq.core.backend``), so that the whole package can
be run as if its arrays lived on a GPU, on a machine without one. It keeps CuPy's rules where
they matter for correctness, and is stricter where CuPy would merely be slow:

- its arrays (``ndarray``) refuse implicit conversion to NumPy: ``__array__`` raises, as
  CuPy's does, and so does every NumPy function and ufunc called on them
  (``__array_function__``, ``__array_ufunc__ = None``; CuPy would dispatch those, but a stray
  ``numpy.`` call is exactly what this module exists to catch);
- arithmetic, assignment into a device array and the module's functions refuse NumPy
  arrays: ``asarray``/``array`` are the only way onto the device and ``asnumpy`` the only way
  off it (NumPy scalars, Python numbers and dtypes pass, as on CuPy; so do NumPy index
  arrays). CuPy would copy an assigned NumPy array silently; refusing it keeps every
  crossing in ``attnseq.core.backend``'s two functions;
- reductions return 0-d arrays, not scalars; ``float()``, ``int()``, ``bool()`` and
  ``item()`` of a 0-d array, and ``tolist()`` (host control flow: a batch's prefix plan),
  synchronise and are allowed, as on CuPy;
- ``random.default_rng(seed)`` gives a generator whose draws are device arrays, and ufuncs
  keep the methods current CuPy has (``add.at``, ``reduceat``, ``accumulate``); ``scatter_add``
  does not exist here, as it no longer does in ``cupy`` (it moved to ``cupyx``).

It lives in the package, not under ``tests/``, because the backend switch imports it by name
from the environment variable: a subprocess (or the command line) selects it like CuPy, with
no path to arrange. It is a test tool: nothing is faster or more precise with it.
"""

from __future__ import annotations

import numpy

_REFUSED = ("stand-in device array: implicit conversion to a NumPy array is not allowed "
            "(use asnumpy)")


def _unwrap(value, *, host_ok: bool = False):
    """The NumPy array under a stand-in array, through lists, tuples and dicts; a NumPy array
    is refused unless ``host_ok`` (``asarray``, and indices, which CuPy also takes)."""
    if isinstance(value, ndarray):
        return value._a
    if isinstance(value, numpy.ndarray) and not host_ok:
        raise TypeError("stand-in device functions do not take NumPy arrays (use asarray)")
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, host_ok=host_ok) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v, host_ok=host_ok) for k, v in value.items()}
    return value


def _wrap(value):
    """A NumPy result as a stand-in array (scalars as 0-d arrays, like CuPy's reductions)."""
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _binary(name: str):
    def op(self, other):
        return _wrap(getattr(self._a, name)(_unwrap(other)))
    op.__name__ = name
    return op


def _method(name: str):
    def call(self, *args, **kwargs):
        return _wrap(getattr(self._a, name)(*_unwrap(args), **_unwrap(kwargs)))
    call.__name__ = name
    return call


class ndarray:  # noqa: N801 - the array type is spelled as NumPy's and CuPy's
    """A device array: a NumPy array that only this module's functions may touch."""

    __slots__ = ("_a",)
    __array_ufunc__ = None  # numpy.exp(x), host + x: refused (binary operators defer here)
    __hash__ = None  # type: ignore[assignment]  # arrays are not hashable

    def __init__(self, a: numpy.ndarray):
        self._a = a

    def __array__(self, *args, **kwargs):
        raise TypeError(_REFUSED)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"{_REFUSED}: numpy.{func.__name__} called on a device array")

    # what an array is
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray(self._a.T))

    def __repr__(self) -> str:
        return f"standin.{self._a!r}"

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        return (_wrap(row) for row in self._a)

    # host values of a 0-d array: a synchronisation on CuPy, allowed there too
    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def item(self):
        return self._a.item()

    def tolist(self) -> list:
        return self._a.tolist()

    def __getitem__(self, key):
        return _wrap(self._a[_unwrap(key, host_ok=True)])

    def __setitem__(self, key, value) -> None:
        self._a[_unwrap(key, host_ok=True)] = _unwrap(value)

    def _inplace(self, name: str, other):
        getattr(self._a, name)(_unwrap(other))
        return self

    def __iadd__(self, other):
        return self._inplace("__iadd__", other)

    def __isub__(self, other):
        return self._inplace("__isub__", other)

    def __imul__(self, other):
        return self._inplace("__imul__", other)

    def __itruediv__(self, other):
        return self._inplace("__itruediv__", other)

    def __ior__(self, other):
        return self._inplace("__ior__", other)

    def __iand__(self, other):
        return self._inplace("__iand__", other)

    def __neg__(self):
        return ndarray(-self._a)

    def __invert__(self):
        return ndarray(~self._a)

    def __abs__(self):
        return ndarray(abs(self._a))


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv",
              "mod", "pow", "rpow", "matmul", "rmatmul", "eq", "ne", "lt", "le", "gt", "ge",
              "and", "rand", "or", "ror", "xor"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))
for _name in ("reshape", "transpose", "swapaxes", "sum", "mean", "max", "min", "argmax",
              "argmin", "any", "all", "cumsum", "astype", "copy", "fill", "ravel", "flatten",
              "squeeze", "dot", "view", "take", "repeat", "prod", "var", "std", "nonzero",
              "argsort", "sort", "clip"):
    setattr(ndarray, _name, _method(_name))
del _name


class _Function:
    """A NumPy function on stand-in arrays; ufuncs keep the methods CuPy's have."""

    __slots__ = ("_f",)

    def __init__(self, f):
        self._f = f

    def __call__(self, *args, **kwargs):
        return _wrap(self._f(*_unwrap(args), **_unwrap(kwargs)))

    def __getattr__(self, name: str):
        if name not in ("at", "reduce", "reduceat", "accumulate", "outer"):
            raise AttributeError(name)
        return _Function(getattr(self._f, name))


class _Namespace:
    """NumPy's names (a module or a submodule) on stand-in arrays."""

    __slots__ = ("_module",)

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name: str):
        value = getattr(self._module, name)
        if value is None or isinstance(value, (type, numpy.dtype, float, int, str)):
            return value  # dtypes, finfo, constants: as NumPy's (CuPy shares them)
        if callable(value):
            return _Function(value)
        raise AttributeError(f"the stand-in module has no {name!r}")


class _Generator:
    """A random generator whose draws are device arrays (``cupy.random.Generator``'s role)."""

    __slots__ = ("_g",)

    def __init__(self, seed):
        self._g = numpy.random.default_rng(seed)

    def __getattr__(self, name: str):
        if name not in ("random", "standard_normal", "integers", "permutation", "uniform",
                        "normal"):
            raise AttributeError(name)
        return _Function(getattr(self._g, name))


class _Random:
    __slots__ = ()

    @staticmethod
    def default_rng(seed=None) -> _Generator:
        if isinstance(seed, (numpy.ndarray, ndarray)):
            raise TypeError("default_rng takes an int seed")
        return _Generator(seed)


random = _Random()
linalg = _Namespace(numpy.linalg)
__getattr__ = _Namespace(numpy).__getattr__


def asarray(a, dtype=None):
    """Onto the device: a NumPy array (copied), a list or a number; a device array as is."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray(numpy.array(_unwrap(a, host_ok=True), dtype=dtype))


def array(a, dtype=None):
    """Onto the device, always a copy."""
    return ndarray(numpy.array(_unwrap(a, host_ok=True), dtype=dtype))


def asnumpy(a) -> numpy.ndarray:
    """Off the device: a NumPy copy (a NumPy array passes as it is, as with CuPy)."""
    if isinstance(a, ndarray):
        return a._a.copy()
    return numpy.asarray(a)
