"""Tokens, vocabularies, and the two minibatch schemes for language models.

For a corpus (a list of token indices), both schemes yield ``(X, Y)`` int64 tensors of shape
``(batch_size, num_steps)`` with ``Y`` the next tokens of ``X`` (``Y[:, t] = corpus[pos + t + 1]``):

* random sampling: drop a random prefix of ``0..num_steps-1`` tokens, cut the rest into
  non-overlapping subsequences of ``num_steps``, and serve them in a random order; consecutive
  minibatches are not adjacent in the text;
* sequential partitioning: drop a random prefix of ``0..num_steps`` tokens, lay the rest out as
  ``batch_size`` parallel rows, and walk them ``num_steps`` at a time, so row ``i`` of minibatch
  ``k + 1`` continues row ``i`` of minibatch ``k`` (hidden state can be carried over).

Random draws come from danlu's global generator (``danlu.manual_seed`` makes them reproducible).
"""
from __future__ import annotations

import collections
import re
from typing import Iterable, Iterator, Sequence

import numpy as np

from .._tensor import Tensor


def _rng() -> np.random.Generator:
    from .. import _random

    return _random.default_generator._rng


def read_time_machine() -> list[str]:
    """The Time Machine as lines of lower-case letters and spaces (everything else -> one space)."""
    from ..datasets.text import load_time_machine

    return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in load_time_machine().splitlines()]


def tokenize(lines: Sequence[str], token: str = "word") -> list[list[str]]:
    """Split each line into words (on whitespace) or characters."""
    if token == "word":
        return [line.split() for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    raise ValueError(f"unknown token type: {token!r} (expected 'word' or 'char')")


def count_corpus(tokens) -> collections.Counter:
    """Token frequencies of a flat or nested (list of lines) token list."""
    if len(tokens) == 0 or isinstance(tokens[0], list):
        tokens = [tok for line in tokens for tok in line]
    return collections.Counter(tokens)


class Vocab:
    """Token <-> index. Index 0 is ``'<unk>'`` (what unknown tokens map to), then the
    ``reserved_tokens``, then the tokens seen at least ``min_freq`` times, most frequent first
    (ties in order of first appearance)."""

    def __init__(self, tokens=None, min_freq: int = 0, reserved_tokens: Sequence[str] | None = None) -> None:
        tokens = [] if tokens is None else tokens
        reserved_tokens = list(reserved_tokens or [])
        counter = count_corpus(tokens)
        self._token_freqs = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)
        self.idx_to_token = ["<unk>"] + [t for t in reserved_tokens if t != "<unk>"]
        self.token_to_idx = {tok: i for i, tok in enumerate(self.idx_to_token)}
        for tok, freq in self._token_freqs:
            if freq < min_freq:
                break
            if tok not in self.token_to_idx:
                self.token_to_idx[tok] = len(self.idx_to_token)
                self.idx_to_token.append(tok)

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if isinstance(tokens, (list, tuple)):
            return [self.__getitem__(t) for t in tokens]
        return self.token_to_idx.get(tokens, self.unk)

    def __contains__(self, token) -> bool:
        return token in self.token_to_idx

    def to_tokens(self, indices):
        if isinstance(indices, Tensor):
            indices = indices.tolist()
        if isinstance(indices, (list, tuple)):
            return [self.to_tokens(i) for i in indices]
        if not 0 <= int(indices) < len(self):
            raise IndexError(f"index {indices} is out of range for a vocabulary of {len(self)} tokens")
        return self.idx_to_token[int(indices)]

    @property
    def unk(self) -> int:
        return 0

    @property
    def token_freqs(self) -> list[tuple[str, int]]:
        return self._token_freqs

    def __repr__(self) -> str:
        head = ", ".join(self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, tokens=[{head}{', ...' if len(self) > 8 else ''}])"


def load_corpus_time_machine(max_tokens: int = -1, token: str = "char") -> tuple[list[int], Vocab]:
    """``(corpus, vocab)`` of The Time Machine: the token indices of the whole book, in order."""
    tokens = tokenize(read_time_machine(), token)
    vocab = Vocab(tokens)
    corpus = [vocab[tok] for line in tokens for tok in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab


def _batch(arr: np.ndarray) -> Tensor:
    return Tensor._make(np.ascontiguousarray(arr, dtype=np.int64))


def seq_data_iter_random(corpus: Sequence[int], batch_size: int, num_steps: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Minibatches of randomly ordered, non-overlapping subsequences (see the module docstring)."""
    c = np.asarray(corpus, dtype=np.int64)
    c = c[int(_rng().integers(0, num_steps)):]
    num_subseqs = (len(c) - 1) // num_steps
    starts = np.arange(0, num_subseqs * num_steps, num_steps)
    _rng().shuffle(starts)
    steps = np.arange(num_steps)
    for i in range(0, batch_size * (num_subseqs // batch_size), batch_size):
        pos = starts[i:i + batch_size, None] + steps
        yield _batch(c[pos]), _batch(c[pos + 1])


def seq_data_iter_sequential(corpus: Sequence[int], batch_size: int,
                             num_steps: int) -> Iterator[tuple[Tensor, Tensor]]:
    """Minibatches whose rows continue from one minibatch to the next (see the module docstring)."""
    c = np.asarray(corpus, dtype=np.int64)
    offset = int(_rng().integers(0, num_steps + 1))
    num_tokens = ((len(c) - offset - 1) // batch_size) * batch_size
    xs = c[offset:offset + num_tokens].reshape(batch_size, -1)
    ys = c[offset + 1:offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, num_steps * (xs.shape[1] // num_steps), num_steps):
        yield _batch(xs[:, i:i + num_steps]), _batch(ys[:, i:i + num_steps])


class SeqDataLoader:
    """Iterate over The Time Machine (or any ``corpus``) in LM minibatches; a fresh random offset
    (and order) each epoch."""

    def __init__(self, batch_size: int, num_steps: int, use_random_iter: bool = False, max_tokens: int = 10000,
                 corpus: Iterable[int] | None = None, vocab: Vocab | None = None) -> None:
        if corpus is None:
            corpus, vocab = load_corpus_time_machine(max_tokens)
        self.corpus, self.vocab = list(corpus), vocab
        self.batch_size, self.num_steps = batch_size, num_steps
        self.data_iter_fn = seq_data_iter_random if use_random_iter else seq_data_iter_sequential

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)


def load_data_time_machine(batch_size: int, num_steps: int, use_random_iter: bool = False,
                           max_tokens: int = 10000) -> tuple[SeqDataLoader, Vocab]:
    """``(data_iter, vocab)`` over the first ``max_tokens`` characters of The Time Machine."""
    it = SeqDataLoader(batch_size, num_steps, use_random_iter, max_tokens)
    return it, it.vocab
