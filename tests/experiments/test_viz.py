"""Figures: pixel sizes, panel counts, labels, and that a heatmap shows what the model did.

The key test trains a small attention model to exact match on one date format and checks that
the year's output digits attend to the year's input characters, in reading order. It fails if
the heatmap's axes are swapped or the input reversal is not undone.
"""

import struct
from dataclasses import replace

import matplotlib.image
import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.experiments.viz import (
    DPI,
    PANEL_INCHES,
    SPACE,
    AttentionMap,
    accuracy_figure,
    attention_figure,
    elapsed_seconds,
    heatmap_figure,
    save_figure,
    token_label,
)
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks import date_vocab, generate_dates
from attnseq.training.trainer import STOP, TrainConfig, Trainer

# '19970908' and '1997/09/08': the year is the first four characters, and with two lengths
# the shorter questions are padded, so both the reversal and the padding must be undone.
FORMATS = ["yyyymmdd", "yyyy_mm_dd_slash"]


def png_size(path) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk, which follows the 8-byte signature."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def random_map(rng, n_out, n_in, text=None):
    w = rng.random((n_out, n_in))
    inputs = list(text) if text is not None else [chr(97 + k % 26) for k in range(n_in)]
    return AttentionMap(inputs, [str(k % 10) for k in range(n_out)],
                        w / w.sum(axis=1, keepdims=True))


@pytest.fixture(scope="module")
def trained():
    """An attention model trained until it converts all its training pairs exactly.

    Years are drawn from 1000-9999 so that every year digit must be read from the input (with
    the default 1970-2068 the second digit follows from the first, and the model need not
    look at it). Why formats that start with the year: the encoder reads the input reversed,
    so its state at a character has read that character and everything after it. A digit can
    therefore also be read from the states just before it; for a year at the end ('Aug 14,
    8655') some seeds learn to look at the space before the year for its first digit. With
    the year first, every such neighbour is itself a year digit, so the argmax test below is
    robust across seeds (checked for ten) while still failing if the reversal is not undone.
    """
    pairs = generate_dates(500, seed=0, formats=FORMATS, start_year=1000, end_year=9999)
    config = Seq2seqConfig(model="attention", wordvec_size=16, hidden_size=32,
                         question_len=max(len(p.question) for p in pairs), answer_len=10)
    conv = Converter.create(config, date_vocab(), seed=0)
    xs, ts = conv.encode(pairs)
    trainer = Trainer.from_config(conv.model, TrainConfig(epochs=80, batch_size=32, lr=0.01,
                                                                final_lr=None))
    trainer.fit(xs, ts, eval_fn=lambda epoch: {"accuracy": conv.accuracy(pairs)},
                callbacks=[lambda epoch, r: STOP if r["accuracy"] == 1.0 else None],
                progress=False)
    assert conv.accuracy(pairs) == 1.0, "the model did not learn its training pairs"
    return conv, pairs


# -- the attention heatmap ------------------------------------------------------------------

def test_year_digits_attend_to_the_year(trained):
    conv, pairs = trained
    texts = [p.question for p in pairs[:20]]
    assert {len(t) for t in texts} == {8, 10}  # padded and unpadded questions both
    fig, maps = attention_figure(conv, texts)
    for text, m, pair in zip(texts, maps, pairs[:20], strict=True):
        assert m.inputs == list(text)
        assert "".join(m.outputs) == pair.answer
        for k in range(4):  # output positions 0-3 are the year's digits, input positions 0-3
            assert int(m.weights[k].argmax()) in range(4), (text, k, m.weights[k].round(2))


def test_the_figure_draws_the_maps_input_along_x(trained):
    conv, pairs = trained
    texts = [pairs[0].question, pairs[1].question, "1997 09 08"]
    fig, maps = attention_figure(conv, texts)
    heatmaps = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(heatmaps) == 3 and len(fig.axes) == 4  # one per text, plus the colour bar
    for ax, m, text in zip(heatmaps, maps, texts, strict=True):
        shown = np.asarray(ax.images[0].get_array())
        assert shown.shape == (len(m.outputs), len(text))  # (output length, input length)
        assert np.array_equal(shown, m.weights)
        assert np.allclose(m.weights.sum(axis=1), 1.0, atol=1e-5)
        assert [t.get_text() for t in ax.get_xticklabels()] == [token_label(c) for c in text]
        assert [t.get_text() for t in ax.get_yticklabels()] == m.outputs
    assert [t.get_text() for t in heatmaps[2].get_xticklabels()][4] == SPACE


def test_the_figure_draws_the_beam_searchs_chosen_hypothesis(trained):
    conv, pairs = trained
    texts = [pairs[2].question, "1997 09 08"]
    search = conv.beam(beam=3, alpha=0.6, max_length=5)  # cut short: 5 rows, no end token
    fig, maps = attention_figure(conv, texts, search=search)
    heatmaps = [ax for ax in fig.axes if ax.images and ax.get_label() != "<colorbar>"]
    assert len(heatmaps) == 2
    for ax, m, text, hyps in zip(heatmaps, maps, texts, conv.hypotheses(texts, search),
                                 strict=True):
        assert m.outputs == [conv.vocab.id_to_token(i) for i in hyps[0].tokens]
        assert len(m.outputs) == 5 and m.inputs == list(text)
        assert np.array_equal(np.asarray(ax.images[0].get_array()), m.weights)
        # input character j sat in encoder column question_len - 1 - j (reversed input)
        cols = conv.config.question_len - 1 - np.arange(len(text))
        np.testing.assert_array_equal(m.weights, hyps[0].attention[:, cols])
    greedy_maps = attention_figure(conv, texts)[1]
    assert [m.outputs for m in maps] != [m.outputs for m in greedy_maps]


def test_attention_png_size_and_not_blank(trained, tmp_path):
    conv, pairs = trained
    for n, (cols, rows) in {1: (1, 1), 2: (2, 1), 3: (2, 2)}.items():
        fig, _ = attention_figure(conv, [p.question for p in pairs[:n]])
        path = save_figure(fig, tmp_path / f"sub/{n}.png")
        expected = (round(cols * PANEL_INCHES[0] * DPI), round(rows * PANEL_INCHES[1] * DPI))
        assert png_size(path) == expected
        pixels = matplotlib.image.imread(path)
        assert pixels.shape[:2] == expected[::-1]
        assert pixels[..., :3].var() > 0.01


def test_errors_before_drawing(trained):
    conv, _ = trained
    with pytest.raises(AttnseqError, match="unknown character"):
        attention_figure(conv, ["1997/09/08", "1997/09/0é"])
    with pytest.raises(AttnseqError, match="empty"):
        attention_figure(conv, [" "])
    with pytest.raises(AttnseqError, match="no texts"):
        attention_figure(conv, [])
    baseline = Converter.create(replace(conv.config, model="baseline"), conv.vocab, seed=0)
    with pytest.raises(AttnseqError, match="no attention"):
        attention_figure(baseline, ["1997/09/08"])


def test_heatmap_figure_from_plain_maps():
    rng = np.random.default_rng(0)
    maps = [random_map(rng, 10, 12, "ab cd, 2013"[:12].ljust(12, "x")),
            AttentionMap(list("abc"), [], np.zeros((0, 3)))]  # a model that said nothing
    fig = heatmap_figure(maps, titles=["one", "two"])
    assert len(fig.axes) == 3
    assert fig.axes[0].get_title() == "one"
    assert token_label("a b") == f"a{SPACE}b"
    with pytest.raises(AttnseqError, match="do not match"):
        heatmap_figure([AttentionMap(list("ab"), list("xyz"), np.ones((2, 3)) / 3)])
    with pytest.raises(AttnseqError, match="titles"):
        heatmap_figure(maps, titles=["one"])
    with pytest.raises(AttnseqError, match="no attention maps"):
        heatmap_figure([])


# -- the accuracy curves --------------------------------------------------------------------

def _records(accuracies, seconds=2.0, wall=True):
    out = []
    for e, a in enumerate(accuracies, 1):
        r = {"epoch": e, "accuracy": a, "loss": 1.0 / e, "seconds": seconds}
        if wall:
            r["wall_seconds"] = e * (seconds + 0.5)
        out.append(r)
    return out


def test_accuracy_figure(tmp_path):
    curves = {"baseline": _records([0.0, 0.1, 0.2]), "attention": _records([0.5, 0.99, 1.0])}
    fig = accuracy_figure(curves)
    by_epoch, by_time = fig.axes
    for ax in (by_epoch, by_time):
        assert ax.get_ylim() == (0.0, 1.0)
        assert ax.get_ylabel() and ax.get_xlabel()
        assert [line.get_label() for line in ax.get_lines()] == ["baseline", "attention"]
    assert list(by_epoch.get_lines()[1].get_xdata()) == [1, 2, 3]
    assert list(by_epoch.get_lines()[1].get_ydata()) == [0.5, 0.99, 1.0]
    assert list(by_time.get_lines()[1].get_xdata()) == [2.5, 5.0, 7.5]
    path = save_figure(fig, tmp_path / "acc.png")
    assert png_size(path) == (1200, 450)
    assert matplotlib.image.imread(path)[..., :3].var() > 0.001


def test_elapsed_seconds_falls_back_to_cumulative_training_time():
    assert elapsed_seconds(_records([0.1, 0.2], seconds=2.0)) == [2.5, 5.0]
    assert elapsed_seconds(_records([0.1, 0.2], seconds=2.0, wall=False)) == [2.0, 4.0]
    with pytest.raises(AttnseqError):
        accuracy_figure({})


def test_save_figure_errors(tmp_path):
    fig = accuracy_figure({"a": _records([0.5])})
    with pytest.raises(AttnseqError, match="suffix"):
        save_figure(fig, tmp_path / "figure.xyz")
    with pytest.raises(AttnseqError, match="directory"):
        save_figure(fig, tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(AttnseqError, match="cannot write"):
        save_figure(fig, tmp_path / "file" / "a.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # no half-written leftovers
    save_figure(fig, tmp_path / "a.svg")
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
