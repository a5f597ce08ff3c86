"""danlu.optim: optimizers and learning-rate schedules (torch.optim).

Every optimizer takes an iterable of parameters or of parameter groups (dicts with their own
options), keeps torch's state layout (``state_dict()`` keyed by parameter index), and updates the
parameters step for step as torch does.
"""
from . import lr_scheduler, swa_utils  # noqa: F401
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adafactor", "Adam", "AdamW", "Adagrad", "RMSprop", "Adadelta", "Adamax", "NAdam", "RAdam",
           "Muon", "ASGD", "Rprop", "LBFGS", "lr_scheduler", "swa_utils"]
