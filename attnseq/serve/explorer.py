"""``Explorer``: one served model and what the page shows of it, as JSON-ready dicts.

For each text of a batch, ``explain`` returns::

    {"output": "1994-09-27",                     the conversion
     "inputs": ["S", "e", ...],                  input tokens, reading order      (T_in,)
     "outputs": ["1", "9", ...],                 output tokens, end token dropped (T_out,)
     "attention": [[...], ...] or None,          weights (T_out, T_in): row i is what output
                                                 token i attended to; None without attention
     "alternatives": [{"output", "score"}, ...]  with beam search: the n-best, best first
     "heads": {...}}                             with a Transformer: see below

A Transformer's converter has ``attention_heads(texts)``; its per-layer, per-head weights go
under ``"heads"``: ``{"inputs", "outputs", "encoder": [layer][head][T_in][T_in], "decoder":
[layer][head][T_out][T_out], "cross": [layer][head][T_out][T_in]}`` (greedy decoding, whatever
the search). The mean over the heads of its last cross-attention layer is the model's own
``attention``: a greedy request takes it from there, decoding once, and where a model gives
no ``attention`` matrix of its own it stands in for it.

What a model can show is found once, when it is loaded, by converting one probe character:
``attention`` is False for a model without attention (baseline, peeky), ``heads`` is True
for a Transformer. An Explorer is not thread-safe (its model keeps caches from its last
forward pass): ``attnseq.serve.batcher`` gives each one a thread of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy

from attnseq.core.errors import AttnseqError
from attnseq.decoding import BeamSearch
from attnseq.experiments.converter import Converter
from attnseq.tasks.vocab import SPECIAL_TOKENS

# Weights are sent with four decimals: the page cannot show more, and the JSON stays small.
DECIMALS = 4
HEAD_KINDS = ("encoder", "decoder", "cross")


def rounded(weights) -> list:
    """An array of weights as nested lists of floats with ``DECIMALS`` decimals."""
    return numpy.round(numpy.asarray(weights, dtype=numpy.float64), DECIMALS).tolist()


class Explorer:
    """A ``Converter`` under a ``name``, with what it can show found by a probe conversion."""

    def __init__(self, name: str, converter: Converter):
        self.name = name
        self.converter = converter
        # Any one known token that is not blank (a blank input is refused as empty).
        visible = [t for t in converter.vocab.tokens[len(SPECIAL_TOKENS):] if t.strip()]
        if not visible:
            raise AttnseqError(f"{name}: the vocabulary holds no visible token, so no text "
                               "could be converted")
        probe = visible[:1]
        self.attention = self._try(converter.attention, probe) is not None
        heads = getattr(converter, "attention_heads", None)
        self.heads = heads is not None and self._try(heads, probe) is not None

    @classmethod
    def load(cls, path, name: str | None = None) -> Explorer:
        """The model directory ``path`` (``Converter.load``), named after it by default."""
        converter = Converter.load(path)  # refuses a loop of links before resolve() meets it
        return cls(name or Path(path).resolve().name, converter)

    @staticmethod
    def _try(method, texts):
        """``method(texts)``, or None where the model refuses it (an ``AttnseqError``: the
        converter's way of saying that this kind of model has no such weights)."""
        try:
            return method(texts)
        except AttnseqError:
            return None

    def describe(self) -> dict:
        """What ``GET /api/models`` lists about this model."""
        config = self.converter.config
        return {"name": self.name, "model": config.model, "level": self.converter.vocab.level,
                "max_length": config.question_len, "attention": self.attention,
                "heads": self.heads}

    def check(self, text: str) -> None:
        """Raise the ``AttnseqError`` of a text the model cannot read: empty, with unknown
        tokens (each named), or longer than the model's inputs. Touches only the vocabulary
        and the config, never the model, so any thread may call it."""
        if not text.strip():
            raise AttnseqError("empty input: type something to convert")
        self.converter.encode_questions([text])

    def explain(self, texts: Sequence[str], search: BeamSearch | None = None) -> list[dict]:
        """One result dict per text (see the module docstring); the texts must pass
        ``check``. The batch is decoded together: results equal those of one text at a time."""
        conv = self.converter
        # One search gives both the alternatives and the best one's attention.
        hypotheses = conv.hypotheses(texts, search) if search is not None else None
        alternatives = conv.ranked(hypotheses) if hypotheses is not None else None
        heads = conv.attention_heads(texts) if self.heads else None
        results: list[dict[str, Any]]  # JSON objects: texts, token lists, matrices, None
        if self.attention and heads is not None and hypotheses is None:
            # Greedy decoding, which the heads come from: their last cross-attention layer,
            # averaged over heads, is the model's attention, so the texts are decoded once.
            results = [{"output": conv.vocab.join(h["outputs"]), "inputs": list(h["inputs"]),
                        "outputs": list(h["outputs"]),
                        "attention": rounded(numpy.mean(h["cross"][-1], axis=0))}
                       for h in heads]
        elif self.attention:
            results = [{"output": conv.vocab.join(outs), "inputs": ins, "outputs": outs,
                        "attention": rounded(w)}
                       for ins, outs, w in conv.attention(texts, hypotheses=hypotheses)]
        else:
            outputs = ([alts[0][0] for alts in alternatives] if alternatives is not None
                       else conv.convert(texts))
            results = [{"output": out, "inputs": conv.vocab.split(text),
                        "outputs": conv.vocab.split(out), "attention": None}
                       for text, out in zip(texts, outputs, strict=True)]
        if heads is not None:
            for result, h in zip(results, heads, strict=True):
                result["heads"] = {"inputs": list(h["inputs"]), "outputs": list(h["outputs"]),
                                   **{kind: [rounded(layer) for layer in h[kind]]
                                      for kind in HEAD_KINDS}}
                if result["attention"] is None and h["cross"]:
                    result["attention"] = rounded(numpy.mean(h["cross"][-1], axis=0))
        if alternatives is not None:
            for result, alts in zip(results, alternatives, strict=True):
                result["alternatives"] = [{"output": out, "score": round(float(score), 4)}
                                          for out, score in alts]
        return results


def load_explorers(paths: Sequence) -> list[Explorer]:
    """An Explorer per model directory, named after the directory; where two directories
    share a name (runs/a/attention, runs/b/attention), after the paths as given."""
    paths = [str(path).rstrip("/") or "/" for path in paths]
    if len(set(paths)) < len(paths):
        twice = next(p for i, p in enumerate(paths) if p in paths[:i])
        raise AttnseqError(f"the model directory {twice} is given twice")
    converters = [Converter.load(path) for path in paths]  # each checked before resolve()
    names = [Path(path).resolve().name for path in paths]
    return [Explorer(name if names.count(name) == 1 else path, converter)
            for path, name, converter in zip(paths, names, converters, strict=True)]
