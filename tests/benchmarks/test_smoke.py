"""Smoke test of the benchmark harness (``benchmarks/``): tiny sizes, a few seconds in all.

It checks that the FLOP formula the GFLOP/s figures rest on agrees exactly with a brute-force
count of the matmuls the model really does, and that ``python -m benchmarks --quick`` runs
end to end and writes a JSON whose numbers are present, positive and consistent with each
other. The speed targets themselves are not tested: they need a quiet machine and full sizes.
"""

import importlib.util
import json
import math

import numpy as np
import pytest

from attnseq.models import AttentionSeq2seq
from benchmarks.__main__ import main
from benchmarks.flops import (
    brute_force_decode_flops,
    brute_force_step_flops,
    decode_flops,
    matmul_cost,
    train_step_flops,
)
from benchmarks.harness import NAMES, parse_only
from benchmarks.workload import Settings, time_train_steps

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize("N,Te,Td,D,H,V", [(3, 5, 4, 3, 4, 40), (2, 1, 1, 1, 1, 9),
                                           (4, 9, 3, 5, 6, 70)])
def test_flop_formula_equals_brute_force_count(N, Te, Td, D, H, V):
    """On inputs where no token repeats and no prefix is shared, the layers do the dense work
    the formulas count."""
    rng = np.random.default_rng(0)
    model = AttentionSeq2seq(V, D, H, seed=0, pad_id=0)
    xs = rng.permutation(np.arange(1, V, dtype=np.int32))[:N * Te].reshape(N, Te)
    xs[0, : Te // 2] = 0  # some padding in one row: masked, but the matmuls are the same size
    ts = rng.permutation(np.arange(1, V, dtype=np.int32))[:N * (Td + 1)].reshape(N, Td + 1)
    counted = brute_force_step_flops(model, xs, ts)
    assert counted == train_step_flops(N, Te, Td, D, H, V).total
    fresh = AttentionSeq2seq(V, D, H, seed=0, pad_id=0)
    # one row: its steps' tokens cannot repeat across rows
    assert brute_force_decode_flops(fresh, xs[1:2], 1, Td) == decode_flops(1, Te, Td, D, H, V)


def test_shared_prefixes_and_repeated_tokens_cost_less_than_the_formula():
    N, Te, Td, D, H, V = 6, 5, 3, 3, 4, 9
    xs = np.tile(np.array([[0, 0, 3, 4, 5]], dtype=np.int32), (N, 1))  # six equal rows
    ts = np.tile(np.array([[1, 2, 2, 2]], dtype=np.int32), (N, 1))
    counted = brute_force_step_flops(AttentionSeq2seq(V, D, H, seed=0, pad_id=0), xs, ts)
    dense = train_step_flops(N, Te, Td, D, H, V)
    assert counted < dense.total
    # the encoder runs one row: its share of the dense count falls by about N
    assert counted < dense.total - dense.encoder_lstm * (N - 1) / N * 0.9


def test_counting_does_not_change_the_gradients():
    rng = np.random.default_rng(1)
    xs = rng.integers(1, 7, size=(3, 5), dtype=np.int32)
    ts = rng.integers(1, 7, size=(3, 4), dtype=np.int32)
    plain, counted = (AttentionSeq2seq(7, 3, 4, seed=0, pad_id=0, dtype="float64")
                      for _ in range(2))
    plain.forward(xs, ts)
    plain.backward()
    brute_force_step_flops(counted, xs, ts)
    for g, h in zip(plain.grads, counted.grads, strict=True):
        np.testing.assert_array_equal(np.asarray(h), g)


def test_matmul_cost_follows_numpy_shape_rules():
    assert matmul_cost((2, 3), (3, 4)) == 2 * 2 * 3 * 4
    assert matmul_cost((5, 2, 3), (3, 4)) == 5 * 2 * 2 * 3 * 4  # broadcast batch
    assert matmul_cost((3,), (3, 4)) == 2 * 3 * 4  # vector on the left
    assert matmul_cost((2, 3), (3,)) == 2 * 2 * 3  # vector on the right


@pytest.mark.parametrize("max_grad_norm", [None, 0.5])
def test_timed_steps_are_the_trainers_steps_with_or_without_clipping(max_grad_norm):
    rng = np.random.default_rng(2)
    xs = rng.integers(1, 7, size=(8, 5), dtype=np.int32)
    ts = rng.integers(1, 7, size=(8, 4), dtype=np.int32)
    settings = Settings.quick_run(batch=4, max_grad_norm=max_grad_norm)
    model = AttentionSeq2seq(7, 3, 4, seed=0, pad_id=0)
    before = [p.copy() for p in model.params]
    times = time_train_steps(model, xs, ts, settings)
    assert len(times) == settings.iters and all(t > 0 for t in times)
    assert any(not np.array_equal(p, q) for p, q in zip(model.params, before, strict=True))


def test_parse_only():
    assert parse_only(None) == NAMES
    assert parse_only("scaling, training") == ("training", "scaling")  # run order kept
    with pytest.raises(ValueError, match="nope"):
        parse_only("training,nope")


def test_quick_run_writes_consistent_json(tmp_path, capsys):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "training GFLOP/s ÷ matmul GFLOP/s" in table
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["settings"]["quick"] is True
    assert doc["environment"]["numpy_threads"] >= 1
    res = doc["results"]

    tr = res["training"]
    med = tr["step_seconds"]["median"]
    assert med > 0 and tr["step_seconds"]["count"] == doc["settings"]["iters"]
    assert tr["samples_per_second"] == pytest.approx(doc["settings"]["batch"] / med)
    assert tr["seconds_per_epoch"] == pytest.approx(med * tr["batches_per_epoch"])
    assert tr["batches_per_epoch"] == math.ceil(tr["train_examples"] / tr["shape"]["N"])
    assert tr["flops_per_step"]["total"] == train_step_flops(**tr["shape"]).total
    assert tr["gflops"] == pytest.approx(tr["flops_per_step"]["total"] / med / 1e9)
    assert tr["matmul"]["gflops"] > 0
    assert tr["fraction_of_matmul"] == pytest.approx(tr["gflops"] / tr["matmul"]["gflops"])

    dec = res["decoding"]
    assert dec["batched_per_second"] > 0 and dec["single_per_second"] > 0
    assert dec["batched_over_single"] == pytest.approx(
        dec["batched_per_second"] / dec["single_per_second"])
    assert 0 <= dec["single_agrees_with_batched"] <= 1
    assert dec["batched_gflops"] == pytest.approx(
        dec["flops_per_pair"] * dec["batched_per_second"] / 1e9)

    mem = res["memory"]
    assert 10 < mem["peak_rss_mb"] < 2000

    sc = res["scaling"]
    assert [p["length"] for p in sc["by_length"]] == doc["settings"]["scaling_lengths"]
    assert [p["batch"] for p in sc["by_batch"]] == doc["settings"]["scaling_batches"]
    assert all(p["seconds_per_example"] > 0 for p in sc["by_length"] + sc["by_batch"])
    for chart in sc["charts"].values():
        assert open(chart, "rb").read(8) == b"\x89PNG\r\n\x1a\n"

    tta = res["time_to_accuracy"]
    for recipe in ("default", "book"):
        run = tta[recipe]["runs"][0]
        assert run["reached"]  # the quick target is 0%: reached at the first evaluation
        assert run["examples"] > 0 and run["train_seconds"] > 0
        assert run["curve"][-1]["examples"] == run["examples"]

    statuses = {row["status"] for row in doc["rows"]}
    assert statuses <= {"met", "missed", "n/a", "", "inconclusive"}
    if HAS_TORCH:
        th = res["torch"]
        assert th["seconds_per_epoch"] > 0 and th["decode_per_second"] > 0
        assert th["attnseq_decode_per_second"] > 0
        assert th["threads"] == doc["environment"]["numpy_threads"]
        ratios = {row["measurement"]: row["ratio"] for row in doc["rows"]}
        assert ratios["attnseq ÷ torch decode rate"] == pytest.approx(
            th["attnseq_decode_per_second"] / th["decode_per_second"])
    else:
        assert "torch" in doc["skipped"]


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
def test_torch_peer_has_the_same_architecture():
    from benchmarks.torch_peer import TorchAttentionSeq2seq

    V, D, H = 13, 4, 6
    ours = AttentionSeq2seq(V, D, H, seed=0, pad_id=0)
    peer = TorchAttentionSeq2seq(V, D, H, pad_id=0)
    # The same weights, except that each torch LSTM carries a second bias vector (4H).
    assert sum(p.numel() for p in peer.parameters()) == sum(p.size for p in ours.params) + 8 * H


def test_recipe_probe_runs_each_seed_with_the_settings_asked_for(tmp_path, capsys):
    from benchmarks.recipes import main as probe

    out = tmp_path / "probe.json"
    assert probe(["--quick", "--recipe", "book", "--lr", "0.01", "--final-lr", "0.001",
                  "--batch-size", "32", "--seeds", "0,2", "--max-epochs", "1",
                  "--eval-every", "40", "--out", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["recipe"]["init"] == "book"
    train = doc["recipe"]["train"]
    assert (train["lr"], train["final_lr"], train["batch_size"]) == (0.01, 0.001, 32)
    assert [r["seed"] for r in doc["runs"]] == [0, 2]
    for run in doc["runs"]:  # the quick target is 0%: reached at the first evaluation,
        assert run["reached"] and run["examples"] == 64  # the first batch past 40 examples
    assert doc["median_examples"] == 64 and doc["median_reached"]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("recipe: init book, batch 32, Adam lr 0.01 -> 0.001 over 1 epoch")
    assert [line.split(":")[0] for line in lines[1:3]] == ["seed 0", "seed 2"]
    assert lines[-1].startswith("median: 64 examples")
