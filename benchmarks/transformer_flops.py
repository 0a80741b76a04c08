"""The matmul FLOPs of the Transformer (``attnseq.models.transformer.model``), counted analytically.

The same convention as ``benchmarks.flops`` (whose brute-force counter the smoke test holds
these formulas against): a (m, k) @ (k, n) product costs 2·m·k·n, a batched one that times its
batch; only matmuls count, not softmax, LayerNorm, ReLU, dropout, the loss or the embedding's
gather. Sizes: N batch, S source (question) steps, T target steps (answer length + 1), d
d_model, f d_ff, L layers in each stack, V vocabulary. The head count does not appear: h heads
of d/h columns do the work of one head of d.

Forward, per encoder layer (self-attention over S keys, FFN):

    Q, K, V, O projections   4 · 2·N·S·d·d
    Q Kᵀ and A V             2 · 2·N·S·S·d
    FFN W1 and W2            2 · 2·N·S·d·f

per decoder layer (causal self-attention over T keys, cross-attention over S, FFN):

    self-attention           4 · 2·N·T·d·d  +  2 · 2·N·T·T·d     (the dense T×T, mask or not)
    cross Q and O            2 · 2·N·T·d·d;  K and V of the encoder's output  2 · 2·N·S·d·d
    cross Q Kᵀ and A V       2 · 2·N·T·S·d
    FFN                      2 · 2·N·T·d·f

and the output projection 2·N·T·d·V. The encoder's position-wise matmuls (the four
projections, the FFN, and the cross-attention's K and V of its output) run on the M real
(non-padding) source positions only (``attnseq.fast.packing``), M ≤ N·S: every N·S above
that multiplies d·d or d·f is M; the scores keep N·S·S (M = N·S counts a padded model's work,
the PyTorch peer's). Backward does two matmuls of each forward one's size (the
gradient of each operand: dX and dW of a projection, dQ and dK of the scores, dA and dV of the
weighted sum), so a training step is three times the forward.

Greedy decoding runs the encoder once, projects each decoder layer's cross-attention keys and
values once, and at step t (1-based) attends over the t cached positions: Σ_t t = T(T+1)/2.
"""

from __future__ import annotations

from dataclasses import dataclass

from attnseq.core.errors import positive_int


@dataclass(frozen=True)
class TransformerFlops:
    """The matmul FLOPs of one forward + backward pass, by part (all plain ints)."""

    encoder: int
    decoder: int
    output: int

    @property
    def total(self) -> int:
        return self.encoder + self.decoder + self.output

    def to_dict(self) -> dict:
        return {"encoder": self.encoder, "decoder": self.decoder, "output": self.output,
                "total": self.total}


def _sizes(**sizes) -> tuple[int, ...]:
    return tuple(positive_int(name, value) for name, value in sizes.items())


def _real_rows(N: int, S: int, M) -> int:
    """M, the real source positions of the batch: N·S (no padding skipped) when None."""
    if M is None:
        return N * S
    M = positive_int("M", M)
    if M > N * S:
        raise ValueError(f"M ({M}) cannot exceed N·S ({N * S})")
    return M


def encoder_layer_forward(N: int, S: int, d: int, f: int, M=None) -> int:
    """Matmul FLOPs of one encoder layer's forward pass over (N, S, d), the position-wise
    ones on M real rows."""
    M = _real_rows(N, S, M)
    return 8 * M * d * d + 4 * N * S * S * d + 4 * M * d * f


def train_step_flops(N: int, S: int, T: int, d: int, f: int, L: int, V: int,
                     M=None) -> TransformerFlops:
    """Matmul FLOPs of the Transformer's ``forward`` + ``backward`` on one batch (forward × 3;
    the optimiser and clipping do no matmul); M real source positions (default N·S)."""
    N, S, T, d, f, L, V = _sizes(N=N, S=S, T=T, d=d, f=f, L=L, V=V)
    M = _real_rows(N, S, M)
    decoder_layer = (8 * N * T * d * d + 4 * N * T * T * d               # self-attention
                     + 4 * N * T * d * d + 4 * M * d * d + 4 * N * T * S * d  # cross
                     + 4 * N * T * d * f)                                  # FFN
    return TransformerFlops(encoder=3 * L * encoder_layer_forward(N, S, d, f, M),
                            decoder=3 * L * decoder_layer,
                            output=3 * 2 * N * T * d * V)


def decode_flops(N: int, S: int, T: int, d: int, f: int, L: int, V: int, M=None) -> int:
    """Matmul FLOPs of greedy decoding of N inputs for T steps with a key/value cache; M
    real source positions (default N·S)."""
    N, S, T, d, f, L, V = _sizes(N=N, S=S, T=T, d=d, f=f, L=L, V=V)
    M = _real_rows(N, S, M)
    once = L * (encoder_layer_forward(N, S, d, f, M) + 4 * M * d * d)  # + cross K, V
    per_step = (L * (8 * N * d * d                # self-attention Q, K, V, O of one position
                     + 4 * N * d * d + 4 * N * S * d  # cross Q, O; scores and sum over S
                     + 4 * N * d * f)             # FFN
                + 2 * N * d * V)                  # output projection
    cached = L * 4 * N * d * (T * (T + 1) // 2)  # scores and sum over 1, 2, ..., T positions
    return once + T * per_step + cached
