"""``Converter``: a trained model with its vocabulary and encoding, ready to convert text.

This is the Python API behind ``attnseq convert`` and ``attnseq eval``::

    conv = Converter.load("runs/attention")
    conv.convert(["TUESDAY, SEPTEMBER 25, 1984", "9/8/97"])   # ['1984-09-25', '1997-09-08']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from attnseq import checkpoint
from attnseq.config import ModelConfig, build_model
from attnseq.data.dataset import encode_pairs
from attnseq.data.vocab import Vocab
from attnseq.decoding import DEFAULT_BATCH, decode_in_batches
from attnseq.errors import AttnseqError
from attnseq.train import rows_correct


class Converter:
    """Encodes questions as the model was trained (padding, reversal) and decodes answers."""

    def __init__(self, model, vocab: Vocab, config: ModelConfig, meta: dict | None = None):
        self.model = model
        self.vocab = vocab
        self.config = config
        self.meta = dict(meta or {})

    @classmethod
    def create(cls, config: ModelConfig, vocab: Vocab, *, seed=None, dtype=None) -> Converter:
        """A converter around a freshly initialised model."""
        model = build_model(config, len(vocab), pad_id=vocab.pad_id, seed=seed, dtype=dtype)
        return cls(model, vocab, config)

    # -- encoding ---------------------------------------------------------------------------
    def encode(self, pairs: Sequence[Sequence[str]]):
        """(question, answer) pairs -> (xs (N, question_len), ts (N, answer_len + 2))."""
        for n, pair in enumerate(pairs):
            if not pair[0].strip():
                raise AttnseqError(f"input {n + 1} is empty")
        return encode_pairs(pairs, self.vocab, reverse=self.config.reverse,
                            question_len=self.config.question_len,
                            answer_len=self.config.answer_len)

    def encode_questions(self, texts: Sequence[str]):
        """Questions alone -> xs (N, question_len)."""
        return self.encode([(t, "") for t in texts])[0]

    # -- inference --------------------------------------------------------------------------
    def generate_ids(self, xs, batch_size: int = DEFAULT_BATCH, workers: int | None = None):
        """Greedy decoding of xs (N, question_len) in batches of like inputs, on ``workers``
        threads (``attnseq.decoding.decode_in_batches``) -> ids (N, answer_len + 1)."""
        return decode_in_batches(self.model, xs, self.vocab.start_id,
                                 self.config.answer_len + 1, batch_size, workers)

    def convert(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH) -> list[str]:
        """Convert each text; the output for a text stops at the model's end token."""
        ids = self.generate_ids(self.encode_questions(texts), batch_size)
        return [self.vocab.decode(row) for row in ids]

    def attention(self, texts: Sequence[str]):
        """Convert ``texts`` and return, for each, (input tokens, output tokens, weights).

        ``weights`` is (output length, input length): row i is what output token i attended
        to, over the input's tokens in reading order (padding dropped, reversal undone).
        Needs an attention model.
        """
        if not hasattr(self.model, "decoder") or not hasattr(self.model.decoder, "attention"):
            raise AttnseqError(f"a {self.config.model!r} model has no attention to show")
        xs = self.encode_questions(texts)
        ids, weights = self.model.generate(xs, self.vocab.start_id, self.config.answer_len + 1,
                                           return_attention=True)
        results = []
        for text, row, w in zip(texts, ids, weights, strict=True):
            in_tokens = self.vocab.split(text)
            steps = row.tolist()
            if self.vocab.end_id in steps:
                steps = steps[: steps.index(self.vocab.end_id)]
            out_tokens = [self.vocab.id_to_token(i) for i in steps]
            # Encoder column j holds input token j, or token T-1-j when the input was
            # reversed; either way the padding sits beyond the real tokens once un-reversed.
            cols = w[:, ::-1] if self.config.reverse else w
            results.append((in_tokens, out_tokens,
                            numpy.ascontiguousarray(cols[: len(steps), : len(in_tokens)])))
        return results

    def _decode_and_score(self, pairs: Sequence[Sequence[str]], batch_size: int):
        """(predicted ids (N, answer_len + 1), bool (N,) exact match) of one decoding pass."""
        xs, ts = self.encode(pairs)
        pred = self.generate_ids(xs, batch_size)
        return pred, rows_correct(pred, ts[:, 1:], self.vocab.end_id, pad_id=self.vocab.pad_id)

    def correct(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH):
        """A bool array (N,): does the model's answer match each pair's answer exactly?"""
        return self._decode_and_score(pairs, batch_size)[1]

    def predict(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH):
        """(answers the model gives, list of str; correct, bool (N,)) from one decoding pass."""
        pred, correct = self._decode_and_score(pairs, batch_size)
        return [self.vocab.decode(row) for row in pred], correct

    def accuracy(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH) -> float:
        """Exact-match accuracy over ``pairs``."""
        return float(self.correct(pairs, batch_size).mean()) if len(pairs) else 0.0

    # -- persistence ------------------------------------------------------------------------
    def save(self, path, **meta) -> None:
        """Save as a model directory; ``meta`` (JSON-able: history, data, train) goes along."""
        doc = {**self.meta, **meta, "model": self.config.to_dict(),
               "vocab": self.vocab.to_dict()}
        checkpoint.save(path, self.model.params, doc)
        self.meta = {k: v for k, v in doc.items() if k not in ("model", "vocab")}

    @classmethod
    def load(cls, path) -> Converter:
        doc = checkpoint.load_meta(path)
        try:
            config = ModelConfig.from_dict(doc.get("model"))
            vocab = Vocab.from_dict(doc.get("vocab"))
        except AttnseqError as exc:
            raise AttnseqError(f"{path}: {exc}") from None
        conv = cls.create(config, vocab)
        checkpoint.load_weights(path, conv.model.params)
        meta = {k: v for k, v in doc.items() if k not in ("model", "vocab")}
        conv.meta = meta
        return conv
