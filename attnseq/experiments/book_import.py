"""Loading the parameters that the book's own code trained into an attnseq model directory.

*Deep Learning from Scratch 2*'s ``BaseModel.save_params`` pickles its model's ``params``: a
list of NumPy arrays cast to float16, in this order (V vocabulary, D embedding, H hidden):

    encoder   embed W (V, D), LSTM Wx (D, 4H), Wh (H, 4H), b (4H,)
    decoder   embed W (V, D), LSTM Wx (X, 4H), Wh (H, 4H), b (4H,), affine W (Y, V), b (V,)

with X = D and Y = 2H for the attention model (its affine reads [c ; h]), X = H + D and
Y = 2H for the peeky one (its LSTM reads [h_enc ; embed], its affine [h_enc ; h]: the
encoder's h first, as attnseq's ``PeekyDecoder`` reads them), and X = D, Y = H for the
baseline. The pickle is read by ``safe_pickle.load_arrays``, which builds plain NumPy arrays
through checked constructors and nothing else (its doc says why a ``find_class`` is not enough).

The vocabulary is the book's ``dataset/sequence.py``'s: each line of the data file is split at
its first '_' into the question and the answer (which keeps its '_'), and every character,
padding spaces included, gets the next id when first seen, question then answer, line by line.
attnseq's ``Vocab`` puts its four special tokens first, so book id k is attnseq id k + 4; the
special rows of the embeddings are zero except START's decoder row, which is '_''s (the book
starts decoding from '_'), and the special output columns have weight 0 and bias ``NEVER``, so
they never win an argmax. The model is saved in the book's layout (``Seq2seqConfig.layout``):
space-padded questions, reversed (as ch08's train.py does), no masking, and exactly
len(answer) - 1 greedy steps, the answer's width without its '_' (the book's eval_seq2seq).
"""

from __future__ import annotations

import os
import pickle

import numpy

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.experiments.safe_pickle import RefusedGlobal, load_arrays
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks.files import read_bytes, read_lines
from attnseq.tasks.vocab import SPECIAL_TOKENS, Vocab

BOOK_MODELS = ("attention", "peeky", "baseline")  # the book's names; the default first
NEVER = -1e30  # the bias of an output column no book token owns: below any real logit
_PROTOCOLS = range(2, 6)  # what Python 3's pickle writes: a PROTO header of 2 to 5


def read_book_params(path) -> list:
    """The arrays of a pickle that ``save_params`` wrote, read with ``load_arrays``.

    Raises ``AttnseqError`` for a missing file, a file that is not a pickle, a truncated or
    corrupt one, a global other than NumPy's array reconstruction, and anything but a list of
    floating-point arrays. Shapes are checked by ``check_book_params``.
    """
    name = os.fspath(path)
    data = read_bytes(path, "parameter file")
    if len(data) < 2 or data[0] != pickle.PROTO[0] or data[1] not in _PROTOCOLS:
        raise AttnseqError(f"{name} is not a pickle (no protocol 2-5 header)")
    try:
        value = load_arrays(data)
    except RefusedGlobal as exc:
        raise AttnseqError(f"{name}: refusing to load {exc}: a parameter file holds only "
                           "NumPy arrays") from None
    except EOFError:
        raise AttnseqError(f"{name} is truncated (the pickle ends early)") from None
    except Exception as exc:  # noqa: BLE001 - whatever a malformed pickle makes the reader raise
        why = (str(exc).splitlines() or [type(exc).__name__])[0]
        raise AttnseqError(f"{name} is a corrupt pickle: {why}") from None
    if not isinstance(value, list):
        raise AttnseqError(f"{name} holds a {type(value).__name__}, not the list of arrays "
                           "that the book's save_params writes")
    for k, item in enumerate(value):
        if type(item) is not numpy.ndarray:
            raise AttnseqError(f"{name}: item {k} is a {type(item).__name__}, not a NumPy array")
        if not numpy.issubdtype(item.dtype, numpy.floating):
            raise AttnseqError(f"{name}: array {k} has dtype {item.dtype}, not floating point")
    return value


def book_shapes(model: str, V: int, D: int, H: int) -> list[tuple[str, tuple]]:
    """(name, shape) of each of the book's parameters of ``model``, in its params order."""
    lstm_in = {"peeky": H + D}.get(model, D)
    affine_in = {"baseline": H}.get(model, 2 * H)
    return [("encoder embed W", (V, D)), ("encoder LSTM Wx", (D, 4 * H)),
            ("encoder LSTM Wh", (H, 4 * H)), ("encoder LSTM b", (4 * H,)),
            ("decoder embed W", (V, D)), ("decoder LSTM Wx", (lstm_in, 4 * H)),
            ("decoder LSTM Wh", (H, 4 * H)), ("decoder LSTM b", (4 * H,)),
            ("decoder affine W", (affine_in, V)), ("decoder affine b", (V,))]


def check_book_params(arrays: list, model: str, V: int, name: str) -> tuple[int, int]:
    """Check count, shapes and values of the book's ``model``'s arrays for V tokens -> (D, H),
    read from the encoder's embedding (V, D) and Wh (H, 4H); ``name`` is the file's."""
    expected = book_shapes(model, V, 1, 1)
    if len(arrays) != len(expected):
        raise AttnseqError(f"{name} holds {len(arrays)} arrays; the book's {model} model has "
                           f"{len(expected)}")
    for k in (0, 2):
        if arrays[k].ndim != 2:
            raise AttnseqError(f"{name}: array {k} ({expected[k][0]}) has shape "
                               f"{arrays[k].shape}; expected a matrix")
    D, H = arrays[0].shape[1], arrays[2].shape[0]
    for k, (array, (what, shape)) in enumerate(zip(arrays, book_shapes(model, V, D, H))):
        if array.shape != shape:
            raise AttnseqError(f"{name}: array {k} ({what}) has shape {array.shape}; the book's "
                               f"{model} model with V={V}, D={D}, H={H} needs {shape}")
        if not numpy.isfinite(array).all():
            raise AttnseqError(f"{name}: array {k} ({what}) holds non-finite values")
    return D, H


def book_vocabulary(path) -> tuple[list[str], int, int]:
    """(the book's tokens in id order, question width, answer width with its '_') of a data
    file, as the book's ``load_data`` reads it. Every line must have a '_' and the widths of
    the first line (the book's arrays are fixed-width); trailing blank lines are ignored."""
    name = os.fspath(path)
    lines = read_lines(path)
    while lines and not lines[-1]:
        lines.pop()
    seen: dict[str, None] = {}  # first appearance order
    widths: tuple[int, int] | None = None  # line 1's
    for number, line in enumerate(lines, start=1):
        cut = line.find("_")
        if cut < 0:
            raise AttnseqError(f"{name}:{number}: expected 'question_answer' (no '_' found)")
        question, answer = line[:cut], line[cut:]
        if widths is None:
            widths = (len(question), len(answer))
        elif (len(question), len(answer)) != widths:
            raise AttnseqError(f"{name}:{number}: question and answer are {len(question)} and "
                               f"{len(answer)} characters wide; line 1's are {widths[0]} and "
                               f"{widths[1]} (the book's format is fixed-width)")
        seen.update(dict.fromkeys(question + answer))
    if widths is None:  # no line at all
        raise AttnseqError(f"{name}: empty data file (no pairs)")
    return list(seen), widths[0], widths[1]


def model_params(arrays: list, vocab: Vocab) -> list:
    """The book's arrays (checked) as the params of attnseq's model of the same name, for
    ``vocab`` (the book's tokens after the specials): book id k at k + 4 (see the module's
    doc)."""
    shift = len(SPECIAL_TOKENS)
    enc_W, enc_Wx, enc_Wh, enc_b, dec_W, dec_Wx, dec_Wh, dec_b, aff_W, aff_b = (
        a.astype(numpy.float32) for a in arrays)

    def embedding(W):  # (V, D) -> (4 + V, D); the special rows zero
        out = numpy.zeros((shift + len(W), W.shape[1]), dtype=W.dtype)
        out[shift:] = W
        return out

    dec_embed = embedding(dec_W)
    dec_embed[vocab.start_id] = dec_embed[vocab.token_to_id("_")]  # the book starts from '_'
    out_W = numpy.zeros((len(aff_W), shift + aff_W.shape[1]), dtype=aff_W.dtype)
    out_W[:, shift:] = aff_W
    out_b = numpy.full(shift + len(aff_b), NEVER, dtype=aff_b.dtype)
    out_b[shift:] = aff_b
    # attnseq's LSTMs hold their gates in the book's order (f, g, i, o): taken as they are
    return [embedding(enc_W), enc_Wx, enc_Wh, enc_b, dec_embed, dec_Wx, dec_Wh, dec_b, out_W,
            out_b]


def import_book(params_path, data_path, out, model: str = BOOK_MODELS[0]) -> Converter:
    """Read the book's ``model`` parameters from ``params_path`` and its vocabulary from
    ``data_path``; save them as an attnseq model directory ``out``; return its Converter.
    Nothing is written unless every check passes."""
    if model not in BOOK_MODELS:
        raise AttnseqError(f"unknown book model {model!r}; expected one of "
                           f"{', '.join(BOOK_MODELS)}")
    tokens, q_width, a_width = book_vocabulary(data_path)
    if a_width < 2:
        raise AttnseqError(f"{os.fspath(data_path)}: the answers are empty ('_' alone)")
    arrays = read_book_params(params_path)
    D, H = check_book_params(arrays, model, len(tokens), os.fspath(params_path))
    config = Seq2seqConfig(model=model, wordvec_size=D, hidden_size=H, reverse=True,
                         question_len=q_width, answer_len=a_width - 1, layout="book")
    conv = Converter.create(config, Vocab(tokens, level="char"))
    for p, value in zip(conv.model.params, model_params(arrays, conv.vocab), strict=True):
        p[...] = value
    conv.save(out, imported={"from": "the book's save_params", "params": os.fspath(params_path),
                             "data": os.fspath(data_path)})
    return conv
