"""danlu.vision.transforms: torchvision's image transforms on numpy arrays and danlu tensors.

No PIL needed: an image is a numpy ``H×W(×C)`` array (as a PIL image holds) or a ``C×H×W`` tensor;
PIL images are accepted when Pillow is installed. Batch-level ``MixUp``/``CutMix`` (as in
``torchvision.transforms.v2``) and ``soft_target_cross_entropy`` for their mixed labels are here too.
"""
from . import functional
from ._mix import CutMix, MixUp, soft_target_cross_entropy
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _t_all

__all__ = list(_t_all) + ["functional", "MixUp", "CutMix", "soft_target_cross_entropy"]
