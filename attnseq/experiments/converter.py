"""``Converter``: a trained model with its vocabulary and encoding, ready to convert text.

This is the Python API behind ``attnseq convert`` and ``attnseq eval``::

    conv = Converter.load("runs/attention")
    conv.convert(["TUESDAY, SEPTEMBER 25, 1984", "9/8/97"])   # ['1984-09-25', '1997-09-08']

A model trained with locale hints (``attnseq.tasks.wild``, docs/dates-wild.md) reads a
numeric date's numbers in the order of the locale its methods are given, ``locale="en_GB"``
(None: no hint, the task's documented default); its vocabulary encodes a character it does
not know as UNK instead of refusing the text.

Every decoding method takes ``search``: None decodes greedily, a ``BeamSearch`` (which
``conv.beam(beam=5, ...)`` builds with the model's end token) by beam search::

    conv.alternatives(["9/8/97"], conv.beam(beam=5, n_best=3))   # [[('1997-09-08', -0.01), ...]]

A model in the book's layout (``config.layout == "book"``, what ``attnseq import-book``
writes) is encoded and decoded as the book's code does: questions and answers padded with
spaces to their fixed widths, nothing masked, exactly ``answer_len`` steps and no end token.
Its outputs lose their trailing spaces (the padding), as answers read from a data file do;
both have ``answer_len`` tokens before that, so equal texts mean equal padded answers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy

from attnseq.core.backend import to_device, to_numpy
from attnseq.core.errors import AttnseqError
from attnseq.decoding import (
    DEFAULT_BATCH,
    BeamSearch,
    Hypothesis,
    batch_rows,
    decode_in_batches,
    scored_greedy,
)
from attnseq.models.config import FamilyConfig, build_model
from attnseq.models.config_entry import config_from_dict
from attnseq.tasks.dataset import encode_pairs
from attnseq.tasks.vocab import Vocab, hint_token
from attnseq.tasks.wild.hints import check_locale
from attnseq.training import checkpoint
from attnseq.training.accuracy import rows_correct


class Converter:
    """Encodes questions as the model was trained (padding, reversal) and decodes answers."""

    def __init__(self, model, vocab: Vocab, config: FamilyConfig, meta: dict | None = None):
        self.model = model
        self.vocab = vocab
        self.config = config
        self.meta = dict(meta or {})

    @classmethod
    def create(cls, config: FamilyConfig, vocab: Vocab, *, seed=None, dtype=None,
               impl: str = "fast") -> Converter:
        """A converter around a freshly initialised model, built from the ``impl`` layers."""
        # The book's layout has no padding id: its space is a token that attention reads.
        pad_id = None if config.layout == "book" else vocab.pad_id
        model = build_model(config, len(vocab), pad_id=pad_id, seed=seed, dtype=dtype,
                            impl=impl)
        return cls(model, vocab, config)

    # -- encoding ---------------------------------------------------------------------------
    def encode(self, pairs: Sequence[Sequence[str]], locale: str | None = None):
        """(question, answer) pairs -> (xs (N, question_len), ts (N, answer_len + 2)); each
        question with the hint ``locale`` in front, or with none (None: a pair's own
        ``hint``, if it has one)."""
        for n, pair in enumerate(pairs):
            if not pair[0].strip():
                raise AttnseqError(f"input {n + 1} is empty")
        if self.config.layout == "book":  # the book's fixed width: padded with spaces
            pairs = [(pair[0].ljust(self.config.question_len),
                      pair[1].ljust(self.config.answer_len)) for pair in pairs]
        hints = None if self.hint(locale) is None else [locale] * len(pairs)
        return encode_pairs(pairs, self.vocab, reverse=self.config.reverse,
                            question_len=self.config.question_len,
                            answer_len=self.config.answer_len, hints=hints)

    def hint(self, locale: str | None) -> str | None:
        """``locale`` when this model has its hint (None stays None), else the one-line error:
        CLDR's for a name it does not know, the model's hints for one it was not taught."""
        if locale is not None:
            if hint_token(locale) not in self.vocab:
                check_locale(locale)
            self.vocab.hint_id(locale)
        return locale

    def encode_questions(self, texts: Sequence[str], locale: str | None = None):
        """Questions alone -> xs (N, question_len), with the hint ``locale`` (or none)."""
        return self.encode([(t, "") for t in texts], locale)[0]

    # -- inference --------------------------------------------------------------------------
    def beam(self, **settings) -> BeamSearch:
        """A ``BeamSearch`` with this model's end token and the given settings (beam, n_best,
        alpha, beta, min_length, max_length; see ``attnseq.decoding.beam``)."""
        return BeamSearch(self.vocab.end_id, **settings)

    @property
    def output_len(self) -> int:
        """Decoding steps of an answer: the longest answer and its end token (the book's
        layout: the answer's fixed width, no end token)."""
        return self.config.answer_len + (self.config.layout != "book")

    def text(self, ids) -> str:
        """The output text of decoded ``ids``; in the book's layout without its padding."""
        out = self.vocab.decode(ids)
        return out.rstrip(" ") if self.config.layout == "book" else out

    def generate_ids(self, xs, batch_size: int = DEFAULT_BATCH, workers: int | None = None,
                     search: BeamSearch | None = None):
        """Decode xs (N, question_len) in batches of like inputs, on ``workers`` threads
        (``attnseq.decoding.decode_in_batches``), greedily or with ``search`` -> ids
        (N, answer_len + 1); beam search fills the end id in after a hypothesis' end."""
        return decode_in_batches(self.model, xs, self.vocab.start_id, self.output_len,
                                 batch_size, workers, decode=search)

    def convert(self, texts: Sequence[str], batch_size: int = DEFAULT_BATCH,
                search: BeamSearch | None = None, locale: str | None = None) -> list[str]:
        """Convert each text (with the hint ``locale``, or none); the output for a text stops
        at the model's end token."""
        ids = self.generate_ids(self.encode_questions(texts, locale), batch_size,
                                search=search)
        return [self.text(row) for row in ids]

    def scored(self, xs, batch_size: int = DEFAULT_BATCH) -> tuple[list[str], numpy.ndarray]:
        """Greedy outputs of encoded questions xs (N, question_len) (``encode_questions``)
        and the log P(Y | X) (N,) float64 of each (``attnseq.decoding.greedy.scored_greedy``),
        decoded in batches of like inputs (``attnseq.decoding.batching.batch_rows``), one
        after another."""
        ids = numpy.zeros((len(xs), self.output_len), dtype=numpy.int32)
        log_p = numpy.zeros(len(xs))
        for rows in batch_rows(self.model, xs, batch_size):
            ids[rows], log_p[rows] = scored_greedy(self.model, xs[rows], self.vocab.start_id,
                                                   self.output_len, self.vocab.end_id)
        return [self.text(row) for row in ids], log_p

    def hypotheses(self, texts: Sequence[str], search: BeamSearch,
                   batch_size: int = DEFAULT_BATCH, locale: str | None = None
                   ) -> list[list[Hypothesis]]:
        """Beam search over each text (with the hint ``locale``, or none) -> its
        ``search.n_best`` hypotheses, best first, in batches of ``batch_size`` texts; a
        hypothesis' attention (|Y|, question_len) is over the encoded input's columns
        (reversed when the model reverses its input)."""
        return self.searched(self.encode_questions(texts, locale), search, batch_size)

    def searched(self, xs, search: BeamSearch, batch_size: int = DEFAULT_BATCH
                 ) -> list[list[Hypothesis]]:
        """``hypotheses`` of encoded questions xs (N, question_len) (``encode_questions``),
        searched in batches of like inputs (``attnseq.decoding.batching.batch_rows``)."""
        out: list[list[Hypothesis]] = [[] for _ in range(len(xs))]
        for rows in batch_rows(self.model, xs, batch_size):
            found = search.search(self.model, xs[rows], self.vocab.start_id, self.output_len)
            for row, hypotheses in zip(rows.tolist(), found, strict=True):
                out[row] = hypotheses
        return out

    def alternatives(self, texts: Sequence[str], search: BeamSearch,
                     batch_size: int = DEFAULT_BATCH, locale: str | None = None
                     ) -> list[list[tuple[str, float]]]:
        """Per text its ``search.n_best`` (output, score) pairs, best first."""
        return self.ranked(self.hypotheses(texts, search, batch_size, locale))

    def ranked(self, hypotheses: Sequence[Sequence[Hypothesis]]) -> list[list[tuple]]:
        """Per text the (output, score) pairs of its hypotheses (from ``hypotheses``)."""
        return [[(self.text(h.tokens), h.score) for h in hyps] for hyps in hypotheses]

    def attention(self, texts: Sequence[str], search: BeamSearch | None = None, *,
                  hypotheses: Sequence[Sequence[Hypothesis]] | None = None):
        """Convert ``texts`` and return, for each, (input tokens, output tokens, weights).

        ``weights`` is (output length, input length): row i is what output token i attended
        to, over the input's tokens in reading order (padding dropped, reversal undone). With
        ``search``, of the best hypothesis of beam search; with ``hypotheses`` (what
        ``hypotheses`` returned for these texts), of the best of those, without searching
        again. Needs an attention model.
        """
        model = self.model
        if not hasattr(model, "attention_maps") and not hasattr(getattr(model, "decoder", None),
                                                                 "attention"):
            raise AttnseqError(f"a {self.config.model!r} model has no attention to show")
        if hypotheses is None and search is not None:
            hypotheses = self.hypotheses(texts, search)
        if hypotheses is None:
            xs = self.encode_questions(texts)
            ids, weights = self.model.generate(xs, self.vocab.start_id, self.output_len,
                                               return_attention=True)
        else:
            best = [hyps[0] for hyps in hypotheses]
            ids, weights = [h.tokens for h in best], [h.attention for h in best]
        results = []
        for text, row, w in zip(texts, ids, weights, strict=True):
            in_tokens = self.vocab.split(text, "question")
            steps = self._until_end(row)
            cols = self._reading_order(len(in_tokens), w.shape[1])
            results.append((in_tokens, [self.vocab.id_to_token(i) for i in steps],
                            numpy.ascontiguousarray(w[: len(steps)][:, cols])))
        return results

    def _until_end(self, row) -> list[int]:
        """The ids of a decoded row before its first end token."""
        steps = numpy.asarray(row).tolist()
        return steps[: steps.index(self.vocab.end_id)] if self.vocab.end_id in steps else steps

    def _reading_order(self, n_tokens: int, Te: int):
        """The encoder columns of a text's n_tokens input tokens, in reading order: column j
        holds input token j, or token Te-1-j when the input was reversed (either way the
        padding lies beyond the real tokens)."""
        positions = numpy.arange(n_tokens)
        return Te - 1 - positions if self.config.reverse else positions

    def attention_heads(self, texts: Sequence[str]) -> list[dict]:
        """Per text (converted greedily) a Transformer's attention, every layer and head:
        {"inputs": input tokens, "outputs": output tokens (before the end token),
        "encoder": [(heads, T_in, T_in)], "decoder": [(heads, T_out, T_out)],
        "cross": [(heads, T_out, T_in)]}, one array per layer, bottom first; input axes in
        reading order, padding dropped, reversal undone. Row i of "decoder" and "cross" is
        what the step that emitted output token i attended to; column j of "decoder" is the
        token step j read (the start token, then output token j − 1)."""
        if not hasattr(self.model, "attention_maps"):
            raise AttnseqError(f"a {self.config.model!r} model has no per-head attention")
        xs = self.encode_questions(texts)
        start = self.vocab.start_id
        ids = numpy.asarray(self.model.generate(xs, start, self.output_len))
        ys = numpy.concatenate([numpy.full((len(xs), 1), start, dtype=ids.dtype),
                                ids[:, :-1]], axis=1)  # what the decoder read at each step
        maps = {k: [to_numpy(a) for a in v]
                for k, v in self.model.attention_maps(to_device(xs), to_device(ys)).items()}
        results = []
        for n, (text, row) in enumerate(zip(texts, ids, strict=True)):
            steps = self._until_end(row)
            inputs = self.vocab.split(text, "question")
            cols, T = self._reading_order(len(inputs), xs.shape[1]), len(steps)
            results.append({
                "inputs": inputs, "outputs": [self.vocab.id_to_token(i) for i in steps],
                "encoder": [numpy.ascontiguousarray(a[n][:, cols][:, :, cols])
                            for a in maps["encoder"]],
                "decoder": [numpy.ascontiguousarray(a[n][:, :T, :T]) for a in maps["decoder"]],
                "cross": [numpy.ascontiguousarray(a[n][:, :T][:, :, cols])
                          for a in maps["cross"]]})
        return results

    def _decode_and_score(self, pairs: Sequence[Sequence[str]], batch_size: int,
                          search: BeamSearch | None, locale: str | None = None):
        """(predicted ids (N, output_len), bool (N,) exact match) of one decoding pass."""
        xs, ts = self.encode(pairs, locale)
        pred = self.generate_ids(xs, batch_size, search=search)
        target = ts[:, 1:1 + self.output_len]  # the book's layout: the padded answer, no END
        return pred, rows_correct(pred, target, self.vocab.end_id, pad_id=self.vocab.pad_id)

    def correct(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH,
                search: BeamSearch | None = None):
        """A bool array (N,): does the model's answer match each pair's answer exactly?"""
        return self._decode_and_score(pairs, batch_size, search)[1]

    def predict(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH,
                search: BeamSearch | None = None, locale: str | None = None):
        """(answers the model gives, list of str; correct, bool (N,)) from one decoding pass,
        with the hint ``locale`` (None: each pair's own, if any)."""
        pred, correct = self._decode_and_score(pairs, batch_size, search, locale)
        return [self.text(row) for row in pred], correct

    def accuracy(self, pairs: Sequence[Sequence[str]], batch_size: int = DEFAULT_BATCH,
                 search: BeamSearch | None = None) -> float:
        """Exact-match accuracy over ``pairs`` (greedy, or with ``search``)."""
        return float(self.correct(pairs, batch_size, search).mean()) if len(pairs) else 0.0

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
            config = config_from_dict(doc.get("model"))
            vocab = Vocab.from_dict(doc.get("vocab"))
        except AttnseqError as exc:
            raise AttnseqError(f"{path}: {exc}") from None
        conv = cls.create(config, vocab)
        checkpoint.load_weights(path, conv.model.params, version=doc["format_version"],
                                gates=checkpoint.gate_weights(conv.model))
        # the model's story (history, data, train) goes along; the file's format does not
        conv.meta = {k: v for k, v in doc.items()
                     if k not in ("model", "vocab", "format", "format_version")}
        return conv
