"""danlu-only losses and metrics the course uses but torch.nn does not ship.

* ``zero_one_loss`` - the classification error rate (a metric, not differentiable);
* ``exponential_loss`` - AdaBoost's ``exp(-y f(x))`` for labels in {-1, +1};
* ``box_iou``, ``iou_loss``, ``giou_loss`` - overlap of axis-aligned boxes ``(x1, y1, x2, y2)``.

Everything here is written in danlu Tensor ops, so it runs on any backend and (except the
zero-one loss) is differentiable.
"""
from __future__ import annotations

from ._tensor import Tensor

__all__ = ["zero_one_loss", "exponential_loss", "box_area", "box_iou", "iou_loss", "giou_loss"]


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def zero_one_loss(pred: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``L = mean_i [yhat_i != y_i]``: the fraction of misclassified samples.

    ``pred`` is either class scores (N, C) - the predicted class is ``argmax`` over dim 1 - or
    already hard predictions with ``target``'s shape.  A metric: the result carries no gradient.
    ``reduction='sum'`` counts the errors, ``'none'`` gives the 0/1 vector.
    """
    if pred.ndim == target.ndim + 1:
        pred = pred.argmax(1)
    if tuple(pred.shape) != tuple(target.shape):
        raise ValueError(f"zero_one_loss: predictions of shape {tuple(pred.shape)} do not match targets "
                         f"of shape {tuple(target.shape)}")
    from ._dtype import get_default_dtype

    wrong = (pred.detach() != target.detach()).to(get_default_dtype())
    return _reduce(wrong, reduction)


def exponential_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """``L = exp(-y f(x))`` for margin scores ``f(x)`` and labels ``y`` in {-1, +1}
    (the loss AdaBoost minimises; an upper bound of the zero-one loss)."""
    return _reduce((-(input * target)).exp(), reduction)


def box_area(boxes: Tensor) -> Tensor:
    """``(x2 - x1) * (y2 - y1)`` for boxes (..., 4)."""
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _check_boxes(*boxes: Tensor) -> None:
    for b in boxes:
        if b.ndim == 0 or b.shape[-1] != 4:
            raise ValueError(f"boxes must have shape (..., 4) as (x1, y1, x2, y2), got {tuple(b.shape)}")


def _inter_union(a: Tensor, b: Tensor):
    lt_x = a[..., 0].maximum(b[..., 0])
    lt_y = a[..., 1].maximum(b[..., 1])
    rb_x = a[..., 2].minimum(b[..., 2])
    rb_y = a[..., 3].minimum(b[..., 3])
    inter = (rb_x - lt_x).clamp(min=0) * (rb_y - lt_y).clamp(min=0)
    union = box_area(a) + box_area(b) - inter
    return inter, union


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU matrix (N, M) of boxes1 (N, 4) and boxes2 (M, 4)::

        IoU(A, B) = |A ∩ B| / |A ∪ B|
    """
    _check_boxes(boxes1, boxes2)
    inter, union = _inter_union(boxes1.unsqueeze(1), boxes2.unsqueeze(0))
    return inter / union


def iou_loss(pred: Tensor, target: Tensor, reduction: str = "mean", eps: float = 1e-7) -> Tensor:
    """``L = 1 - IoU(pred_i, target_i)`` for matched boxes (..., 4); ``eps`` guards empty unions."""
    _check_boxes(pred, target)
    inter, union = _inter_union(pred, target)
    return _reduce(1 - inter / (union + eps), reduction)


def giou_loss(pred: Tensor, target: Tensor, reduction: str = "mean", eps: float = 1e-7) -> Tensor:
    """Generalised IoU loss (Rezatofighi et al. 2019) for matched boxes (..., 4)::

        GIoU = IoU - |C \\ (A ∪ B)| / |C|,   L = 1 - GIoU

    with ``C`` the smallest box enclosing both; unlike ``1 - IoU`` it still has a gradient
    when the boxes do not overlap.  ``L`` lies in [0, 2].
    """
    _check_boxes(pred, target)
    inter, union = _inter_union(pred, target)
    iou = inter / (union + eps)
    cw = pred[..., 2].maximum(target[..., 2]) - pred[..., 0].minimum(target[..., 0])
    ch = pred[..., 3].maximum(target[..., 3]) - pred[..., 1].minimum(target[..., 1])
    c = cw * ch + eps
    return _reduce(1 - (iou - (c - union) / c), reduction)
