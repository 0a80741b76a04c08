"""Converter: encoding as trained, conversion, exact-match scoring, attention weights."""

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.experiments.converter import Converter
from attnseq.models import MODELS
from attnseq.models.config import TransformerConfig
from attnseq.models.config_entry import model_config
from attnseq.tasks.vocab import SPECIAL_TOKENS, Vocab, hint_token

VOCAB = Vocab.from_texts(["0123456789-/ ,abcdefghijklmnopqrstuvwxyz"])
Q_LEN, A_LEN = 14, 10


def make(model="attention", seed=0, reverse=True):
    config = model_config(model, dict(wordvec_size=6, hidden_size=10, reverse=reverse,
                         question_len=Q_LEN, answer_len=A_LEN))
    return Converter.create(config, VOCAB, seed=seed)


def ids(text):
    return [VOCAB.token_to_id(c) for c in text]


# -- encoding --------------------------------------------------------------------------------

def test_encode_pads_then_reverses():
    xs, ts = make().encode([("abc", "12")])
    pad, start, end = VOCAB.pad_id, VOCAB.start_id, VOCAB.end_id
    assert xs.tolist() == [[pad] * (Q_LEN - 3) + ids("cba")]
    assert ts.tolist() == [[start] + ids("12") + [end] + [pad] * (A_LEN - 2)]


def test_encode_without_reversal():
    xs, _ = make(reverse=False).encode([("abc", "1")])
    assert xs.tolist() == [ids("abc") + [VOCAB.pad_id] * (Q_LEN - 3)]


def test_encode_questions_has_the_models_width():
    xs = make().encode_questions(["a", "0123456789abcd"])
    assert xs.shape == (2, Q_LEN) and xs.dtype == np.int32


@pytest.mark.parametrize("texts, n", [([""], 1), (["ab", "   "], 2), (["a", "b", "\t"], 3)])
def test_empty_input_is_refused(texts, n):
    with pytest.raises(AttnseqError) as info:
        make().encode_questions(texts)
    assert str(info.value) == f"input {n} is empty"


def test_unknown_characters_are_named():
    with pytest.raises(AttnseqError) as info:
        make().encode_questions(["€ 5, 2001"])
    assert str(info.value) == "unknown character '€' in input '€ 5, 2001'"
    with pytest.raises(AttnseqError) as info:
        make().encode_questions(["ok", "€£€ JUN"])
    assert str(info.value) == ("unknown characters '€', '£', 'J', 'U', 'N' "
                               "in input '€£€ JUN'")


def test_too_long_input_names_the_limit():
    text = "1" * (Q_LEN + 1)
    with pytest.raises(AttnseqError) as info:
        make().encode_questions([text])
    assert str(info.value) == (f"input '{text}' is {Q_LEN + 1} characters; "
                               f"this model accepts at most {Q_LEN}")
    assert make().encode_questions(["1" * Q_LEN]).shape == (1, Q_LEN)  # the limit itself is ok


def test_too_long_answer_names_the_limit():
    with pytest.raises(AttnseqError) as info:
        make().encode([("a", "1" * (A_LEN + 1))])
    assert str(info.value) == (f"answer '{'1' * (A_LEN + 1)}' is {A_LEN + 1} characters; "
                               f"this model produces at most {A_LEN}")


# -- conversion ------------------------------------------------------------------------------

def fake_generate(conv, answers):
    """A ``generate`` that answers each row's question q with ``answers[q]`` then END/PAD
    (by the question, not by the row's place: the converter reorders rows into batches)."""

    def generate(xs, start_id, length, return_attention=False):
        assert start_id == VOCAB.start_id and length == A_LEN + 1
        rows = []
        for question in conv_texts(conv, xs):
            row = ids(answers[question]) + [VOCAB.end_id]
            rows.append((row + [VOCAB.pad_id] * length)[:length])
        return np.array(rows, dtype=np.int32).reshape(len(xs), length)

    return generate


def test_convert_decodes_up_to_the_end_token(monkeypatch):
    conv = make()
    monkeypatch.setattr(conv.model, "generate",
                        fake_generate(conv, {"a": "1984-09-25", "b": "7", "c": "1984-09-25"}))
    assert conv.convert(["a", "b", "c"]) == ["1984-09-25", "7", "1984-09-25"]


def test_convert_of_nothing_is_nothing():
    assert make().convert([]) == []


@pytest.mark.parametrize("name", list(MODELS))
def test_batching_does_not_change_the_result(name):
    conv = make(name, seed=2)
    texts = ["5/6/07", "jun 17, 2013", "12-25-1999", "1", "sep 9"]
    xs = conv.encode_questions(texts)
    whole = conv.generate_ids(xs)
    assert whole.shape == (len(texts), A_LEN + 1)
    assert np.array_equal(conv.generate_ids(xs, batch_size=2), whole)
    assert conv.convert(texts, batch_size=1) == conv.convert(texts)


def test_rows_are_batched_by_length_and_answered_in_input_order(monkeypatch):
    conv = make(seed=3)
    texts = ["jun 17, 2013", "1", "sep 25, 84", "9/8/97", "sep 9", "12-25-1999"]
    xs = conv.encode_questions(texts)
    seen = []
    generate = conv.model.generate
    monkeypatch.setattr(conv.model, "generate",
                        lambda batch, *args: seen.append(batch.copy()) or generate(batch, *args))
    ids = conv.generate_ids(xs, batch_size=2)
    lengths = [len(t) for t in texts]  # one character per token, padding the rest
    batches = sorted(sorted(len(t) for t in conv_texts(conv, b)) for b in seen)
    assert batches == [sorted(lengths)[i:i + 2] for i in (0, 2, 4)]  # like lengths together
    one_by_one = np.concatenate([generate(xs[i:i + 1], conv.vocab.start_id, A_LEN + 1)
                                 for i in range(len(texts))])
    assert np.array_equal(ids, one_by_one)


def conv_texts(conv, xs):
    """The questions that encoded rows ``xs`` hold (padding dropped, reversal undone)."""
    return ["".join(conv.vocab.id_to_token(i) for i in row[::-1] if i != conv.vocab.pad_id)
            for row in xs]


def test_correct_and_accuracy_compare_whole_answers(monkeypatch):
    conv = make()
    monkeypatch.setattr(conv.model, "generate", fake_generate(conv, {
        "a": "1984-09-25", "b": "1984-09-2", "c": "1984-09-25", "d": "1984-09-2"}))
    pairs = [("a", "1984-09-25"),   # right
             ("b", "1984-09-25"),   # a prefix of the answer is wrong
             ("c", "1984-09-24"),   # one character off
             ("d", "1984-09-2")]    # right (a short answer)
    assert conv.correct(pairs).tolist() == [True, False, False, True]
    assert conv.accuracy(pairs) == 0.5
    assert conv.accuracy([]) == 0.0


def test_correct_ignores_what_follows_the_end_token(monkeypatch):
    conv = make()

    def generate(xs, start_id, length, return_attention=False):
        row = ids("42") + [VOCAB.end_id] + ids("99999999")
        return np.array([row] * len(xs), dtype=np.int32)

    monkeypatch.setattr(conv.model, "generate", generate)
    assert conv.correct([("a", "42"), ("b", "4")]).tolist() == [True, False]


# -- attention -------------------------------------------------------------------------------

def pointing_generate(conv, texts):
    """A ``generate`` whose step t attends, with weight 1, to the encoder position holding
    the t-th character of the input (ids are read from xs, so it works either way round)."""

    def generate(xs, start_id, length, return_attention=False):
        assert return_attention
        N, T = xs.shape
        w = np.zeros((N, length, T))
        for n, text in enumerate(texts):
            for t, ch in enumerate(text):
                (pos,) = np.flatnonzero(xs[n] == VOCAB.token_to_id(ch))  # unique chars
                w[n, t, pos] = 1.0
        out = np.full((N, length), VOCAB.token_to_id("7"), dtype=np.int32)
        out[:, 3] = VOCAB.end_id
        return out, w

    return generate


@pytest.mark.parametrize("reverse", [True, False])
def test_attention_columns_follow_the_input_in_reading_order(monkeypatch, reverse):
    texts = ["abcd", "xy9"]
    conv = make(reverse=reverse)
    monkeypatch.setattr(conv.model, "generate", pointing_generate(conv, texts))
    results = conv.attention(texts)
    assert len(results) == 2
    for text, (in_tokens, out_tokens, w) in zip(texts, results, strict=True):
        assert in_tokens == list(text)
        assert out_tokens == ["7", "7", "7"]  # steps up to END
        expected = np.eye(3, len(text))  # step t looked at input character t
        assert w.shape == (3, len(text))
        assert np.array_equal(w, expected)


@pytest.mark.parametrize("reverse", [True, False])
def test_attention_of_a_real_model(reverse):
    conv = make(seed=7, reverse=reverse)
    texts = ["5/6/07", "jun 17, 2013", "0123456789abcd"]
    results = conv.attention(texts)
    converted = conv.convert(texts)
    for text, out, (in_tokens, out_tokens, w) in zip(texts, converted, results, strict=True):
        assert in_tokens == list(text)
        assert "".join(t for t in out_tokens if t not in SPECIAL_TOKENS[:2]) == out
        assert w.shape == (len(out_tokens), len(text))
        # padding gets no weight, so the real characters' weights sum to one at every step
        np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-5)
        assert (w >= 0).all()


def test_attention_matches_the_models_raw_weights_reversed():
    conv = make(seed=9)
    text = "jun 17"
    xs = conv.encode_questions([text])
    raw_ids, raw = conv.model.generate(xs, VOCAB.start_id, A_LEN + 1, return_attention=True)
    (_, out_tokens, w), = conv.attention([text])
    steps = len(out_tokens)
    # encoder position Q_LEN-1-j holds input character j
    for j in range(len(text)):
        np.testing.assert_array_equal(w[:, j], raw[0, :steps, Q_LEN - 1 - j])


@pytest.mark.parametrize("name", ["baseline", "peeky"])
def test_models_without_attention_say_so(name):
    with pytest.raises(AttnseqError) as info:
        make(name).attention(["5/6/07"])
    assert str(info.value) == f"a {name!r} model has no attention to show"


def test_attention_refuses_bad_input():
    with pytest.raises(AttnseqError) as info:
        make().attention(["€"])
    assert str(info.value) == "unknown character '€' in input '€'"


# -- beam search -----------------------------------------------------------------------------

def ending(model="attention", seed=0):
    """A converter whose untrained model's outputs vary and often end early: parameters from
    N(0, 0.5²), the end token's output bias raised."""
    conv = make(model, seed=seed)
    rng = np.random.default_rng(seed)
    for p in conv.model.params:
        p[...] = rng.standard_normal(p.shape) * 0.5
    # the Transformer's logits read D = 64 normalised features, so they spread wider
    conv.model.decoder.affine.params[1][VOCAB.end_id] += 8.0 if model == "transformer" else 2.0
    return conv


BEAM_TEXTS = ["5/6/07", "jun 17, 2013", "0123456789abcd", "a", "x 9", "2013-06-17"]


@pytest.mark.parametrize("name", list(MODELS))
def test_beam_one_converts_and_scores_as_greedy(name):
    conv = ending(name, seed=3)
    greedy_out = conv.convert(BEAM_TEXTS)
    assert any(len(out) < A_LEN for out in greedy_out), "nothing ends early: a weak test"
    assert conv.convert(BEAM_TEXTS, search=conv.beam(beam=1)) == greedy_out
    pairs = [(text, out if k % 2 else "1") for k, (text, out) in
             enumerate(zip(BEAM_TEXTS, greedy_out))]
    answers, correct = conv.predict(pairs, search=conv.beam(beam=1))
    assert answers == greedy_out
    assert correct.tolist() == conv.correct(pairs).tolist()
    assert conv.accuracy(pairs, search=conv.beam(beam=1)) == conv.accuracy(pairs)


def test_alternatives_are_the_best_hypotheses_with_their_scores():
    conv = ending(seed=5)
    search = conv.beam(beam=4, n_best=3, alpha=0.6, beta=0.2)
    alternatives = conv.alternatives(BEAM_TEXTS, search, batch_size=4)
    hypotheses = conv.hypotheses(BEAM_TEXTS, search)
    for alts, hyps in zip(alternatives, hypotheses, strict=True):
        assert len(alts) == 3
        # float32 sums differ in their last bits between batches of 4 and of 6
        assert [a for a, _ in alts] == [VOCAB.decode(h.tokens) for h in hyps]
        np.testing.assert_allclose([s for _, s in alts], [h.score for h in hyps], rtol=1e-5)
        assert [s for _, s in alts] == sorted((s for _, s in alts), reverse=True)
    # Asking for more alternatives only searches longer: the best one stays the best.
    best = conv.convert(BEAM_TEXTS, search=conv.beam(beam=4, alpha=0.6, beta=0.2))
    assert best == [alts[0][0] for alts in alternatives]
    answers, correct = conv.predict([(t, b) for t, b in zip(BEAM_TEXTS, best)],
                                    search=conv.beam(beam=4, alpha=0.6, beta=0.2))
    assert answers == best and correct.all()


def test_beam_attention_is_the_chosen_hypothesis():
    conv = ending(seed=6)
    greedy_maps = conv.attention(BEAM_TEXTS)
    for (i, o, w), (bi, bo, bw) in zip(greedy_maps, conv.attention(BEAM_TEXTS,
                                                                  conv.beam(beam=1))):
        assert (i, o) == (bi, bo)
        np.testing.assert_allclose(bw, w, rtol=1e-5, atol=1e-7)
    search = conv.beam(beam=5, alpha=0.6)
    best = conv.hypotheses(BEAM_TEXTS, search)
    for text, hyps, (_, out_tokens, w) in zip(BEAM_TEXTS, best,
                                                      conv.attention(BEAM_TEXTS, search)):
        assert "".join(out_tokens) == VOCAB.decode(hyps[0].tokens)
        assert w.shape == (len(out_tokens), len(text))
        # the reversal undone: input character j sat in encoder column Q_LEN - 1 - j
        np.testing.assert_array_equal(w, hyps[0].attention[: len(out_tokens),
                                                           Q_LEN - len(text):][:, ::-1])


def test_hypotheses_searched_once_give_the_alternatives_and_the_attention():
    conv = ending(seed=7)
    search = conv.beam(beam=4, n_best=2, alpha=0.6)
    hypotheses = conv.hypotheses(BEAM_TEXTS, search)
    assert conv.ranked(hypotheses) == conv.alternatives(BEAM_TEXTS, search)
    given = conv.attention(BEAM_TEXTS, hypotheses=hypotheses)
    for (i, o, w), (si, so, sw) in zip(given, conv.attention(BEAM_TEXTS, search), strict=True):
        assert (i, o) == (si, so)
        np.testing.assert_array_equal(w, sw)
    # the given hypotheses are what is drawn, not a new search's
    swapped = [hyps[::-1] for hyps in hypotheses]
    for (_, o, _), hyps in zip(conv.attention(BEAM_TEXTS, hypotheses=swapped), hypotheses,
                               strict=True):
        assert "".join(o) == VOCAB.decode(hyps[-1].tokens)


def test_per_head_attention_reads_letters_where_answers_are_words():
    """g2p's vocabulary: questions are letters, answers phonemes; the heads' input axis holds
    the letters, as ``attention``'s does."""
    vocab = Vocab(list("knight") + ["N", "AY1", "T"], level="word", question_level="char")
    config = TransformerConfig(d_model=8, heads=2, d_ff=16, num_layers=1,
                         question_len=8, answer_len=4)
    conv = Converter.create(config, vocab, seed=0)
    (heads,) = conv.attention_heads(["knight"])
    assert heads["inputs"] == list("knight")
    assert heads["encoder"][0].shape == (2, 6, 6)
    ((inputs, outputs, _),) = conv.attention(["knight"])
    assert (inputs, outputs) == (heads["inputs"], heads["outputs"])


# -- locale hints ----------------------------------------------------------------------------

def hinted():
    vocab = Vocab([*"0123456789/-", hint_token("en_GB"), hint_token("de")], unknown="unk")
    config = model_config("attention", dict(wordvec_size=6, hidden_size=10, question_len=12,
                                            answer_len=10))
    return Converter.create(config, vocab, seed=0)


def test_a_locale_puts_its_hint_in_front_of_every_question():
    conv = hinted()
    plain = conv.encode_questions(["03/04/2005"])
    xs = conv.encode_questions(["03/04/2005", "1/2/2003"], locale="en_GB")
    hint = conv.vocab.hint_id("en_GB")
    assert (xs[:, -1] == hint).all() and hint not in plain  # reversed: the hint comes last
    assert xs[0, -11:-1].tolist() == plain[0, -10:].tolist()
    assert conv.hint(None) is None and conv.hint("de") == "de"
    assert len(conv.convert(["03/04/2005"], locale="de")) == 1


def test_unknown_characters_of_a_hinted_vocabulary_are_unk():
    conv = hinted()
    xs = conv.encode_questions(["03/04/2005 ☃"])
    assert conv.vocab.unk_id in xs[0].tolist()


@pytest.mark.parametrize(("locale", "message"), [
    ("xx", "unknown locale 'xx': CLDR has no such locale (e.g. en, ko, ja, de, fr, es)"),
    ("fr", "this model has no locale hint 'fr' (it knows: en_GB, de)"),
])
def test_a_locale_the_model_has_no_hint_for_is_a_one_line_error(locale, message):
    pytest.importorskip("babel", reason="the locales extra (Babel) is not installed")
    with pytest.raises(AttnseqError) as err:
        hinted().convert(["03/04/2005"], locale=locale)
    assert str(err.value) == message
