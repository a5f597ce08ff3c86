"""Batch-level MixUp and CutMix (torchvision.transforms.v2) and the loss for their mixed labels.

Both take a batch ``(images (B, C, H, W), labels (B,) int)`` and pair each sample with the next one
(``roll(1, 0)``), with ``lam ~ Beta(alpha, alpha)``:

* MixUp: ``x = lam * x + (1 - lam) * x_rolled``;
* CutMix: a box covering ``1 - lam`` of the image (clipped at the borders) is pasted from
  ``x_rolled``, and ``lam`` becomes the exact fraction of the image left untouched.

Labels become soft: ``y = lam * one_hot(y) + (1 - lam) * one_hot(y_rolled)``; train on them with
:func:`soft_target_cross_entropy` (``-sum(y * log_softmax(logits)) / B``), which is the same as
``lam * CE(logits, y) + (1 - lam) * CE(logits, y_rolled)``.
"""
from __future__ import annotations

import math

import numpy as np

from ..._tensor import Tensor
from .transforms import _rng

__all__ = ["MixUp", "CutMix", "soft_target_cross_entropy"]


class _BatchMix:
    def __init__(self, *, alpha: float = 1.0, num_classes: int | None = None) -> None:
        if alpha <= 0:
            raise ValueError("Alpha param can't be zero.")
        if num_classes is not None and num_classes < 1:
            raise ValueError(f"num_classes must be >=1, but got num_classes={num_classes}")
        self.alpha = float(alpha)
        self.num_classes = num_classes

    def _check(self, images, labels):
        if not isinstance(images, Tensor) or images.ndim != 4:
            shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
            raise ValueError(f"Expected a batch of images of shape (B, C, H, W), got {shape}")
        y = np.asarray(labels._data if isinstance(labels, Tensor) else labels)
        if y.ndim != 1 or y.shape[0] != images.shape[0] or y.dtype.kind not in "iu":
            raise ValueError(f"Expected labels of shape ({images.shape[0]},) and an integer dtype, "
                             f"got {tuple(y.shape)} of {y.dtype}")
        n = self.num_classes if self.num_classes is not None else int(y.max()) + 1
        onehot = np.zeros((y.shape[0], n), dtype=images._data.dtype)
        onehot[np.arange(y.shape[0]), y] = 1
        return images._data, onehot

    def _lam(self) -> float:
        return float(_rng().beta(self.alpha, self.alpha))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(alpha={self.alpha}, num_classes={self.num_classes})"


class MixUp(_BatchMix):
    """``(images, labels) -> (lam*x + (1-lam)*x.roll(1, 0), mixed one-hot labels)``."""

    def __call__(self, images: Tensor, labels):
        x, y = self._check(images, labels)
        lam = self._lam()
        xm = lam * x + (1.0 - lam) * np.roll(x, 1, axis=0)
        ym = lam * y + (1.0 - lam) * np.roll(y, 1, axis=0)
        return Tensor._make(xm.astype(x.dtype, copy=False)), Tensor._make(ym)


class CutMix(_BatchMix):
    """Paste a random box from the rolled batch; labels mixed by the box's exact area fraction."""

    def __call__(self, images: Tensor, labels):
        x, y = self._check(images, labels)
        lam = self._lam()
        h, w = x.shape[-2:]
        rx, ry = int(_rng().integers(0, w)), int(_rng().integers(0, h))
        r = 0.5 * math.sqrt(1.0 - lam)
        rw, rh = int(r * w), int(r * h)
        x1, y1 = max(rx - rw, 0), max(ry - rh, 0)
        x2, y2 = min(rx + rw, w), min(ry + rh, h)
        out = x.copy()
        out[..., y1:y2, x1:x2] = np.roll(x, 1, axis=0)[..., y1:y2, x1:x2]
        lam_adj = 1.0 - (x2 - x1) * (y2 - y1) / (w * h)
        ym = lam_adj * y + (1.0 - lam_adj) * np.roll(y, 1, axis=0)
        return Tensor._make(out), Tensor._make(ym.astype(y.dtype))


def soft_target_cross_entropy(logits: Tensor, target: Tensor) -> Tensor:
    """Mean over the batch of ``-sum_k target[k] * log_softmax(logits)[k]`` (differentiable)."""
    from ..._ops.reduction import logsumexp

    logp = logits - logsumexp(logits, 1, keepdim=True)
    return -(target * logp).sum(1).mean()
