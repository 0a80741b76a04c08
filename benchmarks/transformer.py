"""Issue 12's measurement: attnseq's Transformer beside its PyTorch peer, in one run.

``python -m benchmarks.transformer [--quick] [--iters K] [--rounds R] [--out DIR]``

The workload is the book's date task (50 000 generated pairs, 90/10, encoded as ``attnseq
train`` encodes them) around a fresh ``attnseq.models.transformer.model`` at the model's own default
sizes, batch 128, Adam lr 1e-3, clipping at 5.0 (``benchmarks.workload.Settings``); the peer
(``benchmarks.transformer_peer``) is the same model in PyTorch, on the same threads, trained on
the same batches. Three figures, each a ratio of two numbers from this run:

* s/epoch: the median of the timed training steps × the epoch's 352 batches. The two libraries
  take turns in ``--rounds`` blocks of ``--iters`` steps each (after a pause and warm-up steps),
  so a slow spell of the shared machine falls on both; a step is attnseq's ``Trainer.step``
  (forward, backward, clipping, Adam) and the peer's equal.
* decoding: greedy decoding of the 5 000 test questions, 256 per call, both libraries caching
  keys and values; passes taking turns, the best of each (``torch_peer.decode_rates``).
* training GFLOP/s ÷ matmul GFLOP/s: the step's matmul FLOPs (``benchmarks.transformer_flops``)
  over the median step (attnseq's encoder skips the padding, so its count has the batch's
  real source positions for M, the average over the training set; the peer's is padded),
  against a 2048² float32 ``A @ B`` timed in the same process.

Both ratios of the targets are also given in process CPU seconds (the median step's, the
least of the decoding passes'). With one thread that is the wall time less what the machine's
other processes took from the core, so on a shared machine it checks the wall-clock ratio;
with more threads it adds up every thread's time and says something else.

Set the thread count before Python starts (``OPENBLAS_NUM_THREADS=1``); PyTorch gets the same.
Without torch the attnseq figures are measured alone and the ratios are ``n/a``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path
from types import MappingProxyType

from attnseq.core.option_types import positive_int_option
from attnseq.decoding.threads import blas_threads
from attnseq.models.config import TransformerConfig
from benchmarks import report
from benchmarks.harness import torch_available
from benchmarks.throughput import reference_matmul
from benchmarks.transformer_flops import decode_flops, train_step_flops
from benchmarks.workload import (
    PAUSE,
    DateWorkload,
    Settings,
    date_task,
    model_workload,
    step_trainer,
    summarize,
    take_turns,
    timed_steps,
)

# The model's sizes in a quick run (the full run takes the model's own defaults).
QUICK_SIZES = MappingProxyType({"d_model": 16, "heads": 2, "d_ff": 32, "num_layers": 1})
ROUNDS = 3  # blocks of timed training steps per library
# The options the peer has one choice of (the model's defaults): what it builds.
PEER_BUILDS = MappingProxyType({"positions": "sinusoidal", "activation": "relu",
                                "tie_embeddings": False})


def transformer_workload(settings: Settings, *, seed: int = 0) -> DateWorkload:
    """The date task at the settings' size, encoded for a fresh Transformer."""
    sizes = QUICK_SIZES if settings.quick else {}
    return model_workload(date_task(settings), TransformerConfig(**sizes),
                          seed=seed)


def shape(work: DateWorkload, batch: int, *, padded: bool = False) -> dict:
    """The (N, S, T, d, f, L, V, M) of a training batch, for ``transformer_flops``. M, the
    source positions the encoder computes on: those of an average batch that are not
    padding (attnseq skips the padding), or all N·S if ``padded`` (the peer)."""
    c = work.conv.config
    N, S = batch, work.train_xs.shape[1]
    real = float((work.train_xs != work.conv.vocab.pad_id).mean())
    return {"N": N, "S": S, "T": work.train_ts.shape[1] - 1, "d": c.d_model, "f": c.d_ff,
            "L": c.num_layers, "V": len(work.conv.vocab),
            "M": N * S if padded else max(1, round(real * N * S))}


def torch_transformer(work: DateWorkload, *, seed: int = 0):
    """The PyTorch peer of the workload's model: same sizes, norm arrangement and dropout."""
    import torch  # noqa: PLC0415 - optional, as the peer is

    from benchmarks.transformer_peer import TorchTransformer  # noqa: PLC0415

    c, vocab = work.conv.config, work.conv.vocab
    built = {k: getattr(c, k) for k in PEER_BUILDS}
    if built != dict(PEER_BUILDS):
        raise ValueError(f"the PyTorch peer is built only with {dict(PEER_BUILDS)}, "
                         f"not {built}")
    torch.manual_seed(seed)  # torch draws its initial weights from its global generator
    return TorchTransformer(len(vocab), d_model=c.d_model, heads=c.heads, d_ff=c.d_ff,
                            num_layers=c.num_layers, dropout=c.dropout, norm=c.norm,
                            pad_id=vocab.pad_id,
                            max_len=max(work.train_xs.shape[1], work.train_ts.shape[1]))


def side_by_side(steps: dict, n: int, settings: Settings, rounds: int) -> dict:
    """name -> (wall seconds, CPU seconds) of each timed step: ``rounds`` blocks of
    ``timed_steps`` per library, the libraries taking turns block by block (a pause before
    each block, whose warm-up steps are not timed); block r of every library runs the same
    batches."""
    times = {name: ([], []) for name in steps}
    for r in range(rounds):
        for name, step in steps.items():
            time.sleep(PAUSE)
            wall, cpu = times[name]
            wall += timed_steps(step, n, settings, seed=r, cpu=cpu)
    return times


def measure(settings: Settings, *, rounds: int = ROUNDS, seed: int = 0) -> dict:
    """Every figure of the module docstring; torch's when torch is importable."""
    work = transformer_workload(settings, seed=seed)
    threads = blas_threads()
    trainer = step_trainer(work.model, settings)
    xs, ts = work.train_xs, work.train_ts
    steps = {"attnseq": lambda idx: trainer.step(xs[idx], ts[idx])}
    peer = None
    if torch_available():
        import torch  # noqa: PLC0415

        from benchmarks.torch_peer import torch_train_step  # noqa: PLC0415

        torch.set_num_threads(threads)
        peer = torch_transformer(work, seed=seed)
        steps["torch"] = torch_train_step(peer, work, settings)
    n = len(xs)
    batches = math.ceil(n / settings.batch)
    size = shape(work, settings.batch)
    flops_of = {"attnseq": train_step_flops(**size),
                "torch": train_step_flops(**shape(work, settings.batch, padded=True))}
    matmul = reference_matmul(settings.matmul_size, settings.matmul_repeats)
    training = {"batches_per_epoch": batches, "matmul": matmul,
                "flops_per_step": flops_of["attnseq"].to_dict(),
                "torch_flops_per_step": flops_of["torch"].to_dict()}
    for name, (wall, cpu) in side_by_side(steps, n, settings, rounds).items():
        flops = flops_of[name]
        median = statistics.median(wall)
        gflops = flops.total / median / 1e9
        training[name] = {"step_seconds": summarize(wall), "cpu_step_seconds": summarize(cpu),
                          "samples_per_second": settings.batch / median,
                          "seconds_per_epoch": median * batches,
                          "cpu_seconds_per_epoch": statistics.median(cpu) * batches,
                          "gflops": gflops, "fraction_of_matmul": gflops / matmul["gflops"],
                          "cpu_fraction_of_matmul": flops.total / statistics.median(cpu) / 1e9
                          / matmul["cpu_gflops"]}
    result = {"config": work.conv.config.to_dict(), "shape": size, "threads": threads,
              "rounds": rounds, "train_examples": n, "training": training,
              "parameters": {"attnseq": int(sum(p.size for p in work.model.params))},
              "decoding": _decoding(work, peer, settings)}
    if peer is not None:
        result["torch_version"] = sys.modules["torch"].__version__
        result["torch_threads"] = sys.modules["torch"].get_num_threads()
        result["parameters"]["torch"] = sum(p.numel() for p in peer.parameters())
    return result


def _decoding(work: DateWorkload, peer, settings: Settings) -> dict:
    """Greedy decoding rates of the test set: both libraries taking turns, or attnseq alone."""
    work.model.train_mode(False)  # no dropout while decoding
    if peer is not None:
        from benchmarks.torch_peer import decode_rates  # noqa: PLC0415

        rates = decode_rates(peer, work, settings)
    else:
        conv, test = work.conv, work.test_xs
        conv.generate_ids(test[: settings.decode_batch], settings.decode_batch)  # warm-up
        best = take_turns({"attnseq": lambda: conv.generate_ids(test, settings.decode_batch)},
                          settings.decode_repeats)["attnseq"]
        rates = {"decode_pairs": len(test), "attnseq_decode_seconds": best,
                 "attnseq_decode_per_second": len(test) / best}
    size = shape(work, 1)
    size["T"] = work.conv.output_len  # the steps greedy decoding runs
    rates["flops_per_pair"] = decode_flops(**size)
    rates["attnseq_gflops"] = rates["flops_per_pair"] * rates["attnseq_decode_per_second"] / 1e9
    return rates


def rows(result: dict) -> list[dict]:
    """The table: the two targets of issue 12, then the matmul fraction and torch's own."""
    tr, dec = result["training"], result["decoding"]
    ours, theirs = tr["attnseq"], tr.get("torch")
    out = []
    if theirs:
        value = (f"{ours['seconds_per_epoch']:.1f} vs {theirs['seconds_per_epoch']:.1f} s/epoch "
                 f"({1e3 * ours['step_seconds']['median']:.0f} vs "
                 f"{1e3 * theirs['step_seconds']['median']:.0f} ms/step × "
                 f"{tr['batches_per_epoch']})")
        out.append(report.ratio_row("attnseq ÷ torch s/epoch", ours["seconds_per_epoch"],
                                    theirs["seconds_per_epoch"], value, "≤", 0.8))
        # CPU seconds leave out the time other processes took: with one thread, a check of
        # the wall-clock ratio on a shared machine (with more, they add up every thread's)
        out.append(report.row("attnseq ÷ torch CPU s/epoch",
                              f"{ours['cpu_seconds_per_epoch']:.1f} vs "
                              f"{theirs['cpu_seconds_per_epoch']:.1f} CPU s/epoch",
                              ours["cpu_seconds_per_epoch"] / theirs["cpu_seconds_per_epoch"]))
        value = (f"{dec['attnseq_decode_per_second']:.0f} vs {dec['decode_per_second']:.0f} "
                 f"pairs/s ({dec['decode_pairs']} test pairs)")
        out.append(report.ratio_row("attnseq ÷ torch decode rate",
                                    dec["attnseq_decode_per_second"], dec["decode_per_second"],
                                    value, "≥", 1.5))
        out.append(report.row("attnseq ÷ torch decode rate in CPU s",
                              f"{dec['attnseq_decode_cpu_seconds']:.2f} vs "
                              f"{dec['decode_cpu_seconds']:.2f} CPU s for the test set",
                              dec["decode_cpu_seconds"] / dec["attnseq_decode_cpu_seconds"]))
    else:
        out.append(report.ratio_row("attnseq ÷ torch s/epoch", None, None, "", "≤", 0.8))
        out.append(report.ratio_row("attnseq ÷ torch decode rate", None, None, "", "≥", 1.5))
    out.append(report.row("training GFLOP/s ÷ matmul GFLOP/s",
                          f"{ours['samples_per_second']:.0f} samples/s, {ours['gflops']:.1f} vs "
                          f"matmul {tr['matmul']['gflops']:.1f} GFLOP/s",
                          ours["fraction_of_matmul"]))
    out.append(report.row("… per CPU second", f"{ours['cpu_fraction_of_matmul']:.3f} of the "
                          f"matmul's {tr['matmul']['cpu_gflops']:.1f} GFLOP per CPU s",
                          ours["cpu_fraction_of_matmul"]))
    out.append(report.row("attnseq decoding", f"{dec['attnseq_decode_per_second']:.0f} pairs/s, "
                                              f"{dec['attnseq_gflops']:.1f} GFLOP/s"))
    if theirs:
        out.append(report.row(f"torch {result['torch_version']} "
                              f"({result['torch_threads']} threads)",
                              f"{theirs['samples_per_second']:.0f} samples/s, "
                              f"{theirs['gflops']:.1f} GFLOP/s in training (per CPU s "
                              f"{theirs['cpu_fraction_of_matmul']:.3f} of the matmul's)",
                              theirs["fraction_of_matmul"]))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.transformer",
                                description="attnseq's Transformer against its PyTorch peer: "
                                            "s/epoch, decoding rate and matmul fraction, "
                                            "side by side in one run (issue 12).")
    p.add_argument("--quick", action="store_true",
                   help="tiny sizes and few steps (seconds; for smoke tests)")
    p.add_argument("--iters", type=positive_int_option,
                   help="timed training steps per block (default 20; quick 3)")
    p.add_argument("--rounds", type=positive_int_option, default=ROUNDS,
                   help=f"blocks of timed steps per library, taking turns (default {ROUNDS})")
    p.add_argument("--out", type=Path, default=Path("runs/bench-transformer"), metavar="DIR",
                   help="where results.json goes (default: runs/bench-transformer)")
    args = p.parse_args(argv)
    changes = {} if args.iters is None else {"iters": args.iters}
    settings = Settings.quick_run(**changes) if args.quick else Settings.full(**changes)
    result = measure(settings, rounds=args.rounds)
    table = rows(result)
    doc = {"settings": settings.to_dict(), "environment": report.environment(),
           "results": result, "rows": table}
    path = report.write_json(args.out / "results.json", doc)
    c, env = result["config"], doc["environment"]
    print(f"attnseq Transformer{' (quick)' if settings.quick else ''}: d_model {c['d_model']}, "
          f"{c['heads']} heads, d_ff {c['d_ff']}, {c['num_layers']} layers, {c['norm']}-LN, "
          f"dropout {c['dropout']:g}; {env['cpu']}, {env['numpy_threads']} BLAS thread(s)")
    print(report.format_table(table))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
