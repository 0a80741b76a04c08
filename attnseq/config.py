"""What a model is: the architecture and encoding settings saved beside its weights.

``ModelConfig`` holds everything needed to rebuild a model and to encode its inputs the way it
was trained; ``build_model`` turns it into a model. The training hyper-parameters live in
``attnseq.train.TrainConfig``; both are frozen dataclasses stored as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from attnseq.errors import AttnseqError
from attnseq.models import MODELS
from attnseq.models.init import Initializer


def _check_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise AttnseqError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and input encoding. The defaults are the book's attention model.

    ``question_len``/``answer_len`` are the longest question and answer (in tokens) the model
    was trained with: inputs are padded to ``question_len`` and, when ``reverse`` is set,
    reversed; decoding runs ``answer_len + 1`` steps (room for the end token).
    """

    model: str = "attention"
    wordvec_size: int = 16
    hidden_size: int = 256
    reverse: bool = True
    question_len: int = 29
    answer_len: int = 10
    init: str = "default"  # initialisation scheme: "default" or the book's "book"

    def __post_init__(self):
        if self.model not in MODELS:
            raise AttnseqError(f"unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        for name in ("wordvec_size", "hidden_size", "question_len", "answer_len"):
            _check_positive(name, getattr(self, name))
        if self.init not in Initializer.SCHEMES:
            raise AttnseqError(f"unknown init {self.init!r}; choose from "
                               f"{', '.join(Initializer.SCHEMES)}")
        if not isinstance(self.reverse, bool):
            raise AttnseqError(f"reverse must be true or false, got {self.reverse!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d) -> ModelConfig:
        """Rebuild from ``to_dict`` output; unknown or missing keys are an ``AttnseqError``."""
        if not isinstance(d, dict):
            raise AttnseqError("model config must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise AttnseqError(f"unknown model config keys: {', '.join(unknown)}")
        missing = sorted(names - set(d))
        if missing:
            raise AttnseqError(f"missing model config keys: {', '.join(missing)}")
        try:
            return cls(**d)
        except TypeError as exc:
            raise AttnseqError(f"bad model config: {exc}") from None


def build_model(config: ModelConfig, vocab_size: int, *, pad_id=None, seed=None, dtype=None):
    """A fresh model of ``config``'s architecture for a vocabulary of ``vocab_size`` tokens."""
    cls = MODELS[config.model]
    return cls(vocab_size, config.wordvec_size, config.hidden_size, dtype=dtype, seed=seed,
               pad_id=pad_id, init=config.init)
