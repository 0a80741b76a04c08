"""A PyTorch peer of attnseq's Transformer: the same sizes, arrangement, data and training step.

Import this module only when ``torch`` is importable (``benchmarks.transformer`` checks first).
The model is hand-built from ``nn.Linear``, ``nn.LayerNorm``, ``nn.Embedding`` and
``F.scaled_dot_product_attention`` (what ``nn.MultiheadAttention`` calls inside), part for part
as ``attnseq.models.transformer.model`` builds it:

    inputs     embed(ids) · √d_model + sinusoidal positions, dropout
    encoder    L × [self-attention (key-padding mask), FFN]
    decoder    L × [causal self-attention, cross-attention over the encoder (padding mask), FFN]
    sub-layer  pre-LN:  x + dropout(f(LN(x)))   (and a final LayerNorm on each stack)
               post-LN: LN(x + dropout(f(x)))
    FFN        W2 · ReLU(W1 · x + b1) + b2;  attention: h heads of d_model / h, Wq Wk Wv Wo
    output     linear d_model -> V;  cross-entropy over the non-padding targets

Hand-built rather than ``nn.Transformer`` for one reason: greedy decoding here caches each
decoder layer's keys and values (one preallocated (N, h, length, d_k) buffer per layer, written
one position per step) and projects the encoder's keys and values for cross-attention once, as
attnseq's decoder does, so that a step costs O(t); ``nn.TransformerDecoder`` has no cache and
would re-run the whole prefix at every step. ``load_from`` copies an attnseq model's weights in,
so that the smoke test can check that both compute the same loss and the same answers.

The training step is ``Trainer.step``'s: forward, backward, gradient-norm clipping, Adam
(``benchmarks.torch_peer.torch_train_step``); ``torch.set_num_threads`` is given NumPy's BLAS
thread count by the caller.
"""

from __future__ import annotations

import math

import numpy
import torch
from torch import nn
from torch.nn import functional as F

from attnseq.core.backend import to_numpy


def sinusoids(length: int, d: int, dtype=torch.float32) -> torch.Tensor:
    """PE (length, d): PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    rate = torch.pow(10000.0, -torch.arange(0, d, 2, dtype=torch.float64) / d)  # (ceil(d/2),)
    pe = torch.zeros(length, d, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * rate)
    pe[:, 1::2] = torch.cos(pos * rate[: d // 2])
    return pe.to(dtype)


class MultiHeadAttention(nn.Module):
    """softmax(Q Kᵀ / √d_k) V over ``heads`` heads, then Wo. Q from x, K and V from ``kv``."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        # K has no bias, as in attnseq: it would add one constant to all of a query's scores
        self.q, self.v, self.o = (nn.Linear(d, d) for _ in range(3))
        self.k = nn.Linear(d, d, bias=False)

    def split(self, x):
        """(N, T, d) -> (N, heads, T, d_k)."""
        N, T, d = x.shape
        return x.view(N, T, self.heads, d // self.heads).transpose(1, 2)

    def keys_values(self, kv):
        """The heads' keys and values of ``kv`` (N, Tk, d), each (N, heads, Tk, d_k)."""
        return self.split(self.k(kv)), self.split(self.v(kv))

    def attend(self, x, k, v, *, mask=None, causal=False):
        """Queries from x (N, Tq, d) over keys/values (N, heads, Tk, d_k) -> (N, Tq, d).
        ``mask`` (N, 1, 1, Tk) bool, True at the keys that may be attended to."""
        out = F.scaled_dot_product_attention(self.split(self.q(x)), k, v, attn_mask=mask,
                                             is_causal=causal)  # (N, heads, Tq, d_k)
        N, _, Tq, _ = out.shape
        return self.o(out.transpose(1, 2).reshape(N, Tq, -1))

    def forward(self, x, kv, *, mask=None, causal=False):
        return self.attend(x, *self.keys_values(kv), mask=mask, causal=causal)


class SubLayer(nn.Module):
    """Residual + dropout around ``f``, with its LayerNorm before (pre-LN) or after (post-LN)."""

    def __init__(self, d: int, dropout: float, pre: bool):
        super().__init__()
        self.norm, self.drop, self.pre = nn.LayerNorm(d), nn.Dropout(dropout), pre

    def forward(self, x, f):
        if self.pre:
            return x + self.drop(f(self.norm(x)))
        return self.norm(x + self.drop(f(x)))


class FeedForward(nn.Module):
    def __init__(self, d: int, d_ff: int):
        super().__init__()
        self.W1, self.W2 = nn.Linear(d, d_ff), nn.Linear(d_ff, d)

    def forward(self, x):
        return self.W2(torch.relu(self.W1(x)))


class EncoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, d_ff: int, dropout: float, pre: bool):
        super().__init__()
        self.attn, self.ffn = MultiHeadAttention(d, heads), FeedForward(d, d_ff)
        self.sub = nn.ModuleList(SubLayer(d, dropout, pre) for _ in range(2))

    def forward(self, x, mask):
        x = self.sub[0](x, lambda h: self.attn(h, h, mask=mask))
        return self.sub[1](x, self.ffn)


class DecoderLayer(nn.Module):
    def __init__(self, d: int, heads: int, d_ff: int, dropout: float, pre: bool):
        super().__init__()
        self.self_attn, self.cross = MultiHeadAttention(d, heads), MultiHeadAttention(d, heads)
        self.ffn = FeedForward(d, d_ff)
        self.sub = nn.ModuleList(SubLayer(d, dropout, pre) for _ in range(3))

    def forward(self, x, memory_kv, mask, self_attention):
        """``self_attention(h)`` is the causal self-attention of the normalised input:
        over the whole sequence in training, over the cache in decoding."""
        x = self.sub[0](x, self_attention)
        x = self.sub[1](x, lambda h: self.cross.attend(h, *memory_kv, mask=mask))
        return self.sub[2](x, self.ffn)


class TorchTransformer(nn.Module):
    """The encoder-decoder Transformer (see the module docstring); ids in, loss or ids out."""

    def __init__(self, V: int, *, d_model: int, heads: int, d_ff: int, num_layers: int,
                 dropout: float, norm: str, pad_id: int, max_len: int):
        super().__init__()
        pre = norm == "pre"
        self.pad_id, self.d = pad_id, d_model
        self.src_embed, self.tgt_embed = nn.Embedding(V, d_model), nn.Embedding(V, d_model)
        self.register_buffer("pe", sinusoids(max_len, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.ModuleList(EncoderLayer(d_model, heads, d_ff, dropout, pre)
                                     for _ in range(num_layers))
        self.decoder = nn.ModuleList(DecoderLayer(d_model, heads, d_ff, dropout, pre)
                                     for _ in range(num_layers))
        # pre-LN normalises each stack's output once more; post-LN's last sub-layer already did
        self.enc_norm = nn.LayerNorm(d_model) if pre else nn.Identity()
        self.dec_norm = nn.LayerNorm(d_model) if pre else nn.Identity()
        self.out = nn.Linear(d_model, V)

    def inputs(self, embed, ids, offset: int = 0):
        """embed(ids) · √d + PE[offset : offset + T], dropout: (N, T) -> (N, T, d)."""
        T = ids.shape[1]
        return self.drop(embed(ids) * math.sqrt(self.d) + self.pe[offset:offset + T])

    def encode(self, xs):
        """xs (N, S) -> (the encoder's output (N, S, d), key mask (N, 1, 1, S))."""
        mask = (xs != self.pad_id)[:, None, None, :]
        x = self.inputs(self.src_embed, xs)
        for layer in self.encoder:
            x = layer(x, mask)
        return self.enc_norm(x), mask

    def loss(self, xs, ts):
        """Mean cross-entropy of teacher-forced decoding; ts (N, 1 + T) starts with START."""
        memory, mask = self.encode(xs)
        x = self.inputs(self.tgt_embed, ts[:, :-1])
        for layer in self.decoder:
            kv = layer.cross.keys_values(memory)
            x = layer(x, kv, mask, lambda h, a=layer.self_attn: a(h, h, causal=True))
        logits = self.out(self.dec_norm(x))  # (N, T, V)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ts[:, 1:].reshape(-1),
                               ignore_index=self.pad_id)

    @torch.inference_mode()
    def generate(self, xs, start_id: int, length: int):
        """Greedy decoding with a key/value cache: xs (N, S) -> ids (N, length)."""
        memory, mask = self.encode(xs)
        N = xs.shape[0]
        memory_kv = [layer.cross.keys_values(memory) for layer in self.decoder]
        heads = self.decoder[0].self_attn.heads
        shape = (N, heads, length, self.d // heads)
        caches = [(memory.new_empty(shape), memory.new_empty(shape)) for _ in self.decoder]
        tokens = torch.full((N, 1), start_id, dtype=torch.long)
        out = []
        for t in range(length):
            x = self.inputs(self.tgt_embed, tokens, offset=t)  # (N, 1, d)
            for layer, kv, cache in zip(self.decoder, memory_kv, caches, strict=True):
                x = layer(x, kv, mask, lambda h, a=layer.self_attn, c=cache, t=t:
                          _cached_attention(a, h, c, t))
            tokens = self.out(self.dec_norm(x)).argmax(dim=-1)  # (N, 1)
            out.append(tokens)
        return torch.cat(out, dim=1)


def _cached_attention(attn: MultiHeadAttention, h, cache, t: int):
    """Self-attention of position t's h (N, 1, d) over positions 0..t: its key and value go
    into slot t of the cache (K, V each (N, heads, length, d_k)) first."""
    K, V = cache
    k, v = attn.keys_values(h)  # (N, heads, 1, d_k)
    K[:, :, t:t + 1] = k
    V[:, :, t:t + 1] = v
    return attn.attend(h, K[:, :, :t + 1], V[:, :, :t + 1])


@torch.no_grad()
def load_from(peer: TorchTransformer, model) -> TorchTransformer:
    """Copy the weights of an attnseq ``Transformer`` into ``peer`` (built with its sizes and
    norm) and return it; float64 weights make a float64 peer. attnseq multiplies x @ W where
    ``nn.Linear`` computes x Wᵀ, so every matrix goes in transposed."""
    def tensor(a):
        return torch.from_numpy(numpy.ascontiguousarray(to_numpy(a)))

    if model.encoder.embedding.params[0].dtype == numpy.float64:
        peer.double()
        peer.pe = sinusoids(*peer.pe.shape, torch.float64)  # not the float32 table widened

    def linear(dst: nn.Linear, affine):
        dst.weight.copy_(tensor(affine.params[0]).T)
        if dst.bias is not None:
            dst.bias.copy_(tensor(affine.params[1]))

    def norm(dst, ln):
        dst.weight.copy_(tensor(ln.params[0]))
        dst.bias.copy_(tensor(ln.params[1]))

    def attention(dst: MultiHeadAttention, mha, residual, sub: SubLayer):
        for name in ("q", "k", "v", "o"):
            linear(getattr(dst, name), getattr(mha, name))
        norm(sub.norm, residual.ln)

    def ffn(dst: FeedForward, ff, residual, sub: SubLayer):
        linear(dst.W1, ff.inner)
        linear(dst.W2, ff.outer)
        norm(sub.norm, residual.ln)

    enc, dec = model.encoder, model.decoder
    peer.src_embed.weight.copy_(tensor(enc.embedding.params[0]))
    peer.tgt_embed.weight.copy_(tensor(dec.embedding.params[0]))
    for dst, src in zip(peer.encoder, enc.layers, strict=True):
        attention(dst.attn, src.mha, src.attention, dst.sub[0])
        ffn(dst.ffn, src.ff, src.ff_residual, dst.sub[1])
    for dst, src in zip(peer.decoder, dec.layers, strict=True):
        attention(dst.self_attn, src.self_mha, src.self_attention, dst.sub[0])
        attention(dst.cross, src.cross_mha, src.cross_attention, dst.sub[1])
        ffn(dst.ffn, src.ff, src.ff_residual, dst.sub[2])
    for dst, src in ((peer.enc_norm, enc.final_ln), (peer.dec_norm, dec.final_ln)):
        if src is not None:
            norm(dst, src)
    linear(peer.out, dec.affine)
    return peer
