"""Smoke test of the Transformer benchmark (``benchmarks/transformer*.py``) at tiny sizes.

The FLOP formulas that the GFLOP/s figures rest on must equal a brute-force count of the
matmuls the model really does; the PyTorch peer must be the same model (with attnseq's weights
copied in it computes the same loss and the same greedy answers, and its cached decoding equals
re-running the prefix); and ``python -m benchmarks.transformer --quick`` must run end to end,
with torch and without, writing numbers consistent with each other. The peer's tests are
skipped where torch is not installed (CI installs only the test extras).
"""

import importlib.util
import json
import math

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.models.config import TransformerConfig, build_model
from benchmarks import transformer as bench
from benchmarks.flops import brute_force_decode_flops, brute_force_step_flops
from benchmarks.transformer_flops import decode_flops, train_step_flops

HAS_TORCH = importlib.util.find_spec("torch") is not None
needs_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")
V, PAD, START = 11, 0, 1


def tiny(norm="pre", layers=1, dtype=None, **options):
    config = TransformerConfig(d_model=8, heads=2, d_ff=12, num_layers=layers,
                         norm=norm, question_len=6, answer_len=4, **options)
    return config, build_model(config, V, pad_id=PAD, seed=0, dtype=dtype)


def batch(N=3, S=6, T=5, seed=0):
    rng = np.random.default_rng(seed)
    xs = rng.integers(2, V, size=(N, S), dtype=np.int32)
    xs[0, :2] = PAD  # padding: masked, and skipped by the encoder's position-wise matmuls
    return xs, rng.integers(2, V, size=(N, T + 1), dtype=np.int32)


@pytest.mark.parametrize("norm,layers", [("pre", 1), ("post", 2)])
def test_flop_formulas_equal_the_brute_force_count(norm, layers):
    config, model = tiny(norm, layers)
    xs, ts = batch()
    sizes = {"N": 3, "S": 6, "T": 5, "d": 8, "f": 12, "L": layers, "V": V,
             "M": 3 * 6 - 2}  # the real source positions
    assert brute_force_step_flops(model, xs, ts) == train_step_flops(**sizes).total
    _, fresh = tiny(norm, layers)
    fresh.train_mode(False)
    assert brute_force_decode_flops(fresh, xs, START, 5) == decode_flops(**sizes)


def test_train_step_flops_by_part():
    f = train_step_flops(N=2, S=3, T=4, d=8, f=16, L=1, V=5)
    assert f.output == 3 * 2 * 2 * 4 * 8 * 5
    assert f.total == f.encoder + f.decoder + f.output == f.to_dict()["total"]
    with pytest.raises(AttnseqError, match="d must be a positive integer, got 0"):
        train_step_flops(N=2, S=3, T=4, d=0, f=16, L=1, V=5)
    # M real source positions: the position-wise work shrinks by (N·S − M) rows, the
    # scores do not; M = N·S is the padded count
    sizes = {"N": 2, "S": 3, "T": 4, "d": 8, "f": 16, "L": 1, "V": 5}
    packed = train_step_flops(**sizes, M=5)
    assert train_step_flops(**sizes, M=6) == f
    assert f.encoder - packed.encoder == 3 * (8 * 8 * 8 + 4 * 8 * 16)  # one row fewer
    assert f.decoder - packed.decoder == 3 * 4 * 8 * 8  # its cross K and V
    with pytest.raises(ValueError, match=r"^M \(7\) cannot exceed N·S \(6\)$"):
        train_step_flops(**sizes, M=7)


def _peer(config, model):
    from benchmarks.transformer_peer import TorchTransformer, load_from

    peer = TorchTransformer(V, d_model=config.d_model, heads=config.heads, d_ff=config.d_ff,
                            num_layers=config.num_layers, dropout=0.0, norm=config.norm,
                            pad_id=PAD, max_len=8)
    return load_from(peer, model)


@needs_torch
@pytest.mark.parametrize("norm,layers", [("pre", 2), ("post", 1)])
def test_peer_with_attnseqs_weights_computes_the_same(norm, layers):
    import torch

    config, model = tiny(norm, layers, dtype="float64")
    peer = _peer(config, model)
    assert sum(p.numel() for p in peer.parameters()) == sum(p.size for p in model.params)
    xs, ts = batch(N=4)
    loss = model.forward(xs, ts)
    theirs = peer.loss(torch.from_numpy(xs).long(), torch.from_numpy(ts).long())
    assert float(theirs.detach()) == pytest.approx(loss, rel=1e-10)
    model.train_mode(False)
    peer.eval()
    ids = peer.generate(torch.from_numpy(xs).long(), START, 5).numpy()
    np.testing.assert_array_equal(ids, model.generate(xs, START, 5))


@needs_torch
def test_peer_cached_decoding_equals_rerunning_the_prefix():
    import torch

    config, model = tiny("pre", 2, dtype="float64")
    peer = _peer(config, model).eval()
    xs = torch.from_numpy(batch(N=4)[0]).long()
    cached = peer.generate(xs, START, 5)
    with torch.no_grad():
        memory, mask = peer.encode(xs)
        ys = torch.full((4, 1), START)
        for _ in range(5):  # the whole prefix through the decoder at every step
            x = peer.inputs(peer.tgt_embed, ys)
            for layer in peer.decoder:
                x = layer(x, layer.cross.keys_values(memory), mask,
                          lambda h, a=layer.self_attn: a(h, h, causal=True))
            ys = torch.cat([ys, peer.out(peer.dec_norm(x))[:, -1:].argmax(-1)], dim=1)
    assert torch.equal(ys[:, 1:], cached)


def _check_quick_json(doc, torch_ran: bool):
    res, settings = doc["results"], doc["settings"]
    tr, dec = res["training"], res["decoding"]
    assert res["shape"] == bench.shape(bench.transformer_workload(
        bench.Settings.quick_run()), settings["batch"])
    assert tr["flops_per_step"]["total"] == train_step_flops(**res["shape"]).total
    padded = {**res["shape"], "M": res["shape"]["N"] * res["shape"]["S"]}  # the peer's work
    assert tr["torch_flops_per_step"]["total"] == train_step_flops(**padded).total
    assert res["shape"]["M"] < padded["M"]  # the quick workload's dates are padded too
    assert tr["batches_per_epoch"] == math.ceil(res["train_examples"] / settings["batch"])
    peers = ("attnseq", "torch") if torch_ran else ("attnseq",)
    for name in peers:
        t = tr[name]
        flops = tr["flops_per_step" if name == "attnseq" else "torch_flops_per_step"]["total"]
        med = t["step_seconds"]["median"]
        assert t["step_seconds"]["count"] == settings["iters"] * res["rounds"]
        assert t["seconds_per_epoch"] == pytest.approx(med * tr["batches_per_epoch"])
        assert t["cpu_seconds_per_epoch"] == pytest.approx(
            t["cpu_step_seconds"]["median"] * tr["batches_per_epoch"])
        assert t["gflops"] == pytest.approx(flops / med / 1e9)
        assert t["fraction_of_matmul"] == pytest.approx(t["gflops"] / tr["matmul"]["gflops"])
        assert t["cpu_fraction_of_matmul"] == pytest.approx(
            flops / t["cpu_step_seconds"]["median"] / 1e9
            / tr["matmul"]["cpu_gflops"])
    assert dec["attnseq_decode_per_second"] == pytest.approx(
        dec["decode_pairs"] / dec["attnseq_decode_seconds"])
    ratios = {row["measurement"]: row for row in doc["rows"]}
    epoch, decode = ratios["attnseq ÷ torch s/epoch"], ratios["attnseq ÷ torch decode rate"]
    if torch_ran:
        assert res["torch_threads"] == doc["environment"]["numpy_threads"]
        assert res["parameters"]["torch"] == res["parameters"]["attnseq"]
        assert epoch["ratio"] == pytest.approx(tr["attnseq"]["seconds_per_epoch"]
                                               / tr["torch"]["seconds_per_epoch"])
        assert decode["ratio"] == pytest.approx(dec["attnseq_decode_per_second"]
                                                / dec["decode_per_second"])
        assert {epoch["status"], decode["status"]} <= {"met", "missed"}
        assert ratios["attnseq ÷ torch decode rate in CPU s"]["ratio"] == pytest.approx(
            dec["decode_cpu_seconds"] / dec["attnseq_decode_cpu_seconds"])
    else:
        assert "torch" not in tr and epoch["status"] == decode["status"] == "n/a"


@pytest.mark.parametrize("with_torch", [True, False])
def test_quick_run_writes_consistent_json(tmp_path, capsys, monkeypatch, with_torch):
    if with_torch and not HAS_TORCH:
        pytest.skip("torch is not installed")
    if not with_torch:  # the path a machine without torch takes
        monkeypatch.setattr(bench, "torch_available", lambda: False)
    assert bench.main(["--quick", "--rounds", "2", "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "attnseq ÷ torch s/epoch" in table and "training GFLOP/s ÷ matmul" in table
    _check_quick_json(json.loads((tmp_path / "results.json").read_text()), with_torch)
