"""A vocabulary: the mapping between tokens (characters or words) and integer ids.

Ids 0-3 are reserved for the special tokens, in this fixed order, so that every model and every
checkpoint agrees on them without having to look them up:

    0 PAD   "<pad>"  fills sequences up to a common length; masked in the loss and in attention
    1 START "<s>"    the decoder's first input (the book writes it as '_')
    2 END   "</s>"   the decoder's last target; generation stops when it is produced
    3 UNK   "<unk>"  stands for an unknown token when encoding with ``unknown="unk"``

The ordinary tokens follow from id 4 on. A ``Vocab`` is immutable: build a new one instead of
changing it, and save it with ``to_dict`` (JSON-friendly) rather than pickling it.

A locale hint ``<en_GB>`` (``hint_token``), which a character vocabulary may hold too, is put
in front of a question by ``encode(..., hint="en_GB")``; ``split`` never yields one, so no
text can forge it (``attnseq.tasks.wild``). ``unknown`` is what ``encode`` does with a token
the vocabulary lacks: "error" (refuse the text) or "unk" (encode it as UNK).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from attnseq.core.errors import AttnseqError

PAD = "<pad>"
START = "<s>"
END = "</s>"
UNK = "<unk>"
SPECIAL_TOKENS = (PAD, START, END, UNK)

LEVELS = ("char", "word")
UNKNOWN_POLICIES = ("error", "unk")
_HINT = re.compile(r"<[A-Za-z]{2,8}(?:_[A-Za-z0-9]{1,8})*>")  # <en>, <en_GB>, <zh_Hant_TW>


def hint_token(locale: str) -> str:
    """The token of the locale hint ``locale``: ``"en_GB"`` -> ``"<en_GB>"``."""
    token = f"<{locale}>"
    if not isinstance(locale, str) or not _HINT.fullmatch(token):
        raise AttnseqError(f"{locale!r} is not a locale name (e.g. en_GB, de, ko)")
    return token


def is_hint(token: str) -> bool:
    """Whether ``token`` is a locale hint token (``<en_GB>``), not a character or word."""
    return _HINT.fullmatch(token) is not None and token not in SPECIAL_TOKENS


def quote_text(text: str, limit: int = 60) -> str:
    """``repr`` of ``text`` cut to ``limit`` characters, so an error message stays short."""
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit - 3]) + "..."


def token_noun(level: str, count: int) -> str:
    """'character'/'word' with the right plural, for messages about ``count`` tokens."""
    noun = "character" if level == "char" else "word"
    return noun if count == 1 else noun + "s"


class Vocab:
    """Tokens <-> ids for one ``level``: ``"char"`` (a text is a sequence of characters) or
    ``"word"`` (a text is split on whitespace).

    ``question_level`` (default: ``level``) is how questions are split when it differs from
    answers: grapheme-to-phoneme data reads a word letter by letter (``"char"``) and answers
    with space-separated phonemes (``"word"``). ``part="question"`` selects it in ``split`` and
    ``encode``; answers (and ``decode``) always use ``level``.

    ``Vocab(tokens)`` keeps the tokens in first-seen order after the four specials, dropping
    duplicates and any special token that appears among them.
    """

    __slots__ = ("_level", "_question_level", "_tokens", "_ids", "_unknown")

    def __init__(self, tokens: Iterable[str], *, level: str = "char",
                 question_level: str | None = None, unknown: str = "error") -> None:
        question_level = level if question_level is None else question_level
        for value in (level, question_level):
            if value not in LEVELS:
                raise AttnseqError(f"unknown vocabulary level {value!r}; expected 'char' or "
                                   "'word'")
        if unknown not in UNKNOWN_POLICIES:
            raise AttnseqError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        ordered: list[str] = list(SPECIAL_TOKENS)
        seen = set(SPECIAL_TOKENS)
        for tok in tokens:
            if tok in seen:
                continue
            # A token of either side: when one side reads words, tokens are words.
            _check_token(tok, "word" if "word" in (level, question_level) else "char")
            seen.add(tok)
            ordered.append(tok)
        self._level = level
        self._question_level = question_level
        self._tokens = tuple(ordered)
        self._ids = {tok: i for i, tok in enumerate(self._tokens)}
        self._unknown = unknown

    # -- constructors -------------------------------------------------------------------------

    @classmethod
    def from_texts(cls, texts: Iterable[str], level: str = "char") -> Vocab:
        """Every character (or whitespace-separated word) of ``texts``, sorted.

        Sorting, rather than first-seen order, makes the ids independent of the order of the
        data, so two runs over the same data set shuffled differently build the same vocabulary.
        """
        if level not in LEVELS:
            raise AttnseqError(f"unknown vocabulary level {level!r}; expected 'char' or 'word'")
        found: set[str] = set()
        for text in texts:
            found.update(text if level == "char" else text.split())
        return cls(sorted(found), level=level)

    @classmethod
    def from_dict(cls, data: Any) -> Vocab:
        """Inverse of ``to_dict``; raises ``AttnseqError`` on anything malformed."""
        if not isinstance(data, dict):
            raise AttnseqError(f"vocabulary must be a JSON object, got {type(data).__name__}")
        extra = sorted(set(data) - {"level", "tokens", "question_level", "unknown"})
        if extra:
            raise AttnseqError(f"vocabulary has unexpected keys: {', '.join(map(repr, extra))}")
        for key in ("level", "tokens"):
            if key not in data:
                raise AttnseqError(f"vocabulary is missing the {key!r} key")
        level, tokens = data["level"], data["tokens"]
        question_level = data.get("question_level", level)  # absent: the answers' level
        for value in (level, question_level):
            if value not in LEVELS:
                raise AttnseqError(f"vocabulary has unknown level {value!r}; expected 'char' "
                                   "or 'word'")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise AttnseqError("vocabulary 'tokens' must be a list of strings")
        if len(set(tokens)) != len(tokens):
            dup = next(t for i, t in enumerate(tokens) if t in tokens[:i])
            raise AttnseqError(f"vocabulary lists the token {dup!r} twice")
        specials = [t for t in tokens if t in SPECIAL_TOKENS]
        if specials:
            # to_dict never writes them; finding one means the file was edited or corrupted.
            raise AttnseqError(
                f"vocabulary 'tokens' must not include the special token {specials[0]!r}"
            )
        return cls(tokens, level=level, question_level=question_level,
                   unknown=data.get("unknown", "error"))  # absent: a vocabulary that refuses

    def to_dict(self) -> dict[str, Any]:
        """``{"level": ..., "tokens": [...]}`` without the specials (their ids are fixed), and
        ``"question_level"`` only when it differs and ``"unknown"`` only when it is "unk" (so a
        plain vocabulary saves as it always did).
        """
        doc = {"level": self._level, "tokens": list(self._tokens[len(SPECIAL_TOKENS):])}
        if self._question_level != self._level:
            doc["question_level"] = self._question_level
        if self._unknown != "error":
            doc["unknown"] = self._unknown
        return doc

    # -- lookups ------------------------------------------------------------------------------

    @property
    def level(self) -> str:
        return self._level

    @property
    def question_level(self) -> str:
        return self._question_level

    def level_of(self, part: str) -> str:
        """The level of ``part``: "question" or "answer"."""
        if part not in ("question", "answer"):
            raise AttnseqError(f"part must be 'question' or 'answer', got {part!r}")
        return self._question_level if part == "question" else self._level

    @property
    def unknown(self) -> str:
        """What ``encode`` does with an unknown token by default: "error" or "unk"."""
        return self._unknown

    @property
    def hints(self) -> tuple[str, ...]:
        """The locales whose hint tokens this vocabulary holds, in id order."""
        return tuple(tok[1:-1] for tok in self._tokens if is_hint(tok))

    @property
    def tokens(self) -> list[str]:
        """All tokens, specials first; position = id. A fresh list, so callers can't alter us."""
        return list(self._tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def start_id(self) -> int:
        return 1

    @property
    def end_id(self) -> int:
        return 2

    @property
    def unk_id(self) -> int:
        return 3

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def token_to_id(self, token: str) -> int:
        try:
            return self._ids[token]
        except KeyError:
            raise AttnseqError(f"token {token!r} is not in the vocabulary") from None

    def id_to_token(self, token_id: int) -> str:
        i = int(token_id)
        if not 0 <= i < len(self._tokens):
            raise AttnseqError(f"id {i} is out of range for a vocabulary of {len(self)} tokens")
        return self._tokens[i]

    # -- text <-> ids -------------------------------------------------------------------------

    def split(self, text: str, part: str = "answer") -> list[str]:
        """The tokens of ``text`` at the level of ``part`` ("question" or "answer")."""
        return list(text) if self.level_of(part) == "char" else text.split()

    def join(self, tokens: Iterable[str], part: str = "answer") -> str:
        """The text of ``tokens`` at the level of ``part``, the inverse of ``split``:
        characters joined with "", words with a single space."""
        return ("" if self.level_of(part) == "char" else " ").join(tokens)

    def hint_id(self, locale: str) -> int:
        """The id of ``locale``'s hint token, or the one-line error naming those it has."""
        token = hint_token(locale)
        if token not in self._ids:
            known = ", ".join(self.hints) or "none"
            raise AttnseqError(f"this model has no locale hint {locale!r} (it knows: {known})")
        return self._ids[token]

    def encode(self, text: str, *, unknown: str | None = None, part: str = "answer",
               hint: str | None = None) -> list[int]:
        """Token ids of ``text``; no START/END are added (the dataset code does that).

        ``unknown="error"`` raises ``AttnseqError`` naming every distinct unknown token once, in
        order of appearance; ``unknown="unk"`` maps them to ``unk_id``; None (the default) does
        what the vocabulary's ``unknown`` policy says. At word level a literal special token in
        the text (e.g. PTB's ``<unk>``) maps to its special id. ``hint`` (a locale) puts its
        hint token in front (``hint_id``).
        """
        unknown = self._unknown if unknown is None else unknown
        if unknown not in UNKNOWN_POLICIES:
            raise AttnseqError(f"unknown must be 'error' or 'unk', got {unknown!r}")
        pieces = self.split(text, part)
        ids = [self._ids.get(tok, -1) for tok in pieces]
        if hint is not None:
            ids.insert(0, self.hint_id(hint))
        if unknown == "unk":
            return [self.unk_id if i < 0 else i for i in ids]
        missing = list(dict.fromkeys(tok for tok, i in zip(pieces, ids) if i < 0))
        if missing:
            noun = token_noun(self.level_of(part), len(missing))
            listed = ", ".join(repr(tok) for tok in missing)
            raise AttnseqError(f"unknown {noun} {listed} in input {quote_text(text)}")
        return ids

    def decode(self, ids: Iterable[int], *, stop_at_end: bool = True) -> str:
        """Text of ``ids`` (a list or a 1-D array): PAD and START are skipped, and so is END
        unless ``stop_at_end``, in which case decoding stops at the first END. UNK shows as
        ``<unk>``. Characters are joined with "", words with a single space.
        """
        out: list[str] = []
        end, skipped, tokens = self.end_id, (self.pad_id, self.start_id, self.end_id), \
            self._tokens
        # plain ints first: a date normaliser decodes thousands of answers a second, and
        # reading NumPy scalars one by one would cost more than the rest of the loop
        for i in map(int, ids.tolist() if hasattr(ids, "tolist") else ids):
            if i == end and stop_at_end:
                break
            if i in skipped:
                continue
            out.append(tokens[i] if 0 <= i < len(tokens) else self.id_to_token(i))
        return self.join(out)

    # -- value semantics ----------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (self._level == other._level and self._question_level == other._question_level
                and self._tokens == other._tokens and self._unknown == other._unknown)

    def __hash__(self) -> int:
        return hash((self._level, self._question_level, self._tokens, self._unknown))

    def __repr__(self) -> str:
        return f"Vocab(level={self._level!r}, size={len(self)})"


def _check_token(tok: object, level: str) -> None:
    """A token must be something ``encode`` could ever produce at this level."""
    if not isinstance(tok, str):
        raise AttnseqError(f"vocabulary tokens must be strings, got {tok!r}")
    if level == "char" and len(tok) != 1 and not is_hint(tok):
        raise AttnseqError(f"a character vocabulary holds single characters, got {tok!r}")
    if level == "word" and (not tok or tok.split() != [tok]):
        raise AttnseqError(f"a word vocabulary holds non-empty tokens without spaces, got {tok!r}")
