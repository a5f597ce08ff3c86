"""danlu.train: the training workflow (danlu's own, not part of torch's API).

``Trainer`` (fit / evaluate / predict), streaming metrics, callbacks (progress bar, curves PNG,
CSV/JSON logs, early stopping, checkpoints with exact resume), k-fold cross-validation,
random/grid hyper-parameter search in parallel processes or on Ray, bias/variance diagnosis with
learning and validation curves, and a registry of named models for the ``danlu`` command.

>>> import danlu
>>> from danlu import nn, optim
>>> from danlu.train import Trainer, ProgressBar, CurvePlotter, EarlyStopping, ModelCheckpoint, build_model
>>> model = build_model("lenet")
>>> trainer = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=2e-3),
...                   metrics=["accuracy"], callbacks=[ProgressBar(), CurvePlotter("curves.png"),
...                   EarlyStopping("val_accuracy", patience=3), ModelCheckpoint("ckpt")])
>>> history = trainer.fit(train_loader, val_loader, epochs=10)        # doctest: +SKIP
>>> trainer.evaluate(test_loader)                                     # doctest: +SKIP
{'loss': 0.41, 'accuracy': 0.85}
>>> trainer.fit(train_loader, val_loader, epochs=10, resume="ckpt/last.ckpt")  # doctest: +SKIP
"""
from .callbacks import (CallbackList, Callback, CSVLogger, CurvePlotter, EarlyStopping, JSONLogger,
                        LambdaCallback, LRLogger, ModelCheckpoint, ProgressBar, plot_history)
from .checkpoint import get_rng_states, load_checkpoint, save_checkpoint, set_rng_states
from .diagnosis import Diagnosis, CurveResult, diagnose, learning_curve, validation_curve
from .history import History
from . import metrics
from .metrics import Metric, get_metric
from .registry import build_model, list_models, register_model
from .search import (Choice, IntUniform, LogUniform, SearchResult, Uniform, grid_search, random_search,
                     run_trials, space_from_dict)
from .selection import CVResult, cross_validate, kfold_indices, make_optimizer, make_scheduler, train_and_evaluate
from .trainer import NonFiniteLossError, Trainer, evaluate, fit, predict

__all__ = [
    "Trainer", "fit", "evaluate", "predict", "NonFiniteLossError", "History",
    "Callback", "CallbackList", "ProgressBar", "CurvePlotter", "CSVLogger", "JSONLogger", "EarlyStopping",
    "ModelCheckpoint", "LRLogger", "LambdaCallback", "plot_history",
    "save_checkpoint", "load_checkpoint", "get_rng_states", "set_rng_states",
    "metrics", "Metric", "get_metric",
    "cross_validate", "CVResult", "kfold_indices", "train_and_evaluate", "make_optimizer", "make_scheduler",
    "LogUniform", "Uniform", "IntUniform", "Choice", "space_from_dict", "random_search", "grid_search",
    "run_trials", "SearchResult",
    "diagnose", "Diagnosis", "learning_curve", "validation_curve", "CurveResult",
    "register_model", "build_model", "list_models",
]
