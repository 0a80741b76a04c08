"""A PyTorch peer: the same model, data, batch and optimiser on the CPU, timed the same way.

Import this module only when ``torch`` is importable (``benchmarks.__main__`` checks first);
torch is no dependency of attnseq. The model mirrors ``AttentionSeq2seq`` part for part:

    encoder   embedding (V, D) -> LSTM H over the (already reversed, padded) input ids
    decoder   embedding (V, D) -> LSTM H started from (h = encoder's last state, c = 0)
    attention S = Hd @ Heᵀ, padding masked to -inf, A = softmax(S), C = A @ He
    output    linear [C ; Hd] (2H) -> V;  cross-entropy over the non-padding targets

trained with Adam (lr 1e-3) and gradient-norm clipping at 5.0. Differences that remain:
torch's LSTM has two bias vectors (b_ih + b_hh) where attnseq has one, and its initialisation
is torch's own. Neither changes the cost of a step. The arrays fed to it are the very ones
``benchmarks.workload`` encodes for attnseq.

``torch.set_num_threads`` is set to the thread count NumPy's BLAS uses, so both libraries get
the same cores. attnseq's decoding is timed again here, in turns with torch's, and the decoding
target is the ratio of that pair. (Training steps are not interleaved: alternating the two
libraries step by step made torch's epoch 45 s instead of about 26 s, presumably because each
library's idle threads still spin while the other works, which no user's training loop sees.)
"""

from __future__ import annotations

import math

import numpy
import torch
from torch import nn
from torch.nn import functional as F

from attnseq.decoding.threads import blas_threads
from benchmarks.workload import DateWorkload, Settings, summarize, take_turns, timed_steps


class TorchAttentionSeq2seq(nn.Module):
    """The attention seq2seq of ``attnseq.models.attention``, in PyTorch."""

    def __init__(self, V: int, D: int, H: int, pad_id: int):
        super().__init__()
        self.pad_id = pad_id
        self.enc_embed = nn.Embedding(V, D)
        self.enc_lstm = nn.LSTM(D, H, batch_first=True)
        self.dec_embed = nn.Embedding(V, D)
        self.dec_lstm = nn.LSTM(D, H, batch_first=True)
        self.affine = nn.Linear(2 * H, V)

    def encode(self, xs):
        """xs (N, Te) -> (hs (N, Te, H), mask (N, Te) True at real input, initial (h, c))."""
        hs, _ = self.enc_lstm(self.enc_embed(xs))
        h0 = hs[:, -1].unsqueeze(0).contiguous()  # (1, N, H): the encoder's last state
        return hs, xs != self.pad_id, (h0, torch.zeros_like(h0))

    def decode(self, tokens, hs, mask, state):
        """tokens (N, T) -> (logits (N, T, V), state after the last step)."""
        out, state = self.dec_lstm(self.dec_embed(tokens), state)  # (N, T, H)
        S = out @ hs.transpose(1, 2)  # (N, T, Te)
        S = S.masked_fill(~mask[:, None, :], float("-inf"))
        C = torch.softmax(S, dim=-1) @ hs  # (N, T, H)
        return self.affine(torch.cat([C, out], dim=-1)), state

    def loss(self, xs, ts):
        """Mean cross-entropy of teacher-forced decoding; ts (N, 1 + Td) starts with START."""
        hs, mask, state = self.encode(xs)
        logits, _ = self.decode(ts[:, :-1], hs, mask, state)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ts[:, 1:].reshape(-1),
                               ignore_index=self.pad_id)

    @torch.inference_mode()
    def generate(self, xs, start_id: int, length: int):
        """Greedy decoding of the whole batch: xs (N, Te) -> ids (N, length)."""
        hs, mask, state = self.encode(xs)
        tokens = torch.full((xs.shape[0], 1), start_id, dtype=torch.long)
        out = []
        for _ in range(length):
            logits, state = self.decode(tokens, hs, mask, state)
            tokens = logits.argmax(dim=-1)  # (N, 1)
            out.append(tokens)
        return torch.cat(out, dim=1)


def _build(work: DateWorkload, settings: Settings, seed: int) -> TorchAttentionSeq2seq:
    torch.manual_seed(seed)  # torch draws its initial weights from its global generator
    vocab = work.conv.vocab
    return TorchAttentionSeq2seq(len(vocab), settings.wordvec, settings.hidden, vocab.pad_id)


def torch_peer(work: DateWorkload, settings: Settings, *, seed: int = 0) -> dict:
    """Seconds per epoch (K-step extrapolation, as for attnseq) and batched decoding rate;
    attnseq's decoding rate again, measured in turns with torch's (see ``decode_rates``)."""
    threads = blas_threads()
    torch.set_num_threads(threads)
    model = _build(work, settings, seed)
    n = len(work.train_xs)
    times = timed_steps(torch_train_step(model, work, settings), n, settings, seed=seed)
    batches = math.ceil(n / settings.batch)
    step = summarize(times)
    return {
        "torch_version": torch.__version__, "threads": torch.get_num_threads(),
        "numpy_threads": threads,
        "parameters": sum(p.numel() for p in model.parameters()),
        "step_seconds": step, "samples_per_second": settings.batch / step["median"],
        "seconds_per_epoch": step["median"] * batches, "batches_per_epoch": batches,
        **decode_rates(model, work, settings),
    }


def torch_train_step(model, work: DateWorkload, settings: Settings):
    """``step(idx)``: one training step of ``model`` (a module with ``loss(xs, ts)``) on rows
    ``idx`` of the workload's training arrays, as ``Trainer.step`` does it: forward, backward,
    clipping of the global gradient norm (none with ``max_grad_norm=None``), Adam."""
    xs = torch.from_numpy(work.train_xs.astype(numpy.int64))
    ts = torch.from_numpy(work.train_ts.astype(numpy.int64))
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)

    def step(idx):
        idx = torch.from_numpy(idx)
        optimizer.zero_grad(set_to_none=True)
        loss = model.loss(xs[idx], ts[idx])
        loss.backward()
        if settings.max_grad_norm is not None:  # as Trainer.step: None does not clip
            nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm)
        optimizer.step()

    return step


def decode_rates(model, work: DateWorkload, settings: Settings) -> dict:
    """Batched greedy decoding of the whole test set, ``decode_batch`` rows per call, by torch
    and by attnseq (``Converter.generate_ids``), the passes taking turns; the best of each.

    The passes take turns through ``take_turns`` (a pause before each).
    """
    xs = torch.from_numpy(work.test_xs.astype(numpy.int64))
    vocab, length = work.conv.vocab, work.test_ts.shape[1] - 1
    model.eval()

    def decode_all():
        return [model.generate(xs[i:i + settings.decode_batch], vocab.start_id, length)
                for i in range(0, len(xs), settings.decode_batch)]

    def ours():
        return work.conv.generate_ids(work.test_xs, settings.decode_batch)

    model.generate(xs[: settings.decode_batch], vocab.start_id, length)  # warm-ups
    work.conv.generate_ids(work.test_xs[: settings.decode_batch], settings.decode_batch)
    cpu: dict = {}
    best = take_turns({"torch": decode_all, "attnseq": ours}, settings.decode_repeats, cpu=cpu)
    return {"decode_pairs": len(xs), "decode_seconds": best["torch"],
            "decode_per_second": len(xs) / best["torch"],
            "attnseq_decode_seconds": best["attnseq"],
            "attnseq_decode_per_second": len(xs) / best["attnseq"],
            "decode_cpu_seconds": cpu["torch"], "attnseq_decode_cpu_seconds": cpu["attnseq"]}
