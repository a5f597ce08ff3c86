"""nn.functional: dropout (elementwise, channel-wise, alpha)."""
from __future__ import annotations

import warnings

from ... import _backend as B
from ... import _random as R
from ..._ops import elementwise as E
from ..._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# -scale * alpha of SELU: the value SELU saturates to, which alpha dropout drops to
_ALPHA = 1.7580993408473766


def _check_p(p: float) -> None:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, p: float, like: Tensor):
    """Boolean array, True with probability ``1 - p``, from danlu's global generator."""
    import numpy as np  # the generator is NumPy's; the mask moves to the input's device

    u = R._rng(None).random(shape, dtype=np.float32 if like.dtype.np == np.float32 else np.float64)
    keep = u >= p
    if like.device.type != "cpu":  # pragma: no cover - cuda
        keep = B.move(keep, like.device)
    return keep


def _mul(input: Tensor, factor, inplace: bool) -> Tensor:
    if inplace:
        return input._inplace(E.mul, factor)
    return input * factor


def _dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return _mul(input, 0.0, inplace)
    keep = _keep_mask(mask_shape, p, input)
    scale = (keep * (1.0 / (1.0 - p))).astype(input.dtype.np)
    return _mul(input, Tensor._make(scale), inplace)


def _alpha_dropout(input: Tensor, p: float, training: bool, inplace: bool, mask_shape) -> Tensor:
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:
        return _mul(input, 0.0, inplace)
    keep = _keep_mask(mask_shape, p, input).astype(input.dtype.np)
    a = 1.0 / ((_ALPHA * _ALPHA * p + 1) * (1 - p)) ** 0.5
    b = Tensor._make(((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(input.dtype.np))
    m = Tensor._make((keep * a).astype(input.dtype.np))
    if inplace:
        return input._inplace(lambda x: x * m + b)
    return input * m + b


def _feature_shape(input: Tensor, batched: bool):
    lead = 2 if batched else 1
    return tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    (identity when not training)."""
    return _dropout(input, p, training, inplace, tuple(input.shape))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability ``p``."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs with 1 "
                           "spatial dimension, a channel dimension, and an optional batch dimension "
                           "(i.e. 2D or 3D inputs).")
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim == 3))


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels (dim 1) of (N, C, H, W) inputs with probability ``p``."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated "
                      "and will result in an error in a future release.", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
                      "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
                      "is the channel dim.", stacklevel=2)
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim >= 2))


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability ``p``."""
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is deprecated "
                      "and will result in an error in a future release.", stacklevel=2)
    return _dropout(input, p, training, inplace, _feature_shape(input, input.ndim != 4))


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:
    """Dropout for SELU networks: dropped units take SELU's saturation value and an affine
    correction ``a x + b`` keeps mean 0 and variance 1."""
    return _alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """Channel-wise alpha dropout."""
    if input.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return _alpha_dropout(input, p, training, inplace, _feature_shape(input, True))
