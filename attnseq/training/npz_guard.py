"""Reading the arrays of a ``weights.npz`` that may come from a stranger, bounded and plain.

An ``.npz`` is a zip archive of ``.npy`` members. ``numpy.load`` reads one in ways that a
hostile file can abuse: a member without the ``.npy`` header comes back as raw bytes, a header
may claim a shape of 10**12 elements (allocated before a byte is read), and a small compressed
member may expand to gigabytes. ``read_arrays`` reads each member itself and checks, before
allocating or decompressing anything:

- the archive's members are exactly the names asked for, each ``NAME.npy``, neither
  encrypted nor compressed otherwise than numpy compresses;
- their sizes in the zip directory (what they expand to) total at most ``limit`` bytes;
- each member starts with the npy magic and a header of format 1.0 or 2.0, whose dtype holds
  no Python objects (``allow_pickle=False``'s rule) and whose shape × itemsize is exactly the
  member's size after its header.

Then each member is read (at most its stated size: the zip reader stops there) into an array.
Any failure is one ``AttnseqError`` line naming the file and the member.
"""

from __future__ import annotations

import math
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy
from numpy.lib import format as npy

from attnseq.core.errors import AttnseqError
from attnseq.core.limits import WEIGHT_BYTES

MAX_WEIGHT_BYTES = WEIGHT_BYTES.maximum  # attnseq.core.limits says why
NPY_VERSIONS = ((1, 0), (2, 0))
# What numpy.savez and savez_compressed write (and Python's zipfile can read without a
# password); anything else would make zipfile raise outside its own error class.
COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
ENCRYPTED = 0x1  # bit 0 of a zip entry's general-purpose flags


def read_arrays(file: Path, names: Sequence[str], *,
                limit: int = MAX_WEIGHT_BYTES) -> dict[str, numpy.ndarray]:
    """The arrays ``names`` of the npz archive ``file`` (see the module docstring)."""
    try:
        size = file.stat().st_size
        if size > limit:
            raise AttnseqError(f"{file} is {size} bytes, over the limit of {limit}")
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            _check_members(file, infos, names, limit)
            by_name = {info.filename: info for info in infos}
            return {name: _read_member(file, archive, by_name[name + ".npy"])
                    for name in names}
    except AttnseqError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise AttnseqError(f"{file} is corrupt: {exc}") from None


def _check_members(file: Path, infos: list[zipfile.ZipInfo], names: Sequence[str],
                   limit: int) -> None:
    """Refuse an archive whose members are not ``NAME.npy`` for exactly ``names``, or would
    expand past ``limit`` bytes: from the zip directory alone, nothing decompressed."""
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise AttnseqError(f"{file}: member {info.filename!r} is not an .npy array")
        if info.flag_bits & ENCRYPTED:
            raise AttnseqError(f"{file}: member {info.filename!r} is encrypted")
        if info.compress_type not in COMPRESSIONS:
            raise AttnseqError(f"{file}: member {info.filename!r} is compressed by method "
                               f"{info.compress_type}, which zip files of numpy never use")
    members = [info.filename[: -len(".npy")] for info in infos]
    if sorted(members) != sorted(names):
        raise AttnseqError(f"{file} holds {len(members)} arrays; the model config needs "
                           f"{len(names)}")
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise AttnseqError(f"{file} expands to {total} bytes, over the limit of {limit}")


def _read_member(file: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> numpy.ndarray:
    """One ``.npy`` member as an array, its header checked before its data is read."""
    name = info.filename[: -len(".npy")]
    with archive.open(info) as stream:
        magic = stream.read(len(npy.MAGIC_PREFIX) + 2)
        if len(magic) < len(npy.MAGIC_PREFIX) + 2 or not magic.startswith(npy.MAGIC_PREFIX):
            raise AttnseqError(f"{file}: {name} is not an .npy array")
        version = (magic[-2], magic[-1])
        if version not in NPY_VERSIONS:
            raise AttnseqError(f"{file}: {name} has npy format version {version[0]}."
                               f"{version[1]}; this attnseq reads 1.0 and 2.0")
        read_header = (npy.read_array_header_1_0 if version == (1, 0)
                       else npy.read_array_header_2_0)
        shape, fortran_order, dtype = read_header(stream)
        if dtype.hasobject:
            raise AttnseqError(f"{file}: {name} holds Python objects, which would be "
                               "unpickled; refused (allow_pickle=False)")
        nbytes = math.prod(shape) * dtype.itemsize  # Python integers: no overflow
        stored = info.file_size - stream.tell()
        if nbytes != stored:
            raise AttnseqError(f"{file}: {name}'s header claims {dtype}{list(shape)} "
                               f"({nbytes} bytes), but the member holds {stored}")
        data = stream.read(nbytes)
    if len(data) != nbytes:
        raise AttnseqError(f"{file}: {name} is truncated")
    array = numpy.frombuffer(data, dtype=dtype)
    return array.reshape(shape, order="F" if fortran_order else "C")
