"""``torchvision.transforms.v2`` names: the same transforms, plus batch-level MixUp / CutMix."""
from . import functional  # noqa: F401
from ._mix import CutMix, MixUp, soft_target_cross_entropy  # noqa: F401
from .transforms import *  # noqa: F401,F403
