"""danlu.text: tokenisation, Vocab, The Time Machine, and the two LM minibatch schemes."""
from __future__ import annotations

import numpy as np
import pytest

import danlu
from danlu import text


def test_time_machine_ships():
    from danlu.datasets import load_time_machine

    raw = load_time_machine()
    assert raw.startswith("The Time Machine") and "Project Gutenberg" not in raw[:2000]
    lines = text.read_time_machine()
    assert all(set(ln) <= set("abcdefghijklmnopqrstuvwxyz ") for ln in lines)
    corpus, vocab = text.load_corpus_time_machine()
    assert len(vocab) == 28 and vocab.idx_to_token[:3] == ["<unk>", " ", "e"]
    assert 150_000 < len(corpus) < 200_000
    assert len(text.load_corpus_time_machine(max_tokens=1000)[0]) == 1000


def test_tokenize():
    lines = ["the time machine", "by h g wells"]
    assert text.tokenize(lines)[1] == ["by", "h", "g", "wells"]
    assert text.tokenize(lines, "char")[0][:4] == ["t", "h", "e", " "]
    with pytest.raises(ValueError, match="unknown token type"):
        text.tokenize(lines, "byte")


def test_vocab():
    toks = [["b", "a", "c", "a"], ["c", "a", "d"]]
    v = text.Vocab(toks, min_freq=2, reserved_tokens=["<pad>", "<bos>"])
    assert v.idx_to_token == ["<unk>", "<pad>", "<bos>", "a", "c"]
    assert v.token_to_idx["c"] == 4 and len(v) == 5
    assert v["a"] == 3 and v["zzz"] == v.unk == 0 and v[["c", "b"]] == [4, 0]
    assert v.to_tokens([3, 4]) == ["a", "c"] and v.to_tokens(danlu.tensor([1])) == ["<pad>"]
    assert v.token_freqs[:2] == [("a", 3), ("c", 2)]
    assert "a" in v and "b" not in v
    assert text.Vocab(toks).idx_to_token == ["<unk>", "a", "c", "b", "d"]  # ties: first appearance
    with pytest.raises(IndexError, match="out of range"):
        v.to_tokens(9)


@pytest.mark.parametrize("scheme", [text.seq_data_iter_random, text.seq_data_iter_sequential])
def test_lm_iterators_shapes_and_shift(scheme):
    corpus = list(range(100))
    batches = list(scheme(corpus, batch_size=3, num_steps=5))
    assert len(batches) >= 5
    for X, Y in batches:
        assert X.dtype == danlu.int64 and tuple(X.shape) == (3, 5) == tuple(Y.shape)
        assert np.array_equal(Y.numpy(), X.numpy() + 1)  # Y is X shifted one token on
        assert (np.diff(X.numpy(), axis=1) == 1).all()  # contiguous runs of the corpus


def test_random_sampling_subsequences_do_not_overlap():
    danlu.manual_seed(0)
    starts = [int(x) for X, _ in text.seq_data_iter_random(list(range(200)), 4, 6) for x in X.numpy()[:, 0]]
    assert len(starts) == len(set(starts)) and len({s % 6 for s in starts}) == 1
    assert starts != sorted(starts)


def test_sequential_partitioning_rows_continue():
    danlu.manual_seed(1)
    batches = list(text.seq_data_iter_sequential(list(range(200)), 4, 6))
    for (X0, _), (X1, _) in zip(batches, batches[1:]):
        assert np.array_equal(X1.numpy()[:, 0], X0.numpy()[:, -1] + 1)


def test_iterators_deterministic_under_seed_and_loader():
    danlu.manual_seed(7)
    a = [X.numpy() for X, _ in text.seq_data_iter_random(list(range(300)), 2, 7)]
    danlu.manual_seed(7)
    b = [X.numpy() for X, _ in text.seq_data_iter_random(list(range(300)), 2, 7)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    it, vocab = text.load_data_time_machine(batch_size=4, num_steps=10, use_random_iter=True)
    X, Y = next(iter(it))
    assert tuple(X.shape) == (4, 10) and len(vocab) == 28 and int(X.max()) < len(vocab)
