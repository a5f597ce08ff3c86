"""danlu.vision.transforms: torch oracles where torch has the op, hand-computed values elsewhere."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu
from danlu.vision import transforms as T
from danlu.vision.transforms import functional as F
from tests._oracle import assert_close


def _img(h=6, w=8, c=None, seed=0):
    rng = np.random.default_rng(seed)
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(0, 256, shape, dtype=np.uint8)


def test_to_tensor_and_normalize():
    a = _img(4, 5, 3)
    t = T.ToTensor()(a)
    assert t.dtype == danlu.float32 and tuple(t.shape) == (3, 4, 5)
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert tuple(T.ToTensor()(_img(4, 5)).shape) == (1, 4, 5)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    ref = (torch.from_numpy(t.numpy()) - torch.tensor(mean)[:, None, None]) / torch.tensor(std)[:, None, None]
    assert_close(T.Normalize(mean, std)(t), ref)
    with pytest.raises(TypeError, match="pic should be PIL Image or ndarray"):
        T.ToTensor()(t)
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize([0.0], [0.0])(t)


@pytest.mark.parametrize("size", [(3, 5), (12, 20), 4])
@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
def test_resize_matches_torch_interpolate(size, mode):
    x = np.random.default_rng(1).random((2, 3, 9, 11)).astype(np.float32)
    out = F.resize(danlu.from_numpy(x), size, F.InterpolationMode(mode))
    tsize = size if isinstance(size, tuple) else (4, int(4 * 11 / 9))
    kw = dict(align_corners=False, antialias=True) if mode != "nearest" else {}
    ref = torch.nn.functional.interpolate(torch.from_numpy(x), size=tsize, mode=mode, **kw)
    assert_close(out, ref, atol=1e-5)


def test_resize_uint8_array_keeps_kind():
    out = T.Resize((3, 4))(_img(6, 8, 3))
    assert isinstance(out, np.ndarray) and out.dtype == np.uint8 and out.shape == (3, 4, 3)


def test_crops_pads_flips():
    a = np.arange(30, dtype=np.uint8).reshape(5, 6)
    assert np.array_equal(T.CenterCrop(3)(a), a[1:4, 2:5])
    assert np.array_equal(F.crop(a, 1, 2, 2, 3), a[1:3, 2:5])
    padded = T.Pad((1, 2))(a)
    assert padded.shape == (9, 8) and padded[0].sum() == 0 and np.array_equal(padded[2:7, 1:7], a)
    assert np.array_equal(T.RandomHorizontalFlip(p=1.0)(a), a[:, ::-1])
    assert np.array_equal(T.RandomVerticalFlip(p=1.0)(a), a[::-1])
    assert T.RandomHorizontalFlip(p=0.0)(a) is a
    t = T.ToTensor()(a)
    assert np.array_equal(F.hflip(t).numpy(), torch.from_numpy(t.numpy()).flip(-1).numpy())
    crops = {T.RandomCrop(5, padding=2)(a).tobytes() for _ in range(20)}
    assert len(crops) > 1
    for _ in range(10):  # every random crop is a window of the padded image
        c = T.RandomCrop((5, 6), padding=2)(a)
        full = np.pad(a, 2)
        assert any(np.array_equal(c, full[i:i + 5, j:j + 6]) for i in range(5) for j in range(5))
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(10)(a)
    assert T.RandomCrop(10, pad_if_needed=True)(a).shape == (10, 10)


def test_random_resized_crop_shape_range_and_seed():
    a = _img(20, 24, 3)
    danlu.manual_seed(3)
    first = [T.RandomResizedCrop((8, 10))(a) for _ in range(3)]
    danlu.manual_seed(3)
    again = [T.RandomResizedCrop((8, 10))(a) for _ in range(3)]
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert all(x.shape == (8, 10, 3) and x.dtype == np.uint8 for x in first)
    i, j, h, w = T.RandomResizedCrop.get_params(a, (0.08, 1.0), (3 / 4, 4 / 3))
    assert 0 <= i and i + h <= 20 and 0 <= j and j + w <= 24


def test_rotation():
    a = np.arange(25, dtype=np.uint8).reshape(5, 5)
    assert np.array_equal(F.rotate(a, 90), np.rot90(a))  # counter-clockwise
    assert np.array_equal(F.rotate(a, 0), a)
    big = F.rotate(np.ones((4, 8), np.uint8), 90, expand=True)
    assert big.shape == (8, 4) and big.all()
    r = T.RandomRotation(30, fill=0)(T.ToTensor()(_img(9, 9)))
    assert tuple(r.shape) == (1, 9, 9) and 0 <= r.min().item() and r.max().item() <= 1


def test_color_adjustments_by_hand():
    t = danlu.from_numpy(np.random.default_rng(2).random((3, 4, 5)).astype(np.float32))
    x = t.numpy()
    np.testing.assert_allclose(F.adjust_brightness(t, 1.5).numpy(), np.clip(1.5 * x, 0, 1), rtol=1e-6)
    gray = (0.2989 * x[0] + 0.587 * x[1] + 0.114 * x[2])
    np.testing.assert_allclose(F.adjust_contrast(t, 0.3).numpy(), np.clip(0.3 * x + 0.7 * gray.mean(), 0, 1),
                               rtol=1e-5)
    np.testing.assert_allclose(F.adjust_saturation(t, 0.0).numpy(), np.broadcast_to(gray, x.shape), rtol=1e-5)
    np.testing.assert_allclose(F.adjust_hue(t, 0.0).numpy(), x, atol=1e-6)
    red = np.zeros((3, 1, 1), np.float32)
    red[0] = 1
    np.testing.assert_allclose(F.adjust_hue(danlu.from_numpy(red), 1 / 3).numpy().ravel(), [0, 1, 0], atol=1e-6)
    g = _img(4, 4)
    assert np.array_equal(F.adjust_saturation(g, 0.2), g)  # one channel: no-op


def test_color_jitter_invariants_and_seed():
    a = _img(8, 8, 3)
    jitter = T.ColorJitter(0.4, 0.4, 0.4, 0.1)
    danlu.manual_seed(5)
    x = jitter(a)
    danlu.manual_seed(5)
    assert np.array_equal(jitter(a), x)
    assert x.shape == a.shape and x.dtype == np.uint8
    t = jitter(T.ToTensor()(a))
    assert 0 <= t.min().item() and t.max().item() <= 1
    with pytest.raises(ValueError, match="hue values should be between"):
        T.ColorJitter(hue=0.7)


def test_random_erasing():
    t = danlu.ones(3, 16, 16)
    out = T.RandomErasing(p=1.0, value=0)(t)
    zeros = (out.numpy() == 0).all(0)
    area = zeros.sum()
    assert 0.02 * 256 * 0.5 <= area <= 0.33 * 256 * 1.5
    rows, cols = np.flatnonzero(zeros.any(1)), np.flatnonzero(zeros.any(0))
    assert zeros[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].all()  # a rectangle
    assert t.min().item() == 1  # not in place
    assert T.RandomErasing(p=0.0)(t) is t


def test_lambda_compose_apply():
    pipe = T.Compose([T.Lambda(lambda x: x + 1), T.RandomApply([T.Lambda(lambda x: x * 10)], p=1.0)])
    assert pipe(1) == 20
    assert T.RandomChoice([T.Lambda(lambda x: 7)])(0) == 7
    assert "Lambda" in repr(pipe)


def test_pil_images_accepted():
    Image = pytest.importorskip("PIL.Image")
    a = _img(5, 7, 3)
    t = T.ToTensor()(Image.fromarray(a))
    np.testing.assert_allclose(t.numpy(), a.transpose(2, 0, 1) / 255.0, rtol=1e-6)
    assert T.CenterCrop(3)(Image.fromarray(a)).shape == (3, 3, 3)


def test_mixup_labels_and_images():
    x = danlu.rand(6, 1, 4, 4)
    y = danlu.tensor([0, 1, 2, 0, 1, 2])
    xm, ym = T.MixUp(alpha=0.5, num_classes=3)(x, y)
    ya = np.eye(3)[y.numpy()]
    lam = float(ym.numpy()[0, 0])  # sample 0 (class 0) is mixed with sample 5 (class 2)
    np.testing.assert_allclose(ym.numpy().sum(1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(xm.numpy(), lam * x.numpy() + (1 - lam) * np.roll(x.numpy(), 1, 0), rtol=1e-5)
    np.testing.assert_allclose(ym.numpy(), lam * ya + (1 - lam) * np.roll(ya, 1, 0), rtol=1e-5)


def test_cutmix_label_fraction_is_pixel_fraction():
    x = danlu.zeros(4, 1, 10, 10)
    x[1:] = 1.0
    y = danlu.tensor([0, 1, 1, 1])
    for seed in range(5):
        danlu.manual_seed(seed)
        xm, ym = T.CutMix(num_classes=2)(x, y)
        pasted = (xm.numpy()[0] == 1).mean()  # sample 0 receives pixels of sample 3 (value 1)
        np.testing.assert_allclose(ym.numpy()[0], [1 - pasted, pasted], atol=1e-6)


def test_soft_target_cross_entropy_is_mixed_loss():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 4))
    ya, yb = np.array([0, 1, 2, 3, 0]), np.array([1, 1, 0, 2, 3])
    lam = 0.3
    soft = lam * np.eye(4)[ya] + (1 - lam) * np.eye(4)[yb]
    lg = danlu.tensor(logits, requires_grad=True)
    loss = T.soft_target_cross_entropy(lg, danlu.tensor(soft))
    tl = torch.tensor(logits, requires_grad=True)
    ce = torch.nn.functional.cross_entropy
    ref = lam * ce(tl, torch.tensor(ya)) + (1 - lam) * ce(tl, torch.tensor(yb))
    assert_close(loss, ref)
    loss.backward()
    ref.backward()
    assert_close(lg.grad, tl.grad)
    with pytest.raises(ValueError, match=r"Expected labels of shape \(5,\)"):
        T.MixUp(num_classes=4)(danlu.rand(5, 1, 2, 2), danlu.tensor([0, 1]))
