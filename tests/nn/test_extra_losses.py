"""danlu.losses (danlu-only): zero-one, exponential, IoU / GIoU (checked against torchvision's
formulas written out in torch)."""
import numpy as np
import pytest
import torch

import danlu
from danlu import losses as L
from danlu.autograd import gradcheck
from tests._oracle import assert_close


def test_zero_one_loss():
    scores = danlu.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], requires_grad=True)
    y = danlu.tensor([1, 1, 1, 0])
    assert float(L.zero_one_loss(scores, y)) == 0.25
    assert float(L.zero_one_loss(scores, y, reduction="sum")) == 1.0
    assert L.zero_one_loss(scores, y).grad_fn is None
    assert L.zero_one_loss(danlu.tensor([1, 0]), danlu.tensor([1, 1]), reduction="none").tolist() == [0.0, 1.0]
    with pytest.raises(ValueError, match="do not match"):
        L.zero_one_loss(danlu.tensor([1, 0, 1]), danlu.tensor([1, 1]))


def test_exponential_loss():
    f = np.array([2.0, -1.0, 0.5])
    y = np.array([1.0, 1.0, -1.0])
    x = danlu.tensor(f, requires_grad=True)
    out = L.exponential_loss(x, danlu.tensor(y))
    assert np.isclose(float(out), np.exp(-f * y).mean())
    out.backward()
    assert np.allclose(x.grad.numpy(), -y * np.exp(-f * y) / 3)
    assert gradcheck(lambda a: L.exponential_loss(a, danlu.tensor(y), reduction="sum"), (x,))


def _torch_giou(p, t, eps=1e-7):
    ix = (torch.min(p[:, 2], t[:, 2]) - torch.max(p[:, 0], t[:, 0])).clamp(min=0)
    iy = (torch.min(p[:, 3], t[:, 3]) - torch.max(p[:, 1], t[:, 1])).clamp(min=0)
    inter = ix * iy
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    union = area(p) + area(t) - inter
    iou = inter / (union + eps)
    cw = torch.max(p[:, 2], t[:, 2]) - torch.min(p[:, 0], t[:, 0])
    ch = torch.max(p[:, 3], t[:, 3]) - torch.min(p[:, 1], t[:, 1])
    c = cw * ch + eps
    return 1 - iou, 1 - (iou - (c - union) / c)


def _boxes(n, seed):
    r = np.random.default_rng(seed)
    xy = r.uniform(0, 5, (n, 2))
    wh = r.uniform(0.5, 3, (n, 2))
    return np.concatenate([xy, xy + wh], 1)


def test_iou_giou_against_formula():
    p, t = _boxes(6, 1), _boxes(6, 2)
    p[0] = [0, 0, 1, 1]
    t[0] = [2, 2, 3, 3]  # disjoint: IoU 0, GIoU still informative
    pd, pt = danlu.tensor(p, requires_grad=True), torch.tensor(p, requires_grad=True)
    iou_t, giou_t = _torch_giou(pt, torch.tensor(t))
    for fn, ref in ((L.iou_loss, iou_t), (L.giou_loss, giou_t)):
        out = fn(pd, danlu.tensor(t), reduction="none")
        assert_close(out, ref)
        g = danlu.autograd.grad(out.sum(), pd)[0]
        gt = torch.autograd.grad(ref.sum(), pt, retain_graph=True)[0]
        assert_close(g, gt)
    assert float(L.giou_loss(pd, danlu.tensor(t), reduction="none")[0]) > 1.0
    assert float(L.iou_loss(danlu.tensor(t), danlu.tensor(t))) < 1e-6
    assert gradcheck(lambda a: L.giou_loss(a, danlu.tensor(t)), (pd,))


def test_box_iou_matrix():
    a, b = _boxes(3, 3), _boxes(4, 4)
    m = L.box_iou(danlu.tensor(a), danlu.tensor(b)).numpy()
    assert m.shape == (3, 4)
    for i in range(3):
        for j in range(4):
            ix = max(0, min(a[i, 2], b[j, 2]) - max(a[i, 0], b[j, 0]))
            iy = max(0, min(a[i, 3], b[j, 3]) - max(a[i, 1], b[j, 1]))
            inter = ix * iy
            u = (a[i, 2] - a[i, 0]) * (a[i, 3] - a[i, 1]) + (b[j, 2] - b[j, 0]) * (b[j, 3] - b[j, 1]) - inter
            assert np.isclose(m[i, j], inter / u)
    with pytest.raises(ValueError, match="boxes must have shape"):
        L.box_iou(danlu.randn(3, 3), danlu.randn(2, 4))
