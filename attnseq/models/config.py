"""What a model is: one frozen config per model family, saved beside the weights.

``Seq2seqConfig`` describes the LSTM family (baseline, peeky, attention, gnmt) and
``TransformerConfig`` the Transformer; each holds the input encoding a model was trained with
(``reverse``, ``question_len``, ``answer_len``), its architecture, its initialisation scheme
and its loss's label smoothing, and builds its own model (``build``). ``build_model`` builds
any of them. The NTM's config is ``attnseq.ntm.model.NTMConfig`` (not a seq2seq model).

A field that is a command-line option says so in its metadata: ``help`` (its text; "{described}"
stands for its registry's names and descriptions), and where needed ``metavar``, ``choices``
(the registry it takes a name of), ``flag`` (the option, when not ``--`` + the field's name),
``negate`` (a flag that sets the field False), ``cli_default`` (the option's default, when the
field's own is None: the model's own). ``attnseq.cli.options`` builds the options from these.

Saved, a config is tagged JSON, ``{"family": "seq2seq", ...fields}``; ``attnseq.models.
config_entry`` reads it back, and the flat form that attnseq wrote before the families.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import ClassVar

from attnseq.core.errors import AttnseqError, boolean, fraction, positive_int
from attnseq.core.registry import ONE_OF, Registry
from attnseq.layers import ACTIVATIONS, NORMS, POSITIONS, SCORES
from attnseq.layers.bidirectional import MERGES
from attnseq.models import MODELS
from attnseq.models.init import SCHEMES
from attnseq.models.transformer.options import (
    TRANSFORMER_DEFAULTS,
    TRANSFORMER_VARIANTS,
    check_transformer,
)
from attnseq.models.variants import (
    ENCODERS,
    GNMT_DEFAULTS,
    VARIANT_DEFAULTS,
    check_gnmt,
    check_variant,
)

# How a model lays its inputs and answers out in ids (Seq2seqConfig.layout).
LAYOUTS = Registry("layout", {"attnseq": "PAD-padded, masked; START ... END",
                              "book": "the book's: space-padded, unmasked, fixed width"},
                   default="attnseq", message=ONE_OF)


def option(default, help: str, **metadata):
    """A dataclass field that is also a command-line option (see the module's docstring)."""
    return field(default=default, metadata={"help": help, **metadata})


def _reverse():
    return option(True, "do not reverse the input (the book reverses it for every model)",
                  flag="--no-reverse", negate=True)


def _init():
    return option(SCHEMES.default, "weight initialisation (default: the recipe's): {described}",
                  choices=SCHEMES, cli_default=None)


def _num_layers(default):
    return option(default, "stacked LSTM layers in encoder and decoder (default: the model's "
                  f"own: {VARIANT_DEFAULTS['num_layers']}, gnmt {GNMT_DEFAULTS['num_layers']})",
                  flag="--layers", metavar="N", cli_default=None)


def _dropout():
    return option(VARIANT_DEFAULTS["dropout"], "dropout rate between stacked layers, in "
                  "[0, 1) (default: %(default)s)", metavar="P")


def _label_smoothing():
    return option(0.0, "smooth the loss's targets by E in [0, 1), any model (default: "
                  "%(default)s)", metavar="E")


# The models that take the variant options: their defaults, and the check of their rules.
# baseline and peeky take none: theirs must stay at the attention model's defaults.
_VARIANTS = MappingProxyType({"attention": (VARIANT_DEFAULTS, check_variant),
                              "gnmt": (GNMT_DEFAULTS, check_gnmt)})
_MODELS_OWN = ("encoder", "num_layers", "residual")  # None: the model's own default


@dataclass(frozen=True)
class Seq2seqConfig:
    """The LSTM family. The defaults are the book's attention model.

    ``question_len``/``answer_len`` are the longest question and answer (in tokens) the model
    was trained with: inputs are padded to ``question_len`` and, when ``reverse`` is set,
    reversed; decoding runs ``answer_len + 1`` steps (room for the end token).

    The fields from ``encoder`` to ``input_feeding`` are the attention model's variants
    (``attnseq.models.variants``, docs/variants.md). ``encoder``, ``num_layers`` and
    ``residual`` default to None, the model's own: the book's (uni, 1, False) for every model
    but GNMT, whose own are (bi, 3, True); the config holds the value it resolved to.

    ``layout`` is "attnseq" (PAD fills questions and is masked in attention, the decoder
    starts from START and runs ``answer_len + 1`` steps, stopping at END) or "book", the
    book's own, for a model that ``attnseq import-book`` loaded: questions are padded with
    spaces, an ordinary token that attention reads, to ``question_len``; nothing is masked;
    decoding runs exactly ``answer_len`` steps with no end token, and answers are compared
    padded with spaces to ``answer_len`` (``attnseq.experiments.converter``,
    ``attnseq.experiments.book_import``).
    """

    family: ClassVar[str] = "seq2seq"
    models: ClassVar[tuple[str, ...]] = ("baseline", "peeky", "attention", "gnmt")
    # the other family's options it fixes: none
    fixed: ClassVar[Mapping[str, object]] = MappingProxyType({})

    model: str = MODELS.default  # a name of attnseq.models.MODELS, of this family
    wordvec_size: int = option(16, "embedding width D (default: %(default)s)")
    hidden_size: int = option(256, "LSTM width H (default: %(default)s)")
    reverse: bool = _reverse()
    question_len: int = 29
    answer_len: int = 10
    init: str = _init()  # initialisation scheme, a name of models.init.SCHEMES
    encoder: str | None = option(
        None, "{described} (default: %(default)s; gnmt: always " + str(GNMT_DEFAULTS["encoder"])
        + ")", choices=ENCODERS, cli_default=ENCODERS.default)
    bi_merge: str = option(
        MERGES.default, "how --encoder bi combines its directions: {described} (default: "
        "%(default)s; every encoder state is H wide, so with concat each direction is H/2 "
        "wide)", choices=MERGES)
    num_layers: int | None = _num_layers(None)
    residual: bool | None = option(None, "skip connections around every layer from the "
                                   "second on (gnmt: always, from the third)")
    dropout: float = _dropout()
    output_dropout: float = option(
        VARIANT_DEFAULTS["output_dropout"], "dropout rate on the decoder's [context ; state] "
        "in front of its output affine map, in [0, 1) (default: %(default)s)", metavar="P")
    score: str = option(SCORES.default, "attention score function (default: %(default)s)",
                        choices=SCORES)
    input_feeding: bool = option(VARIANT_DEFAULTS["input_feeding"], "feed each step's "
                                 "context into the next step's LSTM input (Luong)")
    label_smoothing: float = _label_smoothing()
    layout: str = LAYOUTS.default  # "book": the book's fixed-width layout (LAYOUTS)

    def __post_init__(self):
        MODELS.check(self.model)
        LAYOUTS.check(self.layout)
        if self.model not in self.models:
            raise AttnseqError(f"a seq2seq config holds {', '.join(self.models)}, not "
                               f"{self.model!r}")
        _check_encoding(self, ("wordvec_size", "hidden_size"))
        defaults, check = _VARIANTS.get(self.model, (VARIANT_DEFAULTS, check_variant))
        for name in _MODELS_OWN:
            if getattr(self, name) is None:  # the model's own
                object.__setattr__(self, name, defaults[name])
        options = self.variant_options()
        check(self.hidden_size, **options)
        object.__setattr__(self, "num_layers", int(self.num_layers))
        for name in ("dropout", "output_dropout"):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.model not in _VARIANTS:
            for name, value in options.items():
                if value != VARIANT_DEFAULTS[name]:
                    raise AttnseqError(f"{name}={value!r} needs model 'attention', "
                                       f"not {self.model!r}")

    def variant_options(self) -> dict:
        """The variant options, as ``AttentionSeq2seq`` and ``GNMT`` take them."""
        return {name: getattr(self, name) for name in VARIANT_DEFAULTS}

    def to_dict(self) -> dict:
        """The tagged JSON form: {"family": "seq2seq", ...fields}."""
        return {"family": self.family, **asdict(self)}

    def build(self, vocab_size: int, **kwargs):
        """A fresh model of this architecture (``build_model``'s keywords)."""
        options = self.variant_options() if self.model in _VARIANTS else {}
        return MODELS[self.model](vocab_size, self.wordvec_size, self.hidden_size,
                                  init=self.init, label_smoothing=self.label_smoothing,
                                  **options, **kwargs)


@dataclass(frozen=True)
class TransformerConfig:
    """The Transformer (docs/transformer.md); the defaults are its small date-task model.

    The encoding fields mean what they mean in ``Seq2seqConfig``. Its width is ``d_model``
    throughout (it has no separate embedding and hidden widths).
    """

    family: ClassVar[str] = "transformer"
    models: ClassVar[tuple[str, ...]] = ("transformer",)
    model: ClassVar[str] = "transformer"
    layout: ClassVar[str] = LAYOUTS.default  # attnseq's own (Seq2seqConfig.layout)
    # The attention model's variant options at the values that describe a Transformer: a
    # config for it refuses any other (one encoder kind, residual around every sub-layer).
    fixed: ClassVar[Mapping[str, object]] = MappingProxyType(
        {k: v for k, v in TRANSFORMER_VARIANTS.items() if k not in TRANSFORMER_DEFAULTS})

    reverse: bool = _reverse()
    question_len: int = 29
    answer_len: int = 10
    init: str = _init()
    num_layers: int = _num_layers(TRANSFORMER_DEFAULTS["num_layers"])
    dropout: float = _dropout()
    d_model: int = option(TRANSFORMER_DEFAULTS["d_model"], "width of every vector (default: "
                          "%(default)s)", metavar="D")
    heads: int = option(TRANSFORMER_DEFAULTS["heads"], "attention heads, dividing --d-model "
                        "(default: %(default)s)", metavar="H")
    d_ff: int = option(TRANSFORMER_DEFAULTS["d_ff"], "inner width of the feed-forward "
                       "sub-layers (default: %(default)s)", metavar="F")
    norm: str = option(NORMS.default, "{described} (default: %(default)s)", choices=NORMS)
    positions: str = option(POSITIONS.default, "{described} (default: %(default)s)",
                            choices=POSITIONS)
    activation: str = option(ACTIVATIONS.default, "of the feed-forward sub-layers (default: "
                             "%(default)s)", choices=ACTIVATIONS)
    tie_embeddings: bool = option(TRANSFORMER_DEFAULTS["tie_embeddings"], "the output "
                                  "projection is the target embedding, transposed")
    label_smoothing: float = _label_smoothing()

    def __post_init__(self):
        _check_encoding(self, ())
        check_transformer(**self.transformer_options())
        for name in ("num_layers", "d_model", "heads", "d_ff"):
            object.__setattr__(self, name, int(getattr(self, name)))
        object.__setattr__(self, "dropout", float(self.dropout))

    def transformer_options(self) -> dict:
        """The Transformer's options, as ``Transformer`` takes them."""
        return {name: getattr(self, name) for name in TRANSFORMER_DEFAULTS}

    def to_dict(self) -> dict:
        """The tagged JSON form: {"family": "transformer", ...fields}."""
        return {"family": self.family, **asdict(self)}

    def build(self, vocab_size: int, **kwargs):
        """A fresh Transformer; its positions cover the longest input, and every decoder
        input of decoding's answer_len + 1 steps."""
        return MODELS["transformer"](vocab_size, init=self.init,
                                     label_smoothing=self.label_smoothing,
                                     max_len=max(self.question_len, self.answer_len + 2),
                                     **self.transformer_options(), **kwargs)


# The families, by the tag their saved configs carry.
FAMILIES = Registry("model family", {"seq2seq": Seq2seqConfig,
                                     "transformer": TransformerConfig}, default="seq2seq")
FamilyConfig = Seq2seqConfig | TransformerConfig  # for annotations: a config of any family


def _check_encoding(config, sizes: tuple[str, ...]) -> None:
    """Check (and store as plain ints and bools) what every family holds: the sizes, the
    encoding, the initialisation scheme and the label smoothing."""
    for name in (*sizes, "question_len", "answer_len"):
        # plain ints: a NumPy integer would not survive the JSON config
        object.__setattr__(config, name, positive_int(name, getattr(config, name)))
    boolean("reverse", config.reverse)
    SCHEMES.check(config.init)
    object.__setattr__(config, "label_smoothing",
                       fraction("label_smoothing", config.label_smoothing))


def build_model(config: FamilyConfig, vocab_size: int, *, pad_id=None, seed=None, dtype=None,
                impl: str = "fast"):
    """A fresh model of ``config``'s architecture for a vocabulary of ``vocab_size`` tokens,
    built from the ``impl`` layer set ("book" or "fast", ``attnseq.models.impl``)."""
    return config.build(vocab_size, pad_id=pad_id, seed=seed, dtype=dtype, impl=impl)
