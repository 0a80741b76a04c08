"""``attnseq import-book``: the book's saved parameters run in attnseq exactly as in the book.

The reference below is the book's models written from their equations in plain NumPy (float64):
embedding, LSTM with the gates in the book's order f, g, i, o, the book's dot attention over
every encoder step, and greedy decoding from '_' for len(answer) - 1 steps. Random float16
weights in the book's layout are pickled as ``save_params`` does, imported, and every line's
conversion is compared with the reference's.
"""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from attnseq.cli import main
from attnseq.core.errors import AttnseqError
from attnseq.experiments.book_import import book_vocabulary, read_book_params
from attnseq.experiments.converter import Converter
from attnseq.models.config import Seq2seqConfig
from attnseq.models.config_entry import config_from_dict
from attnseq.tasks.dates import generate_dates
from attnseq.tasks.files import save_pairs_book

MODELS = ("attention", "peeky", "baseline")
D, H = 6, 10


# -- the book's models, from the equations -------------------------------------------------
def read_book_data(path):
    """(questions, answers with '_', char_to_id) as the book's load_data reads the file."""
    questions, answers, char_to_id = [], [], {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cut = line.index("_")
        questions.append(line[:cut])
        answers.append(line[cut:])
        for ch in line[:cut] + line[cut:]:
            char_to_id.setdefault(ch, len(char_to_id))
    return questions, answers, char_to_id


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(Wx, Wh, b, x, h, c):
    A = x @ Wx + h @ Wh + b
    n = h.shape[1]
    f, g, i, o = sigmoid(A[:, :n]), np.tanh(A[:, n:2 * n]), sigmoid(A[:, 2 * n:3 * n]), \
        sigmoid(A[:, 3 * n:])
    c = f * c + g * i
    return o * np.tanh(c), c


def book_generate(kind, params, xs, start_id, length):
    """Greedy decoding of the book's ``kind`` model -> (ids (N, length), smallest gap between
    the best and the second-best score of any step)."""
    enc_W, enc_Wx, enc_Wh, enc_b, dec_W, dec_Wx, dec_Wh, dec_b, aff_W, aff_b = params
    N, T = xs.shape
    h = c = np.zeros((N, enc_Wh.shape[0]))
    hs = []
    for t in range(T):
        h, c = lstm_step(enc_Wx, enc_Wh, enc_b, enc_W[xs[:, t]], h, c)
        hs.append(h)
    hs = np.stack(hs, axis=1)  # (N, T, H)
    h_enc, c = hs[:, -1], np.zeros_like(h)
    h, token = h_enc, np.full(N, start_id)
    out, gap = [], np.inf
    for _ in range(length):
        x = dec_W[token]
        if kind == "peeky":
            x = np.concatenate([h_enc, x], axis=1)
        h, c = lstm_step(dec_Wx, dec_Wh, dec_b, x, h, c)
        if kind == "attention":
            s = (hs * h[:, None, :]).sum(axis=2)  # (N, T) dot scores
            a = np.exp(s - s.max(axis=1, keepdims=True))
            a /= a.sum(axis=1, keepdims=True)
            features = np.concatenate([(a[:, :, None] * hs).sum(axis=1), h], axis=1)
        elif kind == "peeky":
            features = np.concatenate([h_enc, h], axis=1)
        else:
            features = h
        score = features @ aff_W + aff_b
        top2 = np.sort(score, axis=1)[:, -2:]
        gap = min(gap, float((top2[:, 1] - top2[:, 0]).min()))
        token = score.argmax(axis=1)
        out.append(token)
    return np.stack(out, axis=1), gap


def book_params(kind, V, seed):
    """Random float16 weights in the book's layout and order."""
    rng = np.random.default_rng(seed)
    lstm_in = H + D if kind == "peeky" else D
    affine_in = H if kind == "baseline" else 2 * H
    shapes = [(V, D), (D, 4 * H), (H, 4 * H), (4 * H,), (V, D), (lstm_in, 4 * H), (H, 4 * H),
              (4 * H,), (affine_in, V), (V,)]
    return [(rng.standard_normal(s) * 1.5).astype(np.float16) for s in shapes]


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture
def data_file(tmp_path):
    """Dates in the book's format; every third answer the year alone, so that answers are
    padded with spaces, which the models read and write as a token."""
    path = tmp_path / "dates.txt"
    pairs = [(q, a[:4] if n % 3 == 0 else a) for n, (q, a, _) in
             enumerate(generate_dates(40, seed=8))]
    save_pairs_book(pairs, path)
    return path


def write_pickle(path, value, protocol=None):
    with open(path, "wb") as fh:
        pickle.dump(value, fh, protocol=protocol)
    return path


def run_cli(capsys, *argv):
    rc = main(list(map(str, argv)))
    out, err = capsys.readouterr()
    return rc, out, err


# -- the imported model converts as the book's does ----------------------------------------
@pytest.mark.parametrize("kind", MODELS)
def test_imported_model_converts_and_scores_every_line_as_the_book(kind, tmp_path, data_file,
                                                                   capsys):
    questions, answers, char_to_id = read_book_data(data_file)
    id_to_char = {i: ch for ch, i in char_to_id.items()}
    params = book_params(kind, len(char_to_id), seed=MODELS.index(kind))
    params[9][char_to_id[" "]] += 3  # the space's output bias: some outputs end in padding
    xs = np.array([[char_to_id[ch] for ch in q] for q in questions])[:, ::-1]  # reversed
    ids, gap = book_generate(kind, [p.astype(np.float64) for p in params], xs,
                             char_to_id["_"], len(answers[0]) - 1)
    guesses = ["".join(id_to_char[int(i)] for i in row) for row in ids]
    assert gap > 1e-4  # no near-tie that float32 rounding (~1e-5 here) could decide
    assert len(set(guesses)) > 5  # the weights make the outputs depend on the input
    assert any(g.endswith(" ") and g.strip() for g in guesses)

    pkl = write_pickle(tmp_path / "params.pkl", params)
    out_dir = tmp_path / "model"
    rc, out, err = run_cli(capsys, "import-book", pkl, "--data", data_file, "--out", out_dir,
                           "--model", kind)
    assert (rc, err) == (0, "")
    assert out == (f"saved the book's {kind} model (V={len(char_to_id)} characters, D={D}, "
                   f"H={H}) to {out_dir}\n")

    rc, out, err = run_cli(capsys, "convert", out_dir, *(q.rstrip(" ") for q in questions))
    assert (rc, err) == (0, "")
    assert out.split("\n")[:-1] == [g.rstrip(" ") for g in guesses]

    # A data file whose answers are the book's outputs on every other line: the book's
    # eval_seq2seq counts those (and any line its model gets right by chance) as correct.
    lines = [q + "_" + (g if n % 2 == 0 and g.strip() else a[1:])
             for n, (q, a, g) in enumerate(zip(questions, answers, guesses))]
    (tmp_path / "eval.txt").write_text("".join(line + "\n" for line in lines))
    right = sum(line.partition("_")[2] == g for line, g in zip(lines, guesses))
    assert 0 < right < len(lines)
    rc, out, err = run_cli(capsys, "eval", out_dir, "--data", tmp_path / "eval.txt")
    assert (rc, err) == (0, "")
    assert re.match(rf"exact match on \S+: {right}/{len(lines)} = ", out)


def test_the_command_has_help_and_needs_its_options(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["import-book", "--help"])
    assert exit_.value.code == 0 and capsys.readouterr().out.startswith(
        "usage: attnseq import-book [-h] --data DATA.txt --out DIR")
    with pytest.raises(SystemExit) as exit_:
        main(["import-book", "p.pkl", "--out", "m"])
    assert (exit_.value.code, capsys.readouterr().err) == (
        2, "attnseq import-book: error: the following arguments are required: --data "
           "(see attnseq import-book --help)\n")


def test_book_vocabulary_numbers_characters_by_first_appearance(tmp_path):
    path = tmp_path / "add.txt"
    path.write_text("12+3 _15 \n7+40 _47 \n")
    assert book_vocabulary(path) == (["1", "2", "+", "3", " ", "_", "5", "7", "4", "0"], 5, 4)


def test_the_saved_config_round_trips_and_older_configs_read_as_attnseq_layout(tmp_path,
                                                                               data_file,
                                                                               capsys):
    questions, answers, char_to_id = read_book_data(data_file)
    pkl = write_pickle(tmp_path / "p.pkl", book_params("baseline", len(char_to_id), seed=0))
    assert run_cli(capsys, "import-book", pkl, "--data", data_file, "--out", tmp_path / "m",
                   "--model", "baseline")[0] == 0
    conv = Converter.load(tmp_path / "m")
    config = conv.config
    assert conv.model.pad_id is None  # nothing masked: the space is a token attention reads
    assert (config.layout, config.reverse, config.question_len, config.answer_len) == (
        "book", True, len(questions[0]), len(answers[0]) - 1)
    assert config_from_dict(config.to_dict()) == config
    flat = {k: v for k, v in Seq2seqConfig().to_dict().items() if k not in ("family", "layout")}
    assert config_from_dict(flat).layout == "attnseq"  # written before the field existed
    with pytest.raises(AttnseqError, match="^layout must be one of attnseq, book, got 'books'$"):
        Seq2seqConfig(layout="books")


def assert_same_arrays(loaded, arrays):
    assert len(loaded) == len(arrays)
    for a, b in zip(loaded, arrays):
        assert type(a) is np.ndarray and a.flags.writeable
        assert (a.dtype, a.shape) == (b.dtype, b.shape) and np.array_equal(a, b)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_every_pickle_protocol_python_3_writes_reads_back(tmp_path, protocol):
    arrays = book_params("attention", 7, seed=protocol)
    fortran = np.asfortranarray(np.arange(12.0).reshape(3, 4))  # stored column by column
    arrays += [fortran, arrays[2][:, ::3], np.zeros((0, 3), np.float32), np.array(2.5, ">f4"),
               arrays[1]]
    loaded = read_book_params(write_pickle(tmp_path / "p.pkl", arrays, protocol))
    assert_same_arrays(loaded, arrays)
    assert loaded[-1] is loaded[1]  # the pickle's second reference to one array


@pytest.mark.parametrize("protocol", [2, 3])
def test_numpy_1_names_read_too(tmp_path, protocol):
    """NumPy 1.x writes numpy.core where 2.x writes numpy._core (no frames below protocol 4,
    so the names can be swapped in place)."""
    arrays = book_params("baseline", 5, seed=1)
    raw = pickle.dumps(arrays, protocol)
    assert b"numpy._core" in raw
    (tmp_path / "p.pkl").write_bytes(raw.replace(b"numpy._core", b"numpy.core"))
    assert_same_arrays(read_book_params(tmp_path / "p.pkl"), arrays)


# -- refusals -----------------------------------------------------------------------------
class Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def bad_files(tmp_path, V):
    """(name, writer of PARAMS.pkl, the exact error after 'PATH')."""
    good = book_params("attention", V, seed=3)
    wrong = list(good)
    wrong[5] = good[5][:-1]
    nonfinite = list(good)
    nonfinite[9] = good[9].copy()
    nonfinite[9][2] = np.inf
    return [
        ("dict", {"params": good},
         " holds a dict, not the list of arrays that the book's save_params writes"),
        ("shape", wrong, ": array 5 (decoder LSTM Wx) has shape (5, 40); the book's attention "
                         f"model with V={V}, D={D}, H={H} needs (6, 40)"),
        ("few", good[:9], " holds 9 arrays; the book's attention model has 10"),
        ("item", [*good[:9], "b"], ": item 9 is a str, not a NumPy array"),
        ("int", [*good[:9], good[9].astype(np.int32)],
         ": array 9 has dtype int32, not floating point"),
        ("inf", nonfinite, ": array 9 (decoder affine b) holds non-finite values"),
    ]


def test_each_malformed_parameter_file_is_refused_with_its_message(tmp_path, data_file,
                                                                   capsys):
    V = len(read_book_data(data_file)[2])
    out_dir = tmp_path / "model"
    for name, value, message in bad_files(tmp_path, V):
        pkl = write_pickle(tmp_path / f"{name}.pkl", value)
        rc, out, err = run_cli(capsys, "import-book", pkl, "--data", data_file, "--out", out_dir)
        assert (rc, out, err) == (2, "", f"attnseq import-book: error: {pkl}{message}\n"), name
    good = write_pickle(tmp_path / "good.pkl", book_params("attention", V, seed=3))
    raw = good.read_bytes()
    (tmp_path / "cut.pkl").write_bytes(raw[:len(raw) // 2])
    (tmp_path / "text.pkl").write_text("not a pickle\n")
    for name, message in (("cut", " is truncated (the pickle ends early)"),
                          ("text", " is not a pickle (no protocol 2-5 header)")):
        pkl = tmp_path / f"{name}.pkl"
        rc, out, err = run_cli(capsys, "import-book", pkl, "--data", data_file, "--out", out_dir)
        assert (rc, out, err) == (2, "", f"attnseq import-book: error: {pkl}{message}\n"), name
    rc, _, err = run_cli(capsys, "import-book", good, "--data", data_file, "--out", out_dir,
                         "--model", "baseline")
    assert (rc, err) == (2, f"attnseq import-book: error: {good}: array 8 (decoder affine W) "
                            f"has shape ({2 * H}, {V}); the book's baseline model with V={V}, "
                            f"D={D}, H={H} needs ({H}, {V})\n")
    assert not out_dir.exists()


def test_a_hostile_pickle_is_refused_before_anything_runs(tmp_path, data_file, capsys):
    marker = tmp_path / "marker"
    pkl = write_pickle(tmp_path / "evil.pkl", [Hostile(marker)])
    out_dir = tmp_path / "model"
    rc, out, err = run_cli(capsys, "import-book", pkl, "--data", data_file, "--out", out_dir)
    assert (rc, out) == (2, "")
    assert err == (f"attnseq import-book: error: {pkl}: refusing to load "
                   f"{os.system.__module__}.system: a parameter file holds only NumPy arrays\n")
    assert not marker.exists() and not out_dir.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dates.txt", "evil.pkl"]


# -- pickles that NumPy's own unpickling would trust: refused before NumPy sees them --------
RECONSTRUCT = np.zeros(1).__reduce__()[0]  # what protocols 2-4 call
FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]  # what protocol 5 calls
# A dtype state that numpy.dtype.__setstate__ accepts: one byte wide, with an object field at
# offset 4096; an array of it makes NumPy write object references out of bounds.
OBJECT_PAST_THE_END = (3, "|", None, ("f0",), {"f0": (np.dtype(object), 4096)}, 1, 1, 0x3f)


class Reduced:
    """Pickles as the reduce tuple it is given: the allowed callables with any arguments."""

    def __init__(self, *reduced):
        self.reduced = reduced

    def __reduce__(self):
        return self.reduced


def forged_dtype(code="V1", state=OBJECT_PAST_THE_END):
    return Reduced(np.dtype, (code, False, True), state)


def forged_array(dtype, shape, data, version=1):
    return Reduced(RECONSTRUCT, (np.ndarray, (0,), b"b"), (version, shape, dtype, False, data))


def read_in_subprocess(path):
    """read_book_params(path) in a fresh interpreter, so that a crash fails the test."""
    code = ("import sys\nfrom attnseq.core.errors import AttnseqError\n"
            "from attnseq.experiments.book_import import read_book_params\n"
            "try:\n    print(len(read_book_params(sys.argv[1])))\n"
            "except AttnseqError as exc:\n    print(exc)\n")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60)


def test_the_forged_dtype_is_one_numpy_itself_would_build(tmp_path):
    """The premise of the next test: NumPy's own unpickling accepts the forged dtype state."""
    pkl = write_pickle(tmp_path / "dtype.pkl", forged_dtype())
    code = ("import pickle, sys\nd = pickle.load(open(sys.argv[1], 'rb'))\n"
            "print(d.itemsize, d.hasobject, d.fields['f0'][1])")
    r = subprocess.run([sys.executable, "-c", code, str(pkl)], capture_output=True, text=True,
                       timeout=60)
    assert (r.returncode, r.stdout) == (0, "1 True 4096\n")


@pytest.mark.parametrize("protocol", [2, 5])
@pytest.mark.parametrize("code, message", [
    ("V1", "dtype 'V1' is not a plain number type"),
    ("f2", "dtype f2 has a state that is not a plain number type's (fields, subarray or "
           "flags)")])
def test_a_forged_dtype_state_is_refused_without_a_crash(tmp_path, protocol, code, message):
    """V1 with the object field; f2 with a state claiming 4096 bytes and every flag (the
    object dtype inside OBJECT_PAST_THE_END would be refused first, as a dtype of its own)."""
    if code == "V1":  # the data as NumPy reads an object array's: plain pickle.load segfaults
        array = forged_array(forged_dtype(code), (1,), [1])
    else:
        array = forged_array(forged_dtype(code, (3, "<", None, None, None, 4096, 1, 0x3f)),
                             (1,), b"\0")
    pkl = write_pickle(tmp_path / "forged.pkl", [array], protocol)
    r = read_in_subprocess(pkl)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"{pkl} is a corrupt pickle: {message}\n",
                                                  "")


HUGE = "an array's shape is not a tuple of at most 32 sizes from 0 to 100000000"


@pytest.mark.parametrize("value, message", [
    ([forged_array(np.dtype("f2"), (10**12,), b"\0\0")], HUGE),
    ([forged_array(np.dtype("f2"), (10**6, 10**6), b"\0\0")],
     "an array of shape (1000000, 1000000) has 1000000000000 elements; at most 100000000 are "
     "read"),
    ([Reduced(FROMBUFFER, (b"\0\0", np.dtype("f2"), (10**12,), "C"))], HUGE),
    ([forged_array(np.dtype("f2"), (10**8,), b"\0\0")],
     "an array of shape (100000000,) and dtype float16 needs 200000000 bytes; the pickle holds "
     "2"),
    ([forged_array(np.dtype("f2"), (-1,), b"")], HUGE),
    ([forged_array(np.dtype("f2"), (1,), b"\0\0", version=2)],
     "an array's state is not (1, shape, dtype, is_fortran, data)"),
])
def test_a_huge_declared_shape_is_refused_without_allocating(tmp_path, value, message):
    pkl = write_pickle(tmp_path / "huge.pkl", value)
    tracemalloc.start()
    try:
        with pytest.raises(AttnseqError) as error:
            read_book_params(pkl)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(error.value) == f"{pkl} is a corrupt pickle: {message}"
    assert peak < 1_000_000


@pytest.mark.parametrize("array", [np.array([1, "a"], dtype=object), np.array(["abc"]),
                                   np.zeros(2, [("x", "f4"), ("y", "f2")]),
                                   np.zeros(2, "datetime64[s]")])
@pytest.mark.parametrize("protocol", [2, 5])
def test_an_array_of_anything_but_plain_numbers_is_refused(tmp_path, array, protocol):
    pkl = write_pickle(tmp_path / "odd.pkl", [array], protocol)
    code = array.dtype.__reduce__()[1][0]  # as the pickle names it: 'O8', 'U3', 'V6', 'M8'
    with pytest.raises(AttnseqError) as error:
        read_book_params(pkl)
    assert str(error.value) == f"{pkl} is a corrupt pickle: dtype {code!r} is not a plain " \
                               "number type"


def test_opcodes_that_make_other_objects_are_refused(tmp_path):
    raw = {"newobj": b"\x80\x02cnumpy\nndarray\nK\x02\x85\x81.",  # ndarray.__new__(ndarray, 2)
           "build": b"\x80\x02]}b.",
           "persid": b"\x80\x02Pid\n."}
    messages = {"newobj": "opcode NEWOBJ is not used by a list of arrays",
                "build": "BUILD on a list: only NumPy dtypes and arrays are rebuilt",
                "persid": "opcode PERSID is not used by a list of arrays"}
    for name, data in raw.items():
        (tmp_path / f"{name}.pkl").write_bytes(data)
        with pytest.raises(AttnseqError) as error:
            read_book_params(tmp_path / f"{name}.pkl")
        assert str(error.value) == f"{tmp_path / name}.pkl is a corrupt pickle: {messages[name]}"
