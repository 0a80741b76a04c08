"""A pickle reader for a list of plain NumPy arrays that never lets the pickle drive NumPy.

What it accepts is what ``pickle.dump`` writes for a list of arrays of plain numbers (protocols
2 to 5, NumPy 1.x or 2.x): the globals ``numpy.ndarray``, ``numpy.dtype``, NumPy's
``_reconstruct`` (protocols 2-4) and ``_frombuffer`` (protocol 5) under both NumPy's module
names, and ``_codecs.encode`` for latin1 text and ``bytes()`` (how protocol 2 spells bytes).

Why not ``pickle.Unpickler`` with a ``find_class`` that allows only those names: the BUILD
opcode then hands whatever state the pickle holds to ``numpy.dtype.__setstate__`` and
``numpy.ndarray.__setstate__``, which trust it; a dtype declaring an object field past its own
end, then an array of it, makes NumPy write out of bounds. So here none of NumPy's own
reconstruction is ever called. Each allowed global is a stand-in: ``numpy.dtype(code)`` gives a
``PendingDtype``, ``_reconstruct`` a ``PendingArray``, and BUILD on those (the only objects
BUILD accepts) checks the state field by field before anything is made:

- a dtype: one of the plain fixed-size number codes ``_CODE`` (bool, integers, float16/32/64,
  complexes), byte order '<', '>' (or '|' for one byte), no subarray, names, fields, metadata
  or flags; integers are let through so that the caller can name a non-float dtype;
- an array: version 1, a shape of at most ``MAX_DIMS`` non-negative ints with at most
  ``MAX_ELEMENTS`` elements, a checked dtype, C or Fortran order, and exactly
  prod(shape) * itemsize bytes of data; only then is it made by ``numpy.frombuffer``, reshaped
  and copied, so a huge declared shape allocates nothing.

The reader is the pure-Python ``pickle._Unpickler`` (its ``dispatch`` table is per class): the
opcodes such a pickle never uses and that make or fetch other objects (INST, OBJ, NEWOBJ,
NEWOBJ_EX, the extension registry's EXT1/2/4, persistent ids, out-of-band buffers) are refused,
and every read must get the bytes it asks for, so a length field cannot make it allocate more
than the file holds. Every refusal is a ``pickle.UnpicklingError``; a file that ends early is an
``EOFError``.
"""

from __future__ import annotations

import io
import math
import pickle
import re
import struct

import numpy

MAX_ELEMENTS = 10**8  # per array: 200 MB of float16, far above any of the book's models
MAX_DIMS = 32  # NumPy 1.x's limit
_CODE = re.compile(r"b1|[iu][1248]|f[248]|c(8|16)")  # numpy.dtype(code) of a plain number


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle named a global that a list of arrays does not need."""


class _NdarrayName:
    """What ``numpy.ndarray`` stands for: a name that ``_reconstruct`` checks, never a class
    that the pickle could call or instantiate."""


class PendingDtype:
    """``numpy.dtype(code)`` before its BUILD: ``dtype`` is None until the state checks out."""

    def __init__(self, code: str):
        self.code = code
        self.dtype: numpy.dtype | None = None

    def build(self, state) -> None:
        """Check NumPy's dtype state, (3, byteorder, None, None, None, -1, -1, 0) (version 4
        adds a metadata of None), and make the plain dtype it describes."""
        if self.dtype is not None:
            raise pickle.UnpicklingError("a dtype is rebuilt twice")
        plain = (None, None, None, -1, -1, 0)
        if not (type(state) is tuple and len(state) in (8, 9) and state[0] == len(state) - 5
                and state[2:8] == plain and (len(state) == 8 or state[8] is None)):
            raise pickle.UnpicklingError(f"dtype {self.code} has a state that is not a plain "
                                         "number type's (fields, subarray or flags)")
        order = state[1]
        single = self.code[1:] == "1"
        if not (order in ("<", ">") or (single and order == "|")):
            raise pickle.UnpicklingError(f"dtype {self.code} has byte order {order!r}")
        self.dtype = numpy.dtype(("<" if single else order) + self.code)


class PendingArray:
    """What ``_reconstruct(ndarray, (0,), b'b')`` stands for until its BUILD makes the array."""

    def build(self, state) -> numpy.ndarray:
        """The array of NumPy's state (1, shape, dtype, is_fortran, raw bytes), checked."""
        if not (type(state) is tuple and len(state) == 5 and state[0] == 1):
            raise pickle.UnpicklingError("an array's state is not (1, shape, dtype, "
                                         "is_fortran, data)")
        _version, shape, dtype, fortran, data = state
        if type(fortran) is not bool and fortran not in (0, 1):
            raise pickle.UnpicklingError("an array's is_fortran flag is not a bool")
        return checked_array(data, dtype, shape, "F" if fortran else "C")


def checked_array(data, dtype, shape, order) -> numpy.ndarray:
    """A new array of ``shape`` and the checked ``dtype`` (a built ``PendingDtype``) from
    ``data``, exactly prod(shape) * itemsize bytes laid out in ``order`` ('C' or 'F')."""
    if not isinstance(dtype, PendingDtype) or dtype.dtype is None:
        raise pickle.UnpicklingError("an array's dtype is not a rebuilt NumPy dtype")
    if not (type(shape) is tuple and len(shape) <= MAX_DIMS
            and all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape)):
        raise pickle.UnpicklingError(f"an array's shape is not a tuple of at most {MAX_DIMS} "
                                     f"sizes from 0 to {MAX_ELEMENTS}")
    count = math.prod(shape)
    if count > MAX_ELEMENTS:
        raise pickle.UnpicklingError(f"an array of shape {shape} has {count} elements; at "
                                     f"most {MAX_ELEMENTS} are read")
    if order not in ("C", "F"):
        raise pickle.UnpicklingError(f"an array's order is {order!r}, not 'C' or 'F'")
    if type(data) not in (bytes, bytearray):
        raise pickle.UnpicklingError(f"an array's data is a {type(data).__name__}, not bytes")
    need = count * dtype.dtype.itemsize
    if len(data) != need:
        raise pickle.UnpicklingError(f"an array of shape {shape} and dtype {dtype.dtype} "
                                     f"needs {need} bytes; the pickle holds {len(data)}")
    flat = numpy.frombuffer(data, dtype=dtype.dtype, count=count)
    return flat.reshape(shape, order=order).copy(order="K")


def _dtype(code, align=False, copy=True) -> PendingDtype:
    """``numpy.dtype`` as pickles call it, ``(code, False, True)``: plain number codes only."""
    if type(code) is not str or not _CODE.fullmatch(code) or align:
        raise pickle.UnpicklingError(f"dtype {code!r} is not a plain number type")
    return PendingDtype(code)


def _reconstruct(cls, shape, typecode) -> PendingArray:
    """NumPy's ``_reconstruct(ndarray, (0,), b'b')``: an empty stand-in for BUILD to fill."""
    if not isinstance(cls, _NdarrayName):
        raise pickle.UnpicklingError("_reconstruct is called for something but numpy.ndarray")
    return PendingArray()


def _frombuffer(data, dtype, shape, order) -> numpy.ndarray:
    """NumPy's ``_frombuffer(buffer, dtype, shape, order)`` of protocol 5, checked."""
    return checked_array(data, dtype, shape, order)


def _latin1(text, encoding) -> bytes:
    """What protocol 2 pickles call to rebuild bytes, ``_codecs.encode(str, 'latin1')``;
    for any other encoding it refuses rather than look a codec up."""
    if not isinstance(text, str) or encoding != "latin1":
        raise pickle.UnpicklingError("_codecs.encode is accepted for latin1 text only")
    return text.encode("latin1")


def _empty_bytes() -> bytes:
    """``bytes()``: how protocol 2 spells empty bytes (an empty array's data); no arguments."""
    return b""


def _globals() -> dict:
    """(module, name) -> stand-in, under NumPy 1.x names (numpy.core) and 2.x (numpy._core)."""
    allowed = {("numpy", "ndarray"): _NdarrayName(), ("numpy", "dtype"): _dtype,
               ("_codecs", "encode"): _latin1, ("__builtin__", "bytes"): _empty_bytes}
    for core in ("numpy.core", "numpy._core"):
        allowed[(f"{core}.multiarray", "_reconstruct")] = _reconstruct
        allowed[(f"{core}.numeric", "_frombuffer")] = _frombuffer
    return allowed


class _ExactReader:
    """The file's bytes for the unpickler, where a short read is the end of the file."""

    def __init__(self, data: bytes):
        self._file = io.BytesIO(data)

    def read(self, n: int) -> bytes:
        chunk = self._file.read(n)
        if len(chunk) < n:
            raise EOFError("the pickle ends early")
        return chunk

    def readline(self) -> bytes:
        line = self._file.readline()
        if not line.endswith(b"\n"):
            raise EOFError("the pickle ends early")
        return line


def _load_build(self) -> None:
    """BUILD: fills a PendingDtype, or turns a PendingArray into its array (on the stack and
    in the memo); any other object is refused."""
    state = self.stack.pop()
    target = self.stack[-1]
    if isinstance(target, PendingDtype):
        target.build(state)
    elif isinstance(target, PendingArray):
        array = target.build(state)
        self.stack[-1] = array
        for key, value in self.memo.items():
            if value is target:
                self.memo[key] = array
    else:
        raise pickle.UnpicklingError(f"BUILD on a {type(target).__name__}: only NumPy dtypes "
                                     "and arrays are rebuilt")


def _load_bytearray8(self) -> None:
    """BYTEARRAY8 (protocol 5's in-band array data), read before any bytearray is made."""
    (size,) = struct.unpack("<Q", self.read(8))
    self.append(bytearray(self.read(size)))


def _refuse(opcode: str):
    def load(self) -> None:
        raise pickle.UnpicklingError(f"opcode {opcode} is not used by a list of arrays")
    return load


def _dispatch() -> dict:
    """The pure-Python unpickler's opcode table with BUILD, BYTEARRAY8 and the refusals."""
    table = dict(pickle._Unpickler.dispatch)
    for name in ("INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1", "EXT2", "EXT4", "PERSID",
                 "BINPERSID", "NEXT_BUFFER", "READONLY_BUFFER"):
        table[getattr(pickle, name)[0]] = _refuse(name)
    table[pickle.BUILD[0]] = _load_build
    table[pickle.BYTEARRAY8[0]] = _load_bytearray8
    return table


class ArrayUnpickler(pickle._Unpickler):
    """Reads the pickle in ``data`` (bytes) as the module's doc says."""

    dispatch = _dispatch()

    def __init__(self, data: bytes):
        super().__init__(_ExactReader(data))
        self._allowed = _globals()

    def find_class(self, module, name):
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise RefusedGlobal(f"{module}.{name}") from None


def load_arrays(data: bytes):
    """The object pickled in ``data``, read by ``ArrayUnpickler``."""
    return ArrayUnpickler(data).load()
