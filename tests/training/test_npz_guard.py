"""npz_guard.read_arrays: what numpy.load would give for a plain archive, and refusals from
the zip directory and the npy headers before any data is read."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.training.npz_guard import read_arrays


def write_npz(path, arrays: dict, compress: bool = False):
    (np.savez_compressed if compress else np.savez)(path, **arrays)
    return path


def refusal(path, names, **kw) -> str:
    with pytest.raises(AttnseqError) as info:
        read_arrays(path, names, **kw)
    assert "\n" not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize("compress", [False, True], ids=["stored", "deflated"])
def test_reads_what_numpy_load_reads(tmp_path, compress):
    rng = np.random.default_rng(0)
    arrays = {"a": rng.standard_normal((3, 4)).astype(np.float32),
              "b": np.asfortranarray(rng.standard_normal((5, 2))),
              "c": np.arange(6, dtype=">i4").reshape(2, 3),
              "d": np.float64(2.5)}
    file = write_npz(tmp_path / "w.npz", arrays, compress)
    got = read_arrays(file, ["a", "b", "c", "d"])
    with np.load(file, allow_pickle=False) as data:
        for name in arrays:
            assert got[name].dtype == data[name].dtype
            assert got[name].shape == data[name].shape
            assert np.array_equal(got[name], data[name])


def test_a_compressed_member_past_the_limit_is_refused_unread(tmp_path, monkeypatch):
    """10 MB of zeros deflate to about 10 KB: the zip directory says what they expand to."""
    file = write_npz(tmp_path / "w.npz", {"a": np.zeros(10 ** 7, np.uint8)}, compress=True)
    assert file.stat().st_size < 10 ** 5
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *a, **kw: pytest.fail("opened"))
    expands = 10 ** 7 + 128  # the npy header: 128 bytes
    assert refusal(file, ["a"], limit=10 ** 6) == (f"{file} expands to {expands} bytes, over "
                                                   f"the limit of {10 ** 6}")


def test_a_file_past_the_limit_is_refused_before_it_is_opened(tmp_path):
    file = write_npz(tmp_path / "w.npz", {"a": np.zeros(1000, np.float32)})
    size = file.stat().st_size
    assert refusal(file, ["a"], limit=size - 1) == (f"{file} is {size} bytes, over the limit "
                                                   f"of {size - 1}")


def test_a_member_shorter_than_its_zip_entry_says_is_truncated(tmp_path):
    """A zip directory that claims more than the member holds: read stops at its end."""
    raw = io.BytesIO()
    np.save(raw, np.zeros(4, np.float32))
    npy = raw.getvalue()
    file = tmp_path / "w.npz"
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr("a.npy", npy[:-8])  # the header still says 4 floats: 16 bytes
    assert refusal(file, ["a"]) == (f"{file}: a's header claims float32[4] (16 bytes), but "
                                    "the member holds 8")


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns, and writes it twice
@pytest.mark.parametrize("members, message", [
    (["a.npy", "a.npy"], " holds 2 arrays; the model config needs 1"),
    ([], " holds 0 arrays; the model config needs 1"),
    (["b.npy"], " holds 1 arrays; the model config needs 1"),
    (["a.txt"], ": member 'a.txt' is not an .npy array"),
])
def test_members_must_be_exactly_the_names_asked_for(tmp_path, members, message):
    raw = io.BytesIO()
    np.save(raw, np.zeros(2))
    file = tmp_path / "w.npz"
    with zipfile.ZipFile(file, "w") as archive:
        for name in members:
            archive.writestr(name, raw.getvalue())
    assert refusal(file, ["a"]) == f"{file}{message}"


def test_a_header_that_is_not_a_python_literal_is_corrupt(tmp_path):
    header = b"{'descr': __import__('os').getcwd(), 'shape': (1,)}".ljust(117) + b"\n"
    file = tmp_path / "w.npz"
    with zipfile.ZipFile(file, "w") as archive:
        archive.writestr("a.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                         + header + bytes(8))
    assert refusal(file, ["a"]).startswith(f"{file} is corrupt: ")
