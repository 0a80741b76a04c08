"""The largest sizes attnseq accepts, stated once, each with the reason for its value.

A size that a user gives (a command-line option, a field of a model's ``config.json``, the
header of an array in a model directory) decides how much memory a command allocates, and a
careless or hostile value (``--hidden-size 1000000000``) would otherwise end in a MemoryError
after minutes of swapping, or in a run that never ends. Every such size is checked against one
of the limits below before anything is allocated; a value above it is an ``AttnseqError`` of
one line that names the setting, the limit and its reason:

    hidden_size must be at most 8192, got 1000000000 (an LSTM's 4H x H weights ...)

The limits lie far above every model in the book and in docs/ (H = 256, D = 16, 50 000 dates,
beam 5) and well below what a machine with a few GiB of memory cannot hold. Their names are
stable: the command line, ``attnseq.models.config_entry`` and the model-directory checks import
them from here (``LIMITS`` lists them all, by name, for documentation and tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from attnseq.core.errors import AttnseqError, integer_at_least


@dataclass(frozen=True)
class Limit:
    """A maximum and why it is that value; ``check`` applies it."""

    maximum: int
    reason: str

    def check(self, name: str, value, minimum: int = 1) -> int:
        """``value`` as an int when it is an integer from ``minimum`` to the maximum, else the
        one-line ``AttnseqError`` "NAME must be at most MAX, got VALUE (REASON)"."""
        value = integer_at_least(name, value, minimum)
        if value > self.maximum:
            raise AttnseqError(f"{name} must be at most {self.maximum}, got {value} "
                               f"({self.reason})")
        return value


WIDTH = Limit(8192, "at the limit one LSTM weight matrix, 4H x H or D x 4H, takes 1 GiB of "
                    "float32, 4 GiB with its gradient and Adam's moments")
"""hidden_size, wordvec_size, d_model, d_ff: every width of a layer."""

LAYERS = Limit(64, "each stacked layer adds its own weights and states; the GNMT paper's "
                   "have 8")
"""num_layers of an LSTM stack or a Transformer."""

SEQUENCE_LENGTH = Limit(2048, "the LSTM loops over every step and attention scores every "
                              "output step against every input step")
"""question_len, answer_len, a decoding's --max-length: lengths in tokens."""

SAMPLES = Limit(5_000_000, "generated pairs stay in memory as Python strings, about 210 "
                           "bytes each: 1 GB at the limit")
"""--samples and a saved data source's samples: generated (question, answer) pairs."""

BATCH_SIZE = Limit(65_536, "a batch's activations are kept for backward: batch x steps x H")
"""--batch-size of every training."""

BEAM = Limit(256, "every beam is one more row in every decoding step's state")
"""--beam K."""

BEAM_STEPS = Limit(65_536, "beam search keeps K backpointers and K states' rows per step")
"""--beam K times --max-length: the hypotheses' bookkeeping grows with their product."""

MEMORY_ROWS = Limit(4096, "the NTM keeps its N x M memory of every step for backward")
"""--memory-rows N of the Neural Turing Machine."""

MEMORY_WIDTH = Limit(1024, "the NTM keeps its N x M memory of every step for backward")
"""--memory-width M of the Neural Turing Machine."""

NTM_LENGTH = Limit(1000, "a copy sequence of length L runs 2L + 2 steps, each keeping the "
                         "memory for backward")
"""--min-length, --max-length, --length of the NTM's copy task."""

WEIGHT_BYTES = Limit(1 << 31, "above any model of the chapter by far (the book's date model "
                              "holds about 1 MB), below what a laptop can allocate twice (the "
                              "arrays, then the model's copy)")
"""The bytes of all the arrays of a model directory's weights.npz, read from its headers."""

# Every limit by name: docs/reliability.md's table and the tests read it.
LIMITS = MappingProxyType({
    "WIDTH": WIDTH, "LAYERS": LAYERS, "SEQUENCE_LENGTH": SEQUENCE_LENGTH, "SAMPLES": SAMPLES,
    "BATCH_SIZE": BATCH_SIZE, "BEAM": BEAM, "BEAM_STEPS": BEAM_STEPS,
    "MEMORY_ROWS": MEMORY_ROWS, "MEMORY_WIDTH": MEMORY_WIDTH, "NTM_LENGTH": NTM_LENGTH,
    "WEIGHT_BYTES": WEIGHT_BYTES})

# The limit of each size field of a model config (``attnseq.models.config``).
CONFIG_LIMITS = MappingProxyType({
    "wordvec_size": WIDTH, "hidden_size": WIDTH, "d_model": WIDTH, "d_ff": WIDTH,
    "heads": WIDTH, "num_layers": LAYERS, "question_len": SEQUENCE_LENGTH,
    "answer_len": SEQUENCE_LENGTH})
