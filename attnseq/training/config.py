"""What a model is: the architecture and encoding settings saved beside its weights.

``ModelConfig`` holds everything needed to rebuild a model and to encode its inputs the way it
was trained; ``build_model`` turns it into a model. The training hyper-parameters live in
``attnseq.training.trainer.TrainConfig``; both are frozen dataclasses stored as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from attnseq.core.errors import AttnseqError, boolean, fraction, positive_int
from attnseq.models import MODELS
from attnseq.models.init import SCHEMES
from attnseq.models.transformer.options import (
    TRANSFORMER_DEFAULTS,
    TRANSFORMER_VARIANTS,
    check_transformer,
    check_transformer_variant,
)
from attnseq.models.variants import GNMT_DEFAULTS, VARIANT_DEFAULTS, check_gnmt, check_variant

# The models that take the variant options: their defaults, and the check of their rules.
# The other models take none: theirs must stay at the attention model's defaults.
_OPTIONS = {"attention": (VARIANT_DEFAULTS, check_variant), "gnmt": (GNMT_DEFAULTS, check_gnmt),
            "transformer": (TRANSFORMER_VARIANTS, check_transformer_variant)}
_MODELS_OWN = ("encoder", "num_layers", "residual")  # None: the model's own default
# The Transformer's own options (the others models ignore them) and label smoothing (every
# model's loss): fields added after models were saved, so a config may lack them.
_TRANSFORMER_FIELDS = tuple(k for k in TRANSFORMER_DEFAULTS if k not in VARIANT_DEFAULTS)
_LATER_FIELDS = (*VARIANT_DEFAULTS, *_TRANSFORMER_FIELDS, "label_smoothing")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and input encoding. The defaults are the book's attention model.

    ``question_len``/``answer_len`` are the longest question and answer (in tokens) the model
    was trained with: inputs are padded to ``question_len`` and, when ``reverse`` is set,
    reversed; decoding runs ``answer_len + 1`` steps (room for the end token).

    The fields from ``encoder`` on are the attention model's variants (see
    ``attnseq.models.variants`` and docs/variants.md). ``encoder``, ``num_layers`` and
    ``residual`` default to None, the model's own: the book's (uni, 1, False) for every model
    but GNMT, whose own are (bi, 3, True); the config holds the value it resolved to. A saved
    config without these fields (written before they existed) loads with the defaults.
    """

    model: str = MODELS.default  # a name of attnseq.models.MODELS
    wordvec_size: int = 16
    hidden_size: int = 256
    reverse: bool = True
    question_len: int = 29
    answer_len: int = 10
    init: str = SCHEMES.default  # initialisation scheme, a name of models.init.SCHEMES
    encoder: str | None = None  # "bi": bidirectional bottom encoder layer
    bi_merge: str = VARIANT_DEFAULTS["bi_merge"]  # how the two directions combine (MERGES)
    num_layers: int | None = None  # stacked LSTMs in encoder and decoder
    residual: bool | None = None  # skip connections (attention: from the second layer on)
    dropout: float = VARIANT_DEFAULTS["dropout"]  # between stacked layers, in [0, 1)
    output_dropout: float = VARIANT_DEFAULTS["output_dropout"]  # before the output affine
    score: str = VARIANT_DEFAULTS["score"]  # attention score, a name of layers.scores.SCORES
    input_feeding: bool = VARIANT_DEFAULTS["input_feeding"]  # context into the next step
    d_model: int = TRANSFORMER_DEFAULTS["d_model"]  # the Transformer's width D
    heads: int = TRANSFORMER_DEFAULTS["heads"]  # its attention heads, dividing d_model
    d_ff: int = TRANSFORMER_DEFAULTS["d_ff"]  # its feed-forward inner width
    norm: str = TRANSFORMER_DEFAULTS["norm"]  # "pre" or "post" LN (layers.sublayer.NORMS)
    positions: str = TRANSFORMER_DEFAULTS["positions"]  # layers.positions.POSITIONS
    activation: str = TRANSFORMER_DEFAULTS["activation"]  # layers.feedforward.ACTIVATIONS
    tie_embeddings: bool = TRANSFORMER_DEFAULTS["tie_embeddings"]  # W_out = E_tgtᵀ
    label_smoothing: float = 0.0  # ε of the loss's targets, any model; 0: the plain loss

    def __post_init__(self):
        MODELS.check(self.model)
        for name in ("wordvec_size", "hidden_size", "question_len", "answer_len"):
            # stored as plain ints (a NumPy integer would not survive the JSON config)
            object.__setattr__(self, name, positive_int(name, getattr(self, name)))
        SCHEMES.check(self.init)
        boolean("reverse", self.reverse)
        defaults, check = _OPTIONS.get(self.model, (VARIANT_DEFAULTS, check_variant))
        for name in _MODELS_OWN:
            if getattr(self, name) is None:  # the model's own
                object.__setattr__(self, name, defaults[name])
        options = self.variant_options()
        check(self.hidden_size, **options)
        object.__setattr__(self, "num_layers", int(self.num_layers))
        object.__setattr__(self, "dropout", float(self.dropout))
        object.__setattr__(self, "output_dropout", float(self.output_dropout))
        check_transformer(**self.transformer_options())
        for name in ("d_model", "heads", "d_ff"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "label_smoothing",
                           fraction("label_smoothing", self.label_smoothing))
        if self.model not in _OPTIONS:
            for name, value in options.items():
                if value != VARIANT_DEFAULTS[name]:
                    raise AttnseqError(f"{name}={value!r} needs model 'attention', "
                                       f"not {self.model!r}")

    def variant_options(self) -> dict:
        """The variant options, as ``AttentionSeq2seq`` and ``GNMT`` take them."""
        return {name: getattr(self, name) for name in VARIANT_DEFAULTS}

    def transformer_options(self) -> dict:
        """The Transformer's options, as ``Transformer`` takes them."""
        return {name: getattr(self, name) for name in TRANSFORMER_DEFAULTS}

    def for_model(self, name: str) -> ModelConfig:
        """This config for model ``name``, as ``compare`` trains several models alike: the
        fields a model has its own default for keep their value unless it is this model's
        default, which becomes the new model's (attention's one layer is GNMT's three)."""
        own = _OPTIONS.get(self.model, (VARIANT_DEFAULTS,))[0]
        return replace(self, model=name, **{k: None for k in _MODELS_OWN
                                            if getattr(self, k) == own[k]})

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
        missing = sorted(names - set(d) - set(_LATER_FIELDS))
        if missing:
            raise AttnseqError(f"missing model config keys: {', '.join(missing)}")
        try:
            return cls(**d)
        except TypeError as exc:
            raise AttnseqError(f"bad model config: {exc}") from None


def build_model(config: ModelConfig, vocab_size: int, *, pad_id=None, seed=None, dtype=None):
    """A fresh model of ``config``'s architecture for a vocabulary of ``vocab_size`` tokens."""
    cls = MODELS[config.model]
    common = {"dtype": dtype, "seed": seed, "pad_id": pad_id, "init": config.init,
              "label_smoothing": config.label_smoothing}
    if config.model == "transformer":  # its widths are its own options, d_model and d_ff
        return cls(vocab_size, **common, **config.transformer_options(),
                   # positions for the longest input, and for every decoder input of
                   # decoding's answer_len + 1 steps
                   max_len=max(config.question_len, config.answer_len + 2))
    options = config.variant_options() if config.model in _OPTIONS else {}
    return cls(vocab_size, config.wordvec_size, config.hidden_size, **common, **options)
