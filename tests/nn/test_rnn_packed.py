"""PackedSequence utilities and packed input to RNN / LSTM / GRU, vs torch (values and gradients)."""
import numpy as np
import pytest
import torch
from torch.nn.utils import rnn as TR

import danlu
import danlu.nn as nn
from danlu.nn.utils import rnn as DR
from tests._oracle import assert_close


def _both(x, dt="float64"):
    x = x.astype(dt)
    return danlu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,sort", [([4, 3, 1], True), ([2, 4, 1], False), ([4, 4, 4], True)])
def test_pack_pad_roundtrip(batch_first, lengths, sort):
    x = np.random.default_rng(0).standard_normal((3, 4, 2) if batch_first else (4, 3, 2))
    xd, xt = _both(x)
    res = []
    for R, xx in ((DR, xd), (TR, xt)):
        p = R.pack_padded_sequence(xx, lengths, batch_first=batch_first, enforce_sorted=sort)
        pd, n = R.pad_packed_sequence(p, batch_first=batch_first, padding_value=-2.0, total_length=5)
        ((pd * pd).sum() + p.data.sum()).backward()
        res.append((p.data, p.batch_sizes, pd, n, xx.grad))
        assert (p.sorted_indices is None) == sort
        if not sort:
            res[-1] += (p.sorted_indices, p.unsorted_indices)
    for a, b in zip(*res):
        assert_close(a, b)


def test_pad_sequence_pack_sequence_and_errors():
    seqs = [np.ones((2, 3)), 2 * np.ones((4, 3)), 3 * np.ones((1, 3))]
    for kw in ({}, dict(batch_first=True, padding_value=-1.0), dict(padding_side="left")):
        assert_close(DR.pad_sequence([danlu.tensor(s) for s in seqs], **kw),
                     TR.pad_sequence([torch.tensor(s) for s in seqs], **kw))
    pd = DR.pack_sequence([danlu.tensor(s) for s in seqs], enforce_sorted=False)
    pt = TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close([pd.data, pd.batch_sizes, pd.sorted_indices], [pt.data, pt.batch_sizes, pt.sorted_indices])
    assert_close(DR.unpack_sequence(pd), TR.unpack_sequence(pt))
    assert isinstance(pd, tuple) and pd._fields == pt._fields
    assert pd.double().data.dtype == danlu.float64
    x = danlu.zeros(4, 3, 2)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        DR.pack_padded_sequence(x, [3, 4, 1])
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        DR.pack_padded_sequence(x, [4, 3, 0])
    with pytest.raises(RuntimeError, match=r"Expected `len\(lengths\)` to be equal to batch_size, but got 2"):
        DR.pack_padded_sequence(x, [4, 3])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest"):
        DR.pad_packed_sequence(DR.pack_padded_sequence(x, [4, 3, 1]), total_length=2)


@pytest.mark.parametrize("cls,kw", [("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", {}),
                                    ("RNN", dict(bidirectional=True, batch_first=True)),
                                    ("LSTM", dict(proj_size=2))])
@pytest.mark.parametrize("hx", [False, True])
def test_rnn_packed_input_matches_torch(cls, kw, hx):
    rng = np.random.default_rng(1)
    tm = getattr(torch.nn, cls)(3, 4, **kw).double()
    dm = getattr(nn, cls)(3, 4, **kw).double()
    dm.load_state_dict({k: danlu.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    bf = kw.get("batch_first", False)
    x = rng.standard_normal((3, 5, 3) if bf else (5, 3, 3))
    lengths = [2, 5, 3]
    nh = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hsz = kw.get("proj_size", 4)
    h0, c0 = rng.standard_normal((nh, 3, hsz)), rng.standard_normal((nh, 3, 4))
    res = []
    for lib, R, m in ((danlu, DR, dm), (torch, TR, tm)):
        xx, h, c = (lib.tensor(a, requires_grad=True) for a in (x, h0, c0))
        p = R.pack_padded_sequence(xx, lengths, batch_first=bf, enforce_sorted=False)
        state = ((h, c) if cls == "LSTM" else h) if hx else None
        out, hn = m(p, state)
        hn = list(hn) if cls == "LSTM" else [hn]
        pad, n = R.pad_packed_sequence(out, batch_first=bf)
        ((pad ** 2).sum() + sum((s * 3).sum() for s in hn)).backward()
        res.append([out.data, pad, n] + hn + [xx.grad] + ([h.grad] if hx else [])
                   + [q.grad for q in m.parameters()])
    for a, b in zip(*res):
        assert_close(a, b)
