"""A hand-built date model whose every answer's probability is known (``ScriptModel``), and a
converter around it."""

import numpy as np
import pytest

from attnseq.decoding import greedy
from attnseq.experiments.converter import Converter
from attnseq.models.config import Seq2seqConfig
from attnseq.tasks.vocab import Vocab, hint_token

EPS = 1e-4  # probability mass spread over every token, so that no log-probability is -inf


class ScriptModel:
    """A decodable model that answers each known question with a fixed distribution over
    whole answers: ``script`` maps an encoded question (a tuple of ids) to {answer ids (end
    token included): probability}. The next token's probability is the mass of the answers
    that go on with it after the prefix, mixed with EPS of a uniform distribution."""

    def __init__(self, script, V):
        self.keys = list(script)
        self.tables = [script[k] for k in self.keys]
        self.V = V

    def next_probs(self, table, prefix):
        p = np.full(self.V, EPS / self.V)
        for answer, mass in table.items():
            if tuple(answer[:len(prefix)]) == tuple(prefix) and len(answer) > len(prefix):
                p[answer[len(prefix)]] += (1 - EPS) * mass
        return p / p.sum()

    def sequence_probability(self, key, answer):
        table = self.tables[self.keys.index(key)]
        return float(np.prod([self.next_probs(table, answer[:j])[answer[j]]
                              for j in range(len(answer))]))

    def generate(self, xs, start_id, length):
        return greedy(self, xs, start_id, length)

    def start(self, xs):
        rows = np.array([self.keys.index(tuple(int(i) for i in x)) for x in np.asarray(xs)])
        return {"row": rows, "prefix": np.zeros((len(rows), 0), np.int64),
                "started": np.zeros(len(rows), bool)}

    def step(self, tokens, state):
        # the first step reads the start token, which is no part of the answer
        prefix = np.concatenate([state["prefix"], np.asarray(tokens)[:, None]], axis=1) \
            if state["started"].all() else state["prefix"]
        probs = [self.next_probs(self.tables[r], p) for r, p in zip(state["row"], prefix)]
        return np.log(probs), {"row": state["row"], "prefix": prefix,
                               "started": np.ones(len(prefix), bool)}


class Scripted:
    """A ``Converter`` around a ``ScriptModel`` built from {question: {answer: probability}};
    in the book's layout (``book=True``) its answers are padded to 10 characters and have no
    end token, as the book's are; ``hints``: the locale hints its vocabulary holds."""

    def __init__(self, script: dict, book: bool = False, hints: tuple[str, ...] = ()):
        vocab = Vocab([*"0123456789-/ .,abcdefghijklmnopqrstuvwxyz",
                       *(hint_token(h) for h in hints)])
        config = Seq2seqConfig(wordvec_size=2, hidden_size=2, **(
            {"layout": "book", "question_len": 12, "answer_len": 10} if book else {}))
        self.book = book
        self.conv = Converter.create(config, vocab, seed=0)
        self.keys = {q: tuple(int(i) for i in self.conv.encode_questions([q])[0])
                     for q in script}
        self.model = ScriptModel({self.keys[q]: {self.answer_ids(a): p for a, p in d.items()}
                                  for q, d in script.items()}, len(vocab))
        self.conv.model = self.model

    def answer_ids(self, answer: str):
        if self.book:
            return tuple(self.conv.vocab.encode(answer.ljust(10)))
        return (*self.conv.vocab.encode(answer), self.conv.vocab.end_id)

    def probability(self, question: str, answer: str) -> float:
        return self.model.sequence_probability(self.keys[question], self.answer_ids(answer))


@pytest.fixture
def scripted():
    return Scripted
