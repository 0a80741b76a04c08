"""Tests for attnseq.tasks.vocab."""

import json

import numpy as np
import pytest

from attnseq.core.errors import AttnseqError
from attnseq.tasks.vocab import END, PAD, SPECIAL_TOKENS, START, UNK, Vocab, hint_token, is_hint


def test_special_tokens_have_fixed_ids():
    v = Vocab("ab")
    assert (v.pad_id, v.start_id, v.end_id, v.unk_id) == (0, 1, 2, 3)
    assert v.tokens[:4] == [PAD, START, END, UNK] == ["<pad>", "<s>", "</s>", "<unk>"]
    assert [v.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3]


def test_tokens_follow_in_first_seen_order_without_duplicates_or_specials():
    v = Vocab(["c", "a", "c", UNK, "b", "a"])
    assert v.tokens == [PAD, START, END, UNK, "c", "a", "b"]
    assert len(v) == 7
    assert v.token_to_id("c") == 4 and v.id_to_token(6) == "b"
    assert "a" in v and "z" not in v


def test_tokens_list_is_a_copy():
    v = Vocab("ab")
    v.tokens.append("z")
    assert "z" not in v and len(v) == 6


def test_from_texts_sorts_characters_for_determinism():
    v1 = Vocab.from_texts(["ba", "ca"])
    v2 = Vocab.from_texts(["ac", "b"])
    assert v1 == v2
    assert v1.tokens[4:] == ["a", "b", "c"]
    assert v1.level == "char"


def test_from_texts_word_level_splits_on_whitespace():
    v = Vocab.from_texts(["the cat  sat", "the\tdog"], level="word")
    assert v.level == "word"
    assert v.tokens[4:] == ["cat", "dog", "sat", "the"]
    assert v.encode("the  dog sat") == [7, 5, 6]
    assert v.decode([1, 7, 5, 2, 4]) == "the dog"


def test_char_round_trip():
    text = "TUESDAY, SEPTEMBER 25, 1984"
    v = Vocab.from_texts([text])
    ids = v.encode(text)
    assert len(ids) == len(text) and min(ids) >= 4
    assert v.decode(ids) == text
    assert v.decode(np.array([v.start_id, *ids, v.end_id, v.pad_id], dtype=np.int32)) == text


def test_decode_skips_pad_and_start_and_stops_at_end():
    v = Vocab("abc")
    a, b, c = v.encode("abc")
    ids = [v.start_id, a, v.pad_id, b, v.end_id, c, v.pad_id]
    assert v.decode(ids) == "ab"
    assert v.decode(ids, stop_at_end=False) == "abc"
    assert v.decode([a, v.unk_id]) == "a<unk>"


def test_decode_out_of_range_id():
    with pytest.raises(AttnseqError, match=r"^id 9 is out of range for a vocabulary of 6 tokens$"):
        Vocab("ab").decode([9])


def test_unknown_character_error_names_it():
    v = Vocab("x")
    with pytest.raises(AttnseqError) as err:
        v.encode("xx€")
    assert str(err.value) == "unknown character '€' in input 'xx€'"


def test_unknown_characters_listed_once_in_order():
    v = Vocab("x")
    with pytest.raises(AttnseqError) as err:
        v.encode("é€xé")
    assert str(err.value) == "unknown characters 'é', '€' in input 'é€xé'"


def test_unknown_word_error_and_long_input_is_shortened():
    v = Vocab(["a"], level="word")
    with pytest.raises(AttnseqError) as err:
        v.encode("a b " + "a " * 40)
    assert str(err.value) == "unknown word 'b' in input " + repr(("a b " + "a " * 40)[:57]) + "..."


def test_unknown_unk_maps_to_unk_id():
    v = Vocab("x")
    assert v.encode("x€x", unknown="unk") == [4, 3, 4]
    with pytest.raises(AttnseqError, match="unknown must be 'error' or 'unk'"):
        v.encode("x", unknown="skip")


def test_token_to_id_unknown():
    with pytest.raises(AttnseqError, match=r"^token 'q' is not in the vocabulary$"):
        Vocab("ab").token_to_id("q")


def test_bad_tokens_are_rejected():
    with pytest.raises(AttnseqError, match="single characters"):
        Vocab(["ab"])
    with pytest.raises(AttnseqError, match="without spaces"):
        Vocab(["a b"], level="word")
    with pytest.raises(AttnseqError, match="unknown vocabulary level 'byte'"):
        Vocab("a", level="byte")


@pytest.mark.parametrize("level, tokens", [("char", "z a-é"), ("word", ["the", "cat", "<x>"])])
def test_dict_round_trip_through_json(level, tokens):
    v = Vocab(tokens, level=level)
    d = json.loads(json.dumps(v.to_dict()))
    assert d == {"level": level, "tokens": list(tokens)}
    w = Vocab.from_dict(d)
    assert w == v and w.tokens == v.tokens and hash(w) == hash(v)


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "vocabulary must be a JSON object, got list"),
        ({"level": "char"}, "vocabulary is missing the 'tokens' key"),
        ({"tokens": []}, "vocabulary is missing the 'level' key"),
        ({"level": "char", "tokens": [], "x": 1}, "vocabulary has unexpected keys: 'x'"),
        ({"level": "bit", "tokens": []},
         "vocabulary has unknown level 'bit'; expected 'char' or 'word'"),
        ({"level": "char", "tokens": "abc"}, "vocabulary 'tokens' must be a list of strings"),
        ({"level": "char", "tokens": ["a", 1]}, "vocabulary 'tokens' must be a list of strings"),
        ({"level": "char", "tokens": ["a", "b", "a"]}, "vocabulary lists the token 'a' twice"),
        ({"level": "char", "tokens": ["a", "<s>"]},
         "vocabulary 'tokens' must not include the special token '<s>'"),
        ({"level": "char", "tokens": ["ab"]},
         "a character vocabulary holds single characters, got 'ab'"),
    ],
)
def test_from_dict_rejects_malformed_data(data, message):
    with pytest.raises(AttnseqError) as err:
        Vocab.from_dict(data)
    assert str(err.value) == message


def test_equality_depends_on_level_and_order():
    assert Vocab("ab") != Vocab("ba")
    assert Vocab(["a"], level="char") != Vocab(["a"], level="word")
    assert Vocab("ab") != "ab"


def test_questions_may_be_split_at_another_level_than_answers():
    """g2p: letters in, phonemes out."""
    v = Vocab(["a", "t", "AH0", "T"], level="word", question_level="char")
    assert v.split("tat", "question") == ["t", "a", "t"]
    assert v.split("AH0 T") == v.split("AH0 T", "answer") == ["AH0", "T"]
    assert v.encode("at", part="question") == [4, 5]
    assert v.decode(v.encode("T AH0")) == "T AH0"
    with pytest.raises(AttnseqError) as err:
        v.encode("ax", part="question")
    assert str(err.value) == "unknown character 'x' in input 'ax'"
    with pytest.raises(AttnseqError, match="^part must be 'question' or 'answer', got 'q'$"):
        v.split("a", "q")
    assert v != Vocab(["a", "t", "AH0", "T"], level="word")


def test_question_level_is_saved_only_when_it_differs():
    mixed = Vocab(["a", "AH0"], level="word", question_level="char")
    d = json.loads(json.dumps(mixed.to_dict()))
    assert d == {"level": "word", "tokens": ["a", "AH0"], "question_level": "char"}
    assert Vocab.from_dict(d) == mixed
    plain = Vocab.from_dict({"level": "word", "tokens": ["a"]})  # as saved before the key
    assert plain.question_level == "word" and "question_level" not in plain.to_dict()
    with pytest.raises(AttnseqError) as err:
        Vocab.from_dict({"level": "word", "tokens": [], "question_level": "byte"})
    assert str(err.value) == "vocabulary has unknown level 'byte'; expected 'char' or 'word'"


def test_join_is_the_inverse_of_split_at_each_level():
    chars = Vocab.from_texts(["ab c"])
    words = Vocab.from_texts(["AH0 T EH1"], level="word")
    assert chars.join(chars.split("ab c")) == "ab c"
    assert words.join(words.split("AH0  T EH1")) == "AH0 T EH1"
    assert words.join(["T", "EH1"]) == words.decode([words.token_to_id("T"),
                                                      words.token_to_id("EH1")])


def test_a_hint_token_goes_in_front_and_text_cannot_forge_one():
    v = Vocab([*"<>en_GB0123/", hint_token("en_GB"), hint_token("de")])
    assert v.hints == ("en_GB", "de")
    assert v.encode("03/02", part="question", hint="en_GB") == [v.hint_id("en_GB"),
                                                                 *v.encode("03/02")]
    assert v.hint_id("en_GB") not in v.encode("<en_GB>")  # characters, not the hint
    assert len(v.encode("<en_GB>")) == len("<en_GB>")


def test_an_unknown_hint_or_a_bad_locale_name_is_a_one_line_error():
    v = Vocab(["a", hint_token("de")])
    with pytest.raises(AttnseqError) as err:
        v.encode("a", hint="fr")
    assert str(err.value) == "this model has no locale hint 'fr' (it knows: de)"
    with pytest.raises(AttnseqError) as err:
        hint_token("en GB")
    assert str(err.value) == "'en GB' is not a locale name (e.g. en_GB, de, ko)"
    assert is_hint("<ko>") and not is_hint("<unk>") and not is_hint("<")


def test_the_unk_policy_encodes_unknown_characters_and_round_trips():
    v = Vocab("ab", unknown="unk")
    assert v.encode("a☃b") == [4, v.unk_id, 5]
    with pytest.raises(AttnseqError, match=r"^unknown character '☃' in input 'a☃'$"):
        v.encode("a☃", unknown="error")
    doc = json.loads(json.dumps(v.to_dict()))
    assert doc["unknown"] == "unk" and Vocab.from_dict(doc) == v
    assert "unknown" not in Vocab("ab").to_dict() and Vocab("ab") != v
    with pytest.raises(AttnseqError) as err:
        Vocab.from_dict({"level": "char", "tokens": ["a"], "unknown": "guess"})
    assert str(err.value) == "unknown must be 'error' or 'unk', got 'guess'"
