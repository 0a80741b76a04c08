"""Model directories: .npz weights + JSON, no pickle, and saves that never destroy a good model."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models import MODELS
from attnseq.models.config_entry import model_config
from attnseq.tasks.vocab import Vocab
from attnseq.training import atomic, checkpoint

VOCAB = Vocab.from_texts(["0123456789-/ ,abcdefghijklmnopqrstuvwxyz"])
TEXTS = ["5/6/07", "jun 17, 2013", "12-25-1999", "9 9 9", "x"]


def make(model="attention", seed=0, **kw):
    config = model_config(model, dict(wordvec_size=6, hidden_size=10, question_len=14,
                         answer_len=10, **kw))
    return Converter.create(config, VOCAB, seed=seed)


def snapshot(directory: Path) -> dict:
    """Every file under ``directory`` (relative name -> bytes)."""
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def loss_of(conv, texts):
    xs, ts = conv.encode([(t, "2000-01-01") for t in texts])
    return conv.model.forward(xs, ts)


class _MakeDirWhenUnpickled:
    """Unpickling this calls ``os.mkdir(path)``: proof that a loader executed pickled code."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


# -- round trip ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_gives_identical_outputs(tmp_path, name):
    conv = make(name, seed=3)
    conv.save(tmp_path / "m", history=[{"epoch": 1, "accuracy": 0.5}], data={"kind": "x"})
    back = Converter.load(tmp_path / "m")

    assert back.config == conv.config
    assert back.vocab == conv.vocab
    assert type(back.model) is type(conv.model)
    for p, q in zip(conv.model.params, back.model.params, strict=True):
        assert p.dtype == q.dtype and np.array_equal(p, q)
    xs = conv.encode_questions(TEXTS)
    assert np.array_equal(back.generate_ids(xs), conv.generate_ids(xs))
    assert back.convert(TEXTS) == conv.convert(TEXTS)
    assert loss_of(back, TEXTS) == loss_of(conv, TEXTS)  # a continuous check, not just argmax
    assert back.meta["history"] == [{"epoch": 1, "accuracy": 0.5}]
    assert back.meta["data"] == {"kind": "x"}
    assert "model" not in back.meta and "vocab" not in back.meta


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("name", ["attention-bi-2-layers-format-1", "peeky-format-1"])
def test_model_directories_written_before_the_fast_layers_load_and_convert_alike(name):
    """Saved by attnseq before its LSTMs were redesigned (commit ae43f64, random weights):
    the same parameters in the same order, so the same conversions and loss."""
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    conv = Converter.load(FIXTURES / name)
    assert conv.convert(expected["questions"]) == expected["answers"]
    xs, ts = conv.encode(list(zip(expected["questions"], expected["targets"], strict=True)))
    assert conv.model.forward(xs, ts) == pytest.approx(expected["loss"], rel=1e-6)


@pytest.mark.parametrize("name", ["attention-bi-2-layers-format-1", "peeky-format-1"])
def test_a_format_1_model_saved_again_is_format_2_and_converts_alike(tmp_path, name):
    """Saving a model read from a format-1 directory writes format 2 (its gates are in the
    book's order now): read back, it converts as the original does, and a third save and
    read change nothing."""
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    Converter.load(FIXTURES / name).save(tmp_path / "again")
    doc = json.loads((tmp_path / "again" / "config.json").read_text(encoding="utf-8"))
    assert doc["format_version"] == checkpoint.FORMAT_VERSION == 2
    again = Converter.load(tmp_path / "again")
    assert again.convert(expected["questions"]) == expected["answers"]
    assert "format_version" not in again.meta
    again.save(tmp_path / "third")
    third = Converter.load(tmp_path / "third")
    for p, q in zip(again.model.params, third.model.params, strict=True):
        assert np.array_equal(p, q)


def test_round_trip_keeps_attention_weights(tmp_path):
    conv = make("attention", seed=5)
    conv.save(tmp_path / "m")
    back = Converter.load(tmp_path / "m")
    for (_, out_a, w_a), (_, out_b, w_b) in zip(conv.attention(TEXTS), back.attention(TEXTS),
                                                strict=True):
        assert out_a == out_b
        assert np.array_equal(w_a, w_b)


def test_directory_layout_and_config_json(tmp_path):
    conv = make("peeky", reverse=False)
    conv.save(tmp_path / "m", train={"epochs": 2})
    assert sorted(os.listdir(tmp_path / "m")) == ["config.json", "weights.npz"]
    doc = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert doc["format"] == "attnseq-model" and doc["format_version"] == 2
    assert doc["model"] == conv.config.to_dict()
    assert doc["vocab"] == VOCAB.to_dict()
    assert doc["train"] == {"epochs": 2}


def test_weights_hold_plain_arrays_only(tmp_path):
    conv = make()
    conv.save(tmp_path / "m")
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as data:
        names = sorted(data.files)
        arrays = [data[n] for n in names]
    assert names == [f"param_{k:03d}" for k in range(len(conv.model.params))]
    for a, p in zip(arrays, conv.model.params, strict=True):
        assert a.dtype != object and np.array_equal(a, p)


def test_saving_again_replaces_the_model(tmp_path):
    first, second = make(seed=1), make(seed=2)
    first.save(tmp_path / "m")
    second.save(tmp_path / "m")
    back = Converter.load(tmp_path / "m")
    assert np.array_equal(back.model.params[0], second.model.params[0])
    assert not np.array_equal(back.model.params[0], first.model.params[0])
    assert os.listdir(tmp_path) == ["m"]  # no leftover temporary or old directories


def test_save_creates_missing_parents_and_accepts_an_empty_directory(tmp_path):
    make().save(tmp_path / "a" / "b" / "m")
    assert checkpoint.is_model_dir(tmp_path / "a" / "b" / "m")
    (tmp_path / "empty").mkdir()
    make().save(tmp_path / "empty")
    assert checkpoint.is_model_dir(tmp_path / "empty")


# -- interrupted saves -----------------------------------------------------------------------

def _half_written_savez(file, **arrays):
    file.write(b"PK\x03\x04 half an archive")
    raise OSError(28, "No space left on device")


def _half_written_json_dump(doc, file, **kw):
    file.write('{"format": "attnseq-mo')
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("target, fake", [
    ("savez", _half_written_savez),
    ("dump", _half_written_json_dump),
])
def test_a_failed_save_keeps_the_previous_model(tmp_path, monkeypatch, target, fake):
    good = make(seed=1)
    good.save(tmp_path / "m")
    before = snapshot(tmp_path / "m")
    module = checkpoint.numpy if target == "savez" else checkpoint.json
    monkeypatch.setattr(module, target, fake)

    with pytest.raises(OSError, match="No space left on device"):
        make(seed=2).save(tmp_path / "m")
    monkeypatch.undo()

    assert snapshot(tmp_path / "m") == before
    assert os.listdir(tmp_path) == ["m"]  # the half-written temporary directory is gone
    back = Converter.load(tmp_path / "m")
    assert np.array_equal(back.model.params[0], good.model.params[0])


def test_an_interrupt_while_writing_keeps_the_previous_model(tmp_path, monkeypatch):
    make(seed=1).save(tmp_path / "m")
    before = snapshot(tmp_path / "m")

    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.numpy, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make(seed=2).save(tmp_path / "m")
    monkeypatch.undo()
    assert snapshot(tmp_path / "m") == before
    assert os.listdir(tmp_path) == ["m"]


@pytest.mark.parametrize("error", [OSError(5, "I/O error"), KeyboardInterrupt()])
def test_a_failure_while_swapping_puts_the_previous_model_back(tmp_path, monkeypatch, error):
    # Where the names cannot be exchanged in one step, the swap is two renames (target ->
    # old, new -> target); if the second one fails, the previous model must be back at its
    # own path, not left under a hidden name.
    monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)
    make(seed=1).save(tmp_path / "m")
    before = snapshot(tmp_path / "m")
    real_rename = os.rename

    def rename(src, dst):
        if ".saving-" in Path(src).name:
            raise error
        real_rename(src, dst)

    monkeypatch.setattr(checkpoint.os, "rename", rename)
    with pytest.raises(type(error)):
        make(seed=2).save(tmp_path / "m")
    monkeypatch.undo()
    assert snapshot(tmp_path / "m") == before
    assert os.listdir(tmp_path) == ["m"]


def test_a_failed_first_save_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint.numpy, "savez", _half_written_savez)
    with pytest.raises(OSError):
        make().save(tmp_path / "m")
    assert os.listdir(tmp_path) == []


# -- refusing to overwrite -------------------------------------------------------------------

def test_refuses_to_save_over_a_non_model_directory(tmp_path):
    target = tmp_path / "notes"
    target.mkdir()
    (target / "thesis.txt").write_text("years of work\n")
    before = snapshot(target)
    with pytest.raises(AttnseqError) as info:
        make().save(target)
    assert str(info.value) == f"{target} is not empty and holds no attnseq model; " \
                              "refusing to overwrite"
    assert snapshot(target) == before
    assert os.listdir(tmp_path) == ["notes"]


def test_refuses_to_save_over_a_file(tmp_path):
    target = tmp_path / "model"
    target.write_bytes(b"data")
    with pytest.raises(AttnseqError) as info:
        make().save(target)
    assert str(info.value) == f"{target} exists and is not a directory"
    assert target.read_bytes() == b"data"


def test_refuses_a_path_below_a_file_before_writing_anything(tmp_path):
    (tmp_path / "afile").write_bytes(b"data")
    with pytest.raises(AttnseqError) as info:
        checkpoint.check_writable(tmp_path / "afile" / "deeper" / "m")
    assert str(info.value) == f"{tmp_path / 'afile'} exists and is not a directory"
    assert (tmp_path / "afile").read_bytes() == b"data"


# -- loading bad directories -----------------------------------------------------------------

@pytest.fixture
def saved(tmp_path):
    make(seed=1).save(tmp_path / "m")
    return tmp_path / "m"


def load_error(path) -> str:
    with pytest.raises(AttnseqError) as info:
        Converter.load(path)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_object_arrays_are_refused_not_unpickled(saved, tmp_path):
    sentinel = tmp_path / "pwned"
    with np.load(saved / "weights.npz") as data:
        arrays = {n: data[n] for n in data.files}
    evil = np.empty(1, dtype=object)
    evil[0] = _MakeDirWhenUnpickled(sentinel)
    arrays["param_000"] = evil
    np.savez(saved / "weights.npz", **arrays)  # savez pickles object arrays

    assert load_error(saved) == (f"{saved / 'weights.npz'}: param_000 holds Python objects, "
                                 "which would be unpickled; refused (allow_pickle=False)")
    assert not sentinel.exists()


def test_missing_directory(tmp_path):
    assert load_error(tmp_path / "nope") == f"no model directory at {tmp_path / 'nope'}"


def test_a_file_instead_of_a_directory(tmp_path):
    (tmp_path / "f").write_text("x")
    assert load_error(tmp_path / "f") == f"{tmp_path / 'f'} is not a model directory"


def test_directory_without_config(saved):
    (saved / "config.json").unlink()
    assert load_error(saved) == f"{saved} is not an attnseq model directory (no config.json)"


def test_garbage_config(saved):
    (saved / "config.json").write_text("garbage\n")
    assert load_error(saved) == (f"{saved / 'config.json'} is corrupt: "
                                 "Expecting value: line 1 column 1 (char 0)")


def test_config_that_is_not_utf8(saved):
    (saved / "config.json").write_bytes(b'{"format": "\xff"}')
    assert load_error(saved).startswith(f"{saved / 'config.json'} is corrupt: ")


@pytest.mark.parametrize("doc", [[], {"format": "other", "format_version": 1}, "text"])
def test_json_that_is_not_a_model_config(saved, doc):
    (saved / "config.json").write_text(json.dumps(doc))
    assert load_error(saved) == f"{saved / 'config.json'} is not an attnseq model config"


def test_newer_format_version(saved):
    doc = json.loads((saved / "config.json").read_text())
    doc["format_version"] = 3
    (saved / "config.json").write_text(json.dumps(doc))
    assert load_error(saved) == (f"{saved / 'config.json'} has format version 3; "
                                 "this attnseq reads versions 1, 2")


def test_bad_model_section(saved):
    doc = json.loads((saved / "config.json").read_text())
    doc["model"]["hidden_size"] = 0
    (saved / "config.json").write_text(json.dumps(doc))
    assert load_error(saved) == f"{saved}: hidden_size must be a positive integer, got 0"


def test_bad_vocab_section(saved):
    doc = json.loads((saved / "config.json").read_text())
    del doc["vocab"]
    (saved / "config.json").write_text(json.dumps(doc))
    assert load_error(saved) == f"{saved}: vocabulary must be a JSON object, got NoneType"


def test_missing_weights(saved):
    (saved / "weights.npz").unlink()
    assert load_error(saved) == f"{saved / 'weights.npz'} is missing"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_weights(saved, damage):
    file = saved / "weights.npz"
    raw = file.read_bytes()
    file.write_bytes({"truncated": raw[: len(raw) // 2], "garbage": b"\x00junk" * 50,
                      "empty": b""}[damage])
    assert load_error(saved).startswith(f"{file} is corrupt: ")


def test_weights_of_the_wrong_shape(saved):
    doc = json.loads((saved / "config.json").read_text())
    doc["model"]["hidden_size"] = 12  # the saved weights are for H=10
    (saved / "config.json").write_text(json.dumps(doc))
    # param_001 is the encoder LSTM's Wx, (D, 4H)
    assert load_error(saved) == (f"{saved / 'weights.npz'}: param_001 is float32[6, 40]; "
                                 "the model config needs float32[6, 48]")


def test_weights_of_the_wrong_dtype(saved):
    with np.load(saved / "weights.npz") as data:
        arrays = {n: data[n] for n in data.files}
    arrays["param_002"] = arrays["param_002"].astype(np.float64)
    np.savez(saved / "weights.npz", **arrays)
    shape = list(arrays["param_002"].shape)
    assert load_error(saved) == (f"{saved / 'weights.npz'}: param_002 is float64{shape}; "
                                 f"the model config needs float32{shape}")


def test_weights_of_another_model(saved):
    doc = json.loads((saved / "config.json").read_text())
    doc["model"]["model"] = "baseline"  # same parameter count; the output affine is H wide
    (saved / "config.json").write_text(json.dumps(doc))
    V = len(VOCAB)
    assert load_error(saved) == (f"{saved / 'weights.npz'}: param_008 is float32[20, {V}]; "
                                 f"the model config needs float32[10, {V}]")


def test_extra_array_in_weights(saved):
    with np.load(saved / "weights.npz") as data:
        arrays = {n: data[n] for n in data.files}
    n = len(arrays)
    arrays["extra"] = np.zeros(2, dtype=np.float32)
    np.savez(saved / "weights.npz", **arrays)
    assert load_error(saved) == (f"{saved / 'weights.npz'} holds {n + 1} arrays; "
                                 f"the model config needs {n}")


def test_brackets_and_quotes_inside_strings_do_not_count_as_nesting(tmp_path):
    """The depth is counted before parsing, over brackets outside strings only: a vocabulary
    of brackets, quotes and backslashes, and a data source of 40 '[', load back."""
    vocab = Vocab.from_texts(['[{"\\]}' + "0123456789"])
    config = model_config("attention", dict(wordvec_size=4, hidden_size=6, question_len=8,
                                            answer_len=4))
    Converter.create(config, vocab, seed=0).save(tmp_path / "m", data={"note": "[" * 40})
    back = Converter.load(tmp_path / "m")
    assert back.vocab == vocab and back.meta["data"] == {"note": "[" * 40}


def test_the_depth_limit_is_exact(saved):
    doc = json.loads((saved / "config.json").read_text())
    for depth, refused in ((checkpoint.MAX_JSON_DEPTH, False),
                           (checkpoint.MAX_JSON_DEPTH + 1, True)):
        # the document itself is one level: depth - 2 lists inside "train": {"x": ...}
        doc["train"] = {"x": json.loads("[" * (depth - 2) + "]" * (depth - 2))}
        (saved / "config.json").write_text(json.dumps(doc))
        if refused:
            assert load_error(saved) == (f"{saved / 'config.json'} nests deeper than "
                                         f"{checkpoint.MAX_JSON_DEPTH} levels")
        else:
            assert Converter.load(saved).meta["train"] == doc["train"]
