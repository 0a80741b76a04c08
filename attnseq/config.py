"""What a model is: the architecture and encoding settings saved beside its weights.

``ModelConfig`` holds everything needed to rebuild a model and to encode its inputs the way it
was trained; ``build_model`` turns it into a model. The training hyper-parameters live in
``attnseq.train.TrainConfig``; both are frozen dataclasses stored as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from attnseq.errors import AttnseqError, boolean, positive_int
from attnseq.models import MODELS
from attnseq.models.init import SCHEMES
from attnseq.models.variants import VARIANT_DEFAULTS, check_variant

_V = VARIANT_DEFAULTS  # the book's model, from the registries' defaults


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and input encoding. The defaults are the book's attention model.

    ``question_len``/``answer_len`` are the longest question and answer (in tokens) the model
    was trained with: inputs are padded to ``question_len`` and, when ``reverse`` is set,
    reversed; decoding runs ``answer_len + 1`` steps (room for the end token).

    The fields from ``encoder`` on are the attention model's variants (see
    ``attnseq.models.variants`` and docs/variants.md); their defaults are the book's model,
    and a saved config without them (written before they existed) loads with the defaults.
    """

    model: str = MODELS.default  # a name of attnseq.models.MODELS
    wordvec_size: int = 16
    hidden_size: int = 256
    reverse: bool = True
    question_len: int = 29
    answer_len: int = 10
    init: str = SCHEMES.default  # initialisation scheme, a name of models.init.SCHEMES
    encoder: str = _V["encoder"]  # "bi": bidirectional bottom encoder layer
    bi_merge: str = _V["bi_merge"]  # how the two directions combine (layers' MERGES)
    num_layers: int = _V["num_layers"]  # stacked LSTMs in encoder and decoder
    residual: bool = _V["residual"]  # skip connections around every layer from the second on
    dropout: float = _V["dropout"]  # inverted dropout between stacked layers, in [0, 1)
    score: str = _V["score"]  # attention score, a name of layers.scores.SCORES
    input_feeding: bool = _V["input_feeding"]  # feed each step's context into the next step

    def __post_init__(self):
        MODELS.check(self.model)
        for name in ("wordvec_size", "hidden_size", "question_len", "answer_len"):
            # stored as plain ints (a NumPy integer would not survive the JSON config)
            object.__setattr__(self, name, positive_int(name, getattr(self, name)))
        SCHEMES.check(self.init)
        boolean("reverse", self.reverse)
        options = self.variant_options()
        check_variant(self.hidden_size, **options)
        object.__setattr__(self, "num_layers", int(self.num_layers))
        object.__setattr__(self, "dropout", float(self.dropout))
        if self.model != "attention":
            for name, value in options.items():
                if value != VARIANT_DEFAULTS[name]:
                    raise AttnseqError(f"{name}={value!r} needs model 'attention', "
                                       f"not {self.model!r}")

    def variant_options(self) -> dict:
        """The attention model's variant options, as ``AttentionSeq2seq`` takes them."""
        return {name: getattr(self, name) for name in VARIANT_DEFAULTS}

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d) -> ModelConfig:
        """Rebuild from ``to_dict`` output; unknown or missing keys are an ``AttnseqError``,
        except the variant options, which default to the book's model when absent.
        """
        if not isinstance(d, dict):
            raise AttnseqError("model config must be a JSON object")
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise AttnseqError(f"unknown model config keys: {', '.join(unknown)}")
        missing = sorted(names - set(d) - set(VARIANT_DEFAULTS))
        if missing:
            raise AttnseqError(f"missing model config keys: {', '.join(missing)}")
        try:
            return cls(**d)
        except TypeError as exc:
            raise AttnseqError(f"bad model config: {exc}") from None


def build_model(config: ModelConfig, vocab_size: int, *, pad_id=None, seed=None, dtype=None):
    """A fresh model of ``config``'s architecture for a vocabulary of ``vocab_size`` tokens."""
    cls = MODELS[config.model]
    options = config.variant_options() if config.model == "attention" else {}
    return cls(vocab_size, config.wordvec_size, config.hidden_size, dtype=dtype, seed=seed,
               pad_id=pad_id, init=config.init, **options)
