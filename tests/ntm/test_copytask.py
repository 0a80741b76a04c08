"""The copy-task experiment: records, bit errors, evaluation, and model directories."""

import json
import math

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.ntm import copytask
from attnseq.ntm.model import NTM, NTMConfig

TINY = NTMConfig(hidden_size=6, memory_rows=8, memory_width=3)


def test_bit_errors_round_at_one_half():
    p = np.array([[[0.9, 0.4], [0.51, 0.2]]])
    t = np.array([[[1.0, 1.0], [0.0, 0.0]]])
    np.testing.assert_array_equal(copytask.bit_errors(p, t), [2])


def test_history_records_every_log_every_sequences():
    model = NTM(TINY)
    history = copytask.train(model, copytask.CopyConfig(sequences=100, batch_size=10,
                                                        log_every=40, max_length=3),
                             progress=False)
    assert [r["sequences"] for r in history] == [40, 80, 100]
    for r in history:
        assert 0 <= r["bit_errors"] <= 8 * 3 and 0 < r["cost_bits"] < 8 * 3 * 2
    assert history[-1]["seconds"] >= history[0]["seconds"] > 0


def test_an_untrained_machine_costs_about_one_bit_per_output_bit():
    model = NTM(NTMConfig(hidden_size=6, memory_rows=8, memory_width=3))
    for p in model.params[3:]:  # head and output weights at zero: every output is 0.5
        p[...] = 0.0
    r = copytask.evaluate(model, 5, sequences=20)
    assert r["cost_bits"] == pytest.approx(8 * 5, rel=1e-5)
    assert r == copytask.evaluate(model, 5, sequences=20)  # seeded
    assert math.isfinite(r["bit_errors"])


def test_stop_below_ends_training_at_the_first_good_record(monkeypatch):
    monkeypatch.setattr(copytask, "bit_errors", lambda p, t: np.zeros(len(t)))
    history = copytask.train(NTM(TINY), copytask.CopyConfig(sequences=1000, batch_size=10,
                                                            log_every=20, stop_below=0.5,
                                                            max_length=2), progress=False)
    assert [r["sequences"] for r in history] == [20]
    assert history[0]["bit_errors"] < 0.5


def test_save_and_load_round_trip(tmp_path):
    model = NTM(TINY, seed=4)
    config = copytask.CopyConfig(sequences=20, batch_size=10, max_length=2)
    history = copytask.train(model, config, progress=False)
    copytask.save(tmp_path / "m", model, config, history)
    loaded, meta = copytask.load(tmp_path / "m")
    assert loaded.config == model.config
    assert all(np.array_equal(a, b) for a, b in zip(loaded.params, model.params, strict=True))
    assert meta["history"] == history and meta["train"]["sequences"] == 20
    with np.load(tmp_path / "m" / "weights.npz", allow_pickle=False) as f:
        assert len(f.files) == len(model.params)


def test_load_refuses_what_is_no_ntm(tmp_path):
    copytask.save(tmp_path / "m", NTM(TINY), copytask.CopyConfig(), [])
    doc = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**doc, "kind": "seq2seq"}))
    with pytest.raises(AttnseqError, match="holds no NTM"):
        copytask.load(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({**doc, "ntm": {"bogus": 1}}))
    with pytest.raises(AttnseqError, match="bad NTM config"):
        copytask.load(tmp_path / "m")


@pytest.mark.parametrize("options, message", [
    ({"sequences": 0}, "sequences must be a positive integer, got 0"),
    ({"lr": -1.0}, "lr must be a positive number, got -1.0"),
    ({"min_length": 5, "max_length": 3}, "min length must be at most max length, got 5 > 3"),
    ({"optimizer": "bogus"}, "^optimizer must be one of .*, got 'bogus'$"),
])
def test_bad_training_options_are_refused(options, message):
    with pytest.raises(AttnseqError, match=message):
        copytask.CopyConfig(**options)


@pytest.mark.parametrize("key, value, message", [
    ("memory_rows", 10**9, "memory_rows must be at most 4096, got 1000000000"),
    ("memory_width", 10**6, "memory_width must be at most 1024, got 1000000"),
    ("hidden_size", 10**9, "hidden_size must be at most 8192, got 1000000000"),
])
def test_load_refuses_sizes_beyond_the_limits_before_building(tmp_path, key, value, message):
    """A saved NTM's config.json is held to the limits that its options are
    (attnseq.core.limits): one line naming the directory, before any allocation."""
    config = NTMConfig(inputs=3, outputs=2, hidden_size=4, memory_rows=5, memory_width=3)
    copytask.save(tmp_path / "m", NTM(config, seed=0), copytask.CopyConfig(), [])
    meta = tmp_path / "m" / "config.json"
    doc = json.loads(meta.read_text())
    doc["ntm"][key] = value
    meta.write_text(json.dumps(doc))
    with pytest.raises(AttnseqError) as info:
        copytask.load(tmp_path / "m")
    assert str(info.value).startswith(f"{tmp_path / 'm'}: {message} (")
