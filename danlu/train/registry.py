"""A registry of named model builders for the command line (``danlu train --model lenet``).

Each builder takes keyword arguments describing the data (``in_channels``, ``image_size``,
``num_classes``) and the model (``dropout``, ``widths``, ...) and returns an ``nn.Module``.  Other
packages add theirs with ``@register_model("name")``; the vision model zoo (``danlu.vision.models``),
when present, is imported on first use so its registrations appear here.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Callable

__all__ = ["register_model", "build_model", "list_models", "model_names", "softmax_regression", "mlp",
           "lenet", "lenet_bn", "lenet_classic"]

_MODELS: dict[str, Callable] = {}
_DESCRIPTIONS: dict[str, str] = {}
_PLUGINS = ("danlu.vision.models",)
_plugins_loaded = False


def register_model(name: str, fn: Callable | None = None, *, description: str | None = None):
    """Register ``fn`` under ``name`` (usable as a decorator). Names are case-insensitive."""
    def deco(f: Callable) -> Callable:
        key = name.lower()
        _MODELS[key] = f
        _DESCRIPTIONS[key] = description or (inspect.getdoc(f) or "").split("\n")[0]
        return f

    return deco(fn) if fn is not None else deco


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for mod in _PLUGINS:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass


def model_names() -> list[str]:
    _load_plugins()
    return sorted(_MODELS)


def list_models() -> dict[str, str]:
    """``{name: one-line description}`` of every registered model."""
    _load_plugins()
    return {k: _DESCRIPTIONS[k] for k in sorted(_MODELS)}


def build_model(name: str, **kwargs):
    """Build the registered model ``name``; keyword arguments it does not take are ignored, so a command
    line can pass the same data/model options to every builder."""
    _load_plugins()
    key = name.lower().replace("_", "-")
    f = _MODELS.get(key) or _MODELS.get(name.lower())
    if f is None:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(model_names())}")
    sig = inspect.signature(f)
    if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        kwargs = {k: v for k, v in kwargs.items() if k in sig.parameters and v is not None}
    return f(**kwargs)


def _conv_out(size: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    return (size + 2 * padding - kernel) // stride + 1


@register_model("softmax-regression")
def softmax_regression(in_channels: int = 1, image_size: int = 28, num_classes: int = 10):
    """Softmax regression: flatten, one linear layer (the loss applies the softmax)."""
    from .. import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size * image_size, num_classes))


@register_model("mlp")
def mlp(in_channels: int = 1, image_size: int = 28, num_classes: int = 10, widths=(256,), dropout: float = 0.0):
    """Multilayer perceptron: flatten, [Linear, ReLU, Dropout] per hidden width, Linear."""
    from .. import nn

    if isinstance(widths, (int,)):
        widths = (widths,)
    layers: list = [nn.Flatten()]
    d = in_channels * image_size * image_size
    for w in widths:
        layers += [nn.Linear(d, int(w)), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        d = int(w)
    layers.append(nn.Linear(d, num_classes))
    return nn.Sequential(*layers)


def _lenet(act, pool, in_channels: int, image_size: int, num_classes: int, dropout: float, bn: bool = False):
    from .. import nn

    s = _conv_out(image_size, 5, padding=2) // 2
    s = _conv_out(s, 5) // 2
    if s < 1:
        raise ValueError(f"LeNet needs images of at least 12x12 pixels, got {image_size}x{image_size}")

    def norm(kind, n):
        return [kind(n)] if bn else []

    head: list = [nn.Flatten(), nn.Linear(16 * s * s, 120), *norm(nn.BatchNorm1d, 120), act()]
    if dropout:
        head.append(nn.Dropout(dropout))
    head += [nn.Linear(120, 84), *norm(nn.BatchNorm1d, 84), act()]
    if dropout:
        head.append(nn.Dropout(dropout))
    head.append(nn.Linear(84, num_classes))
    return nn.Sequential(
        nn.Conv2d(in_channels, 6, kernel_size=5, padding=2), *norm(nn.BatchNorm2d, 6), act(),
        pool(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), *norm(nn.BatchNorm2d, 16), act(), pool(kernel_size=2, stride=2),
        *head,
    )


@register_model("lenet")
def lenet(in_channels: int = 1, image_size: int = 28, num_classes: int = 10, dropout: float = 0.0):
    """LeNet-5, modern: ReLU activations and max pooling (trains fast with Adam or SGD+momentum)."""
    from .. import nn

    return _lenet(nn.ReLU, nn.MaxPool2d, in_channels, image_size, num_classes, dropout)


@register_model("lenet-bn")
def lenet_bn(in_channels: int = 1, image_size: int = 28, num_classes: int = 10, dropout: float = 0.0):
    """LeNet-5 with batch normalisation after every convolution and hidden linear layer (ReLU, max pooling)."""
    from .. import nn

    return _lenet(nn.ReLU, nn.MaxPool2d, in_channels, image_size, num_classes, dropout, bn=True)


@register_model("lenet-classic")
def lenet_classic(in_channels: int = 1, image_size: int = 28, num_classes: int = 10, dropout: float = 0.0):
    """LeNet-5 as in 1998 (and the course): sigmoid activations and average pooling."""
    from .. import nn

    return _lenet(nn.Sigmoid, nn.AvgPool2d, in_channels, image_size, num_classes, dropout)
