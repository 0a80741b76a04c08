"""Hostile and careless model directories: each refused in one line, exit 2, nothing lost.

``CASES`` is the table of docs/reliability.md ("Model directories and saves"): every row
builds a damaged model directory from a freshly saved tiny model, runs it through
``attnseq convert``, ``attnseq eval`` (in-process, as the command line runs) or the explorer's
loader (what ``attnseq serve`` runs before it listens), and expects the exact message. The
directory's files must be unchanged afterwards: a refusal reads, it never repairs or deletes.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from attnseq.cli import main
from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.experiments.run import Task
from attnseq.models.config_entry import model_config
from attnseq.serve.explorer import load_explorers
from attnseq.tasks.vocab import Vocab
from attnseq.training import checkpoint, npz_guard

DATA = {"kind": "dates", "samples": 40, "seed": 0}


def save_model(path: Path, vocab: Vocab | None = None) -> Path:
    """A tiny attention model for the book's date task, saved at ``path``."""
    vocab = vocab or Task.dates(DATA["samples"], DATA["seed"]).vocab
    config = model_config("attention", dict(wordvec_size=4, hidden_size=6, question_len=40,
                                            answer_len=10))
    Converter.create(config, vocab, seed=0).save(path, data=DATA)
    return path


def snapshot(directory: Path) -> dict:
    """Every regular file under ``directory`` (relative name -> bytes); {} when not a dir."""
    if not directory.is_dir() or directory.is_symlink():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


# -- what the damages write ------------------------------------------------------------------

def edit_config(d: Path, edit: Callable[[dict], object]) -> None:
    doc = json.loads((d / "config.json").read_text(encoding="utf-8"))
    edit(doc)
    (d / "config.json").write_text(json.dumps(doc), encoding="utf-8")


def write_config_text(d: Path, text: str) -> None:
    (d / "config.json").write_text(text, encoding="utf-8")


def saved_arrays(d: Path) -> dict[str, np.ndarray]:
    with np.load(d / "weights.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def write_members(d: Path, members: dict[str, bytes], compress: bool = False) -> None:
    """weights.npz as a zip of exactly ``members`` (name -> bytes)."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(d / "weights.npz", "w", method) as archive:
        for name, raw in members.items():
            archive.writestr(name, raw)


def members_with(d: Path, name: str, raw: bytes) -> dict[str, bytes]:
    """The saved weights as npz members, with member ``name`` replaced by ``raw``."""
    members = {f"{n}.npy": npy(a) for n, a in saved_arrays(d).items()}
    members[name] = raw
    return members


def forge_expanded_size(file: Path, member: str, size: int) -> None:
    """Patch the zip's central directory: ``member`` now says it expands to ``size`` bytes,
    as a small compressed member of ``size`` zeros would (without compressing gigabytes)."""
    raw = bytearray(file.read_bytes())
    at = raw.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46:at + 46 + name_len] == member.encode():
            struct.pack_into("<I", raw, at + 24, size)
            file.write_bytes(bytes(raw))
            return
        at = raw.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"no member {member}")


def _nested(d: Path) -> None:
    write_config_text(d, "[" * 100_000 + "]" * 100_000)


def _nested_inside(d: Path) -> None:
    edit_config(d, lambda doc: doc.update(train={"x": json.loads("[" * 40 + "]" * 40)}))


def _hidden_size_written_as(literal: str) -> Callable[[Path], None]:
    def damage(d: Path) -> None:
        text = (d / "config.json").read_text(encoding="utf-8")
        write_config_text(d, text.replace('"hidden_size": 6', '"hidden_size": ' + literal))
    return damage


def _oversized_config(d: Path) -> None:
    with open(d / "config.json", "r+b") as f:
        f.truncate(checkpoint.MAX_CONFIG_BYTES + 1)  # sparse: no disk, the reader sees zeros


def _link(d: Path, name: str, to: str) -> None:
    (d / name).unlink()
    os.symlink(to, d / name)


def _pickled_member(d: Path) -> None:
    evil = np.empty(1, dtype=object)
    evil[0] = {"not": "an array"}
    write_members(d, members_with(d, "param_000.npy", npy(evil)))


def _huge_header(d: Path) -> None:
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (10**12,)})
    write_members(d, members_with(d, "param_000.npy", header.getvalue() + b"\0" * 64))


def _compressed_bomb(d: Path) -> None:
    members = members_with(d, "param_000.npy", npy(np.zeros(1000, np.float32)))
    write_members(d, members, compress=True)
    others = sum(len(raw) for name, raw in members.items() if name != "param_000.npy")
    forge_expanded_size(d / "weights.npz", "param_000.npy", npz_guard.MAX_WEIGHT_BYTES + 1 - others)


def _entry_field(offsets: tuple[int, int], value: Callable[[int], int]) -> Callable:
    """A damage that rewrites a 16-bit field of the first member's local header and its
    central directory entry (at these offsets in each) by ``value(old)``."""
    def damage(d: Path) -> None:
        raw = bytearray((d / "weights.npz").read_bytes())
        for signature, offset in zip((b"PK\x03\x04", b"PK\x01\x02"), offsets, strict=True):
            at = raw.find(signature) + offset
            struct.pack_into("<H", raw, at, value(struct.unpack_from("<H", raw, at)[0]))
        (d / "weights.npz").write_bytes(bytes(raw))
    return damage


def _npy_version_3(d: Path) -> None:
    raw = bytearray(npy(saved_arrays(d)["param_000"]))
    raw[6] = 3
    write_members(d, members_with(d, "param_000.npy", bytes(raw)))


def _values(d: Path, value: float) -> None:
    arrays = saved_arrays(d)
    arrays["param_001"] = np.full_like(arrays["param_001"], value)
    np.savez(d / "weights.npz", **arrays)


def _no_visible_token(d: Path) -> None:
    save_model(d, Vocab.from_texts([" \t"]))


def _loop(d: Path) -> Path:
    loop = d.parent / "loop"
    os.symlink("loop", loop)
    return loop


@dataclass(frozen=True)
class Case:
    category: str
    name: str
    damage: Callable[[Path], object]  # returns the Path to use when not the directory
    command: str  # "convert", "eval" or "serve" (the explorer's loader)
    message: str  # with {d}: the directory (or the path ``damage`` returned)


CONFIG = "config.json"
WEIGHTS = "weights.npz"
VALUES = "weights' values"
PATHS = "paths and links"
DATA_VOCAB = "data source and vocabulary"

CASES = (
    Case(CONFIG, "garbage", lambda d: write_config_text(d, "garbage\n"), "convert",
         "{d}/config.json is corrupt: Expecting value: line 1 column 1 (char 0)"),
    Case(CONFIG, "not-utf8", lambda d: (d / "config.json").write_bytes(b'{"a": "\xff"}'),
         "convert", "{d}/config.json is corrupt: 'utf-8' codec can't decode byte 0xff in "
         "position 7: invalid start byte"),
    Case(CONFIG, "nested-100000", _nested, "serve",
         "{d}/config.json nests deeper than 32 levels"),
    Case(CONFIG, "nested-in-a-section", _nested_inside, "convert",
         "{d}/config.json nests deeper than 32 levels"),
    Case(CONFIG, "nan-constant", _hidden_size_written_as("NaN"), "convert",
         "{d}/config.json is corrupt: NaN is not a JSON number"),
    Case(CONFIG, "5000-digit-integer", _hidden_size_written_as("9" * 5000), "convert",
         "{d}/config.json is corrupt: Exceeds the limit (4300 digits) for integer string "
         "conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase "
         "the limit"),
    Case(CONFIG, "over-64-MiB", _oversized_config, "convert",
         f"{{d}}/config.json is over the limit of {checkpoint.MAX_CONFIG_BYTES} bytes"),
    Case(CONFIG, "a-list", lambda d: write_config_text(d, "[]"), "convert",
         "{d}/config.json is not an attnseq model config"),
    Case(CONFIG, "format-version-3", lambda d: edit_config(d, lambda c: c.update(
        format_version=3)), "convert",
         "{d}/config.json has format version 3; this attnseq reads versions 1, 2"),
    Case(CONFIG, "data-a-list", lambda d: edit_config(d, lambda c: c.update(data=[1])),
         "eval", "{d}/config.json: 'data' must be an object, got list"),
    Case(CONFIG, "history-of-numbers", lambda d: edit_config(d, lambda c: c.update(
        history=[1, 2])), "convert", "{d}/config.json: 'history' must hold objects"),
    Case(CONFIG, "model-a-list", lambda d: edit_config(d, lambda c: c.update(model=[])),
         "convert", "{d}: model config must be a JSON object"),
    Case(PATHS, "config-is-dev-zero", lambda d: _link(d, "config.json", "/dev/zero"),
         "convert", "{d} is not an attnseq model directory (no config.json)"),
    Case(WEIGHTS, "missing", lambda d: (d / "weights.npz").unlink(), "convert",
         "{d}/weights.npz is missing"),
    Case(WEIGHTS, "garbage", lambda d: (d / "weights.npz").write_bytes(b"\0junk" * 50),
         "convert", "{d}/weights.npz is corrupt: File is not a zip file"),
    Case(PATHS, "weights-is-dev-zero", lambda d: _link(d, "weights.npz", "/dev/zero"),
         "convert", "{d}/weights.npz is missing"),
    Case(WEIGHTS, "pickled-member", _pickled_member, "convert",
         "{d}/weights.npz: param_000 holds Python objects, which would be unpickled; "
         "refused (allow_pickle=False)"),
    Case(WEIGHTS, "garbage-member", lambda d: write_members(
        d, members_with(d, "param_000.npy", b"garbage bytes")), "serve",
         "{d}/weights.npz: param_000 is not an .npy array"),
    Case(WEIGHTS, "member-not-npy", lambda d: write_members(
        d, {"param_000": b"raw", **members_with(d, "param_000.npy", b"")}), "convert",
         "{d}/weights.npz: member 'param_000' is not an .npy array"),
    Case(WEIGHTS, "header-claims-10**12", _huge_header, "convert",
         "{d}/weights.npz: param_000's header claims float32[1000000000000] "
         "(4000000000000 bytes), but the member holds 64"),
    Case(WEIGHTS, "compressed-past-2-GiB", _compressed_bomb, "convert",
         f"{{d}}/weights.npz expands to {npz_guard.MAX_WEIGHT_BYTES + 1} bytes, over the limit of "
         f"{npz_guard.MAX_WEIGHT_BYTES}"),
    Case(WEIGHTS, "npy-version-3", _npy_version_3, "convert",
         "{d}/weights.npz: param_000 has npy format version 3.0; this attnseq reads 1.0 "
         "and 2.0"),
    Case(WEIGHTS, "encrypted-member", _entry_field((6, 8), lambda flags: flags | 1), "convert",
         "{d}/weights.npz: member 'param_000.npy' is encrypted"),
    Case(WEIGHTS, "unknown-compression", _entry_field((8, 10), lambda method: 99), "convert",
         "{d}/weights.npz: member 'param_000.npy' is compressed by method 99, which zip "
         "files of numpy never use"),
    Case(WEIGHTS, "extra-array", lambda d: write_members(
        d, members_with(d, "extra.npy", npy(np.zeros(2)))), "convert",
         "{d}/weights.npz holds 11 arrays; the model config needs 10"),
    Case(WEIGHTS, "wrong-dtype", lambda d: write_members(d, members_with(
        d, "param_000.npy", npy(saved_arrays(d)["param_000"].astype(np.float64)))),
         "convert", "{d}/weights.npz: param_000 is float64[63, 4]; the model config needs "
         "float32[63, 4]"),
    Case(VALUES, "all-nan", lambda d: _values(d, np.nan), "convert",
         "{d}/weights.npz: param_001 holds NaN or infinite values; refusing weights that "
         "cannot convert anything"),
    Case(VALUES, "all-inf", lambda d: _values(d, np.inf), "serve",
         "{d}/weights.npz: param_001 holds NaN or infinite values; refusing weights that "
         "cannot convert anything"),
    Case(PATHS, "symlink-loop", _loop, "convert", "{d} is a loop of symbolic links"),
    Case(PATHS, "symlink-loop-served", _loop, "serve", "{d} is a loop of symbolic links"),
    Case(PATHS, "name-of-300-characters", lambda d: d.parent / ("x" * 300), "serve",
         "cannot use the path {d}: File name too long"),
    Case(PATHS, "a-file", lambda d: d.parent / "config.json", "convert",
         "{d} is not a model directory"),
    Case(DATA_VOCAB, "locales-of-numbers", lambda d: edit_config(
        d, lambda c: c.update(data={**DATA, "locales": [1]})), "eval",
         "a locale is a name such as 'ko', got 1"),
    Case(DATA_VOCAB, "no-visible-token", _no_visible_token, "serve",
         "m: the vocabulary holds no visible token, so no text could be converted"),
    Case(DATA_VOCAB, "vocab-of-numbers", lambda d: edit_config(
        d, lambda c: c["vocab"].update(tokens=[1, 2])), "convert",
         "{d}: vocabulary 'tokens' must be a list of strings"),
)


def refusal(command: str, path: Path, capsys) -> str:
    """Run ``command`` on ``path``; assert the one-line refusal and return its message."""
    if command == "serve":
        with pytest.raises(AttnseqError) as info:
            load_explorers([path])
        message = str(info.value)
    else:
        args = [command, str(path)] + (["1/2/03"] if command == "convert" else [])
        assert main(args) == 2
        out, err = capsys.readouterr()
        assert out == ""
        prefix = f"attnseq {command}: error: "
        assert err.startswith(prefix) and err.endswith("\n")
        message = err[len(prefix):-1]
    assert "\n" not in message
    return message


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.command}-{c.name}")
def test_a_hostile_model_directory_is_refused_in_one_line(tmp_path, capsys, case):
    d = save_model(tmp_path / "m")
    (d.parent / "config.json").write_text("{}")  # a file to pass as a directory
    made = case.damage(d)
    path = made if isinstance(made, Path) else d
    before = snapshot(d)
    assert refusal(case.command, path, capsys) == case.message.format(d=path)
    assert snapshot(d) == before  # read, never repaired or deleted


def test_an_intact_directory_passes_every_command(tmp_path, capsys):
    """The control: the same model, undamaged, converts, evaluates and loads to serve."""
    d = save_model(tmp_path / "m")
    assert main(["convert", str(d), "1/2/03"]) == 0
    assert main(["eval", str(d)]) == 0
    assert capsys.readouterr().err == ""
    assert [e.name for e in load_explorers([d])] == ["m"]


def test_the_table_in_the_docs_counts_these_cases():
    """docs/reliability.md's table of model directories: the counts of ``CASES``."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text(
        encoding="utf-8")
    section = doc.split("## Model directories and saves", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    counts = Counter(case.category for case in CASES)
    assert rows == {category: (n, n) for category, n in counts.items()}
