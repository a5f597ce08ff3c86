"""The ``danlu`` command: train, evaluate, cross-validate, search and diagnose models.

    danlu train                      # LeNet on the bundled Fashion-MNIST subset, a few minutes on 2 cores
    danlu eval runs/lenet-...        # test metrics of a finished run
    danlu cv --folds 5               # k-fold cross-validation
    danlu search space.json          # random / grid hyper-parameter search (parallel, or on Ray)
    danlu diagnose runs/lenet-...    # bias / variance diagnosis and what to do next
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from .train.callbacks import Callback

__all__ = ["main", "build_parser"]

_EPILOG = "Run 'danlu COMMAND --help' for the options of a command."


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line error (no usage dump) for a bad flag."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class _CLIError(Exception):
    """An error to print as one line (exit status 1)."""


def _positive_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    if v < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {s!r}")
    return v


def _nonneg_int(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {s!r}")
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {s!r}")
    return v


def _pos_float(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}")
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {s!r}")
    return v


def _fraction(s: str) -> float:
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {s!r}")
    if not 0 <= v < 1:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {s!r}")
    return v


def _error_rate(s: str) -> float:
    try:
        v = float(s.rstrip("%")) / (100.0 if s.endswith("%") else 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an error rate such as 0.08 or 8%, got {s!r}")
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"expected an error rate in [0, 1] (or 0%..100%), got {s!r}")
    return v


def _widths(s: str) -> list[int]:
    try:
        ws = [int(w) for w in s.replace("x", ",").split(",") if w.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer widths such as 256,128, got {s!r}")
    if not ws or min(ws) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive widths, got {s!r}")
    return ws


# -- shared options ------------------------------------------------------------------------------------

def _add_model_args(p: argparse.ArgumentParser) -> None:
    from .train.registry import model_names

    g = p.add_argument_group("model")
    g.add_argument("--model", default="lenet", choices=model_names(), metavar="NAME",
                   help="which network: " + ", ".join(model_names()) + " (default: lenet, with ReLU and max "
                        "pooling; lenet-classic is the sigmoid + average-pooling original)")
    g.add_argument("--dropout", type=_fraction, default=0.0, metavar="P",
                   help="dropout probability in the fully connected layers (default: 0)")
    g.add_argument("--widths", type=_widths, default=[256], metavar="W1,W2",
                   help="hidden layer widths of the mlp model (default: 256)")


def _add_data_args(p: argparse.ArgumentParser, val: bool = True) -> None:
    from .train.sources import DATASETS

    g = p.add_argument_group("data")
    g.add_argument("--dataset", default="fashion-mnist-subset", metavar="NAME",
                   help="; ".join(f"{k}: {v}" for k, v in DATASETS.items()) + " (default: fashion-mnist-subset)")
    g.add_argument("--data-root", default=None, metavar="DIR", help="where full datasets are (or go with --download)")
    g.add_argument("--download", action="store_true", help="download a full dataset into --data-root if missing")
    g.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                   help="use only N training images (quick experiments and tests)")
    g.add_argument("--limit-test", type=_positive_int, default=None, metavar="N", help="use only N test images")
    if val:
        g.add_argument("--val-split", type=_fraction, default=0.1, metavar="F",
                       help="fraction of the training images held out for validation (default: 0.1)")


def _add_optim_args(p: argparse.ArgumentParser) -> None:
    from .train.selection import OPTIMIZERS

    g = p.add_argument_group("optimisation")
    g.add_argument("--optimizer", default="adam", choices=list(OPTIMIZERS), metavar="NAME",
                   help="one of " + ", ".join(OPTIMIZERS) + " (default: adam; momentum = SGD with momentum 0.9)")
    g.add_argument("--lr", type=_pos_float, default=None, metavar="LR",
                   help="learning rate, the peak one with --schedule onecycle (default: 0.002 for adam/adamw, "
                        "0.05 for sgd/momentum; x2.5 with onecycle)")
    g.add_argument("--schedule", default="onecycle", choices=["none", "step", "cosine", "exponential", "onecycle"],
                   help="learning-rate schedule: onecycle warms up then anneals every step (default); step, cosine "
                        "and exponential change it every epoch; none keeps it constant")
    g.add_argument("--weight-decay", type=float, default=0.0, metavar="WD", help="L2 weight decay (default: 0)")
    g.add_argument("--epochs", type=_positive_int, default=8, metavar="N", help="training epochs (default: 8)")
    g.add_argument("--batch-size", type=_positive_int, default=128, metavar="N", help="batch size (default: 128)")
    g.add_argument("--grad-clip", type=_pos_float, default=None, metavar="NORM",
                   help="clip the gradients' global norm to NORM")
    g.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    g.add_argument("--device", default="cpu", help="cpu or cuda (needs CuPy and a GPU) (default: cpu)")
    g.add_argument("--workers", type=_nonneg_int, default=0, metavar="N",
                   help="data-loading worker processes (default: 0 = load in the main process)")


_DEFAULT_LR = {"adam": 2e-3, "adamw": 2e-3, "rmsprop": 1e-3, "adagrad": 1e-2, "adadelta": 1.0, "sgd": 0.05,
               "momentum": 0.05}


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="danlu", description="丹炉 danlu: train and study neural networks on NumPy, from the "
                                          "command line.", epilog=_EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    from . import __version__

    p.add_argument("--version", action="version", version=f"danlu {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    t = sub.add_parser("train", help="train a model (default: LeNet on the bundled Fashion-MNIST subset)",
                       description="Train a model and write a run folder with config.json, metrics.csv/json, "
                                   "curves.png, checkpoints and results.json. With no options: LeNet on the "
                                   "bundled Fashion-MNIST subset, a few minutes on 2 CPU cores.")
    _add_model_args(t)
    _add_data_args(t)
    _add_optim_args(t)
    g = t.add_argument_group("run")
    g.add_argument("--out", default="runs", metavar="DIR", help="parent folder of run folders (default: runs)")
    g.add_argument("--name", default=None, help="run folder name (default: MODEL-DATE-TIME)")
    g.add_argument("--resume", default=None, metavar="RUN",
                   help="continue a stopped run (its folder or a .ckpt file) up to --epochs epochs in total")
    g.add_argument("--stop-after", type=_positive_int, default=None, metavar="N",
                   help="pause after N epochs of this invocation (the run can be continued with --resume)")
    g.add_argument("--early-stopping", type=_positive_int, default=None, metavar="PATIENCE",
                   help="stop when validation accuracy has not improved for PATIENCE epochs")
    g.add_argument("--no-progress", action="store_true", help="no progress bar (one line per epoch)")
    g.add_argument("--no-plot", action="store_true", help="do not draw curves.png")
    g.add_argument("--quiet", action="store_true", help="print only the final result")

    e = sub.add_parser("eval", help="evaluate a run's model on the test set",
                       description="Load RUN's config and checkpoint and report test loss, accuracy, macro "
                                   "precision/recall/F1 and, with --confusion, the confusion matrix.")
    e.add_argument("run", metavar="RUN", help="a run folder written by 'danlu train'")
    e.add_argument("--checkpoint", choices=["last", "best"], default="last",
                   help="which checkpoint of the run (default: last)")
    e.add_argument("--confusion", action="store_true", help="print the confusion matrix")
    e.add_argument("--limit-test", type=_positive_int, default=None, metavar="N", help="use only N test images")
    e.add_argument("--data-root", default=None, metavar="DIR", help="where the full dataset is, if the run used one")

    c = sub.add_parser("cv", help="k-fold cross-validation of a model",
                       description="Train a fresh model on k-1 folds of the training images and validate on "
                                   "the remaining fold, k times; report each fold and mean ± std.")
    _add_model_args(c)
    _add_data_args(c, val=False)
    _add_optim_args(c)
    c.add_argument("--folds", type=_positive_int, default=5, metavar="K", help="number of folds (default: 5)")
    c.set_defaults(epochs=2)

    s = sub.add_parser("search", help="hyper-parameter search from a JSON/YAML space file",
                       description="Random or grid search over the options in SPACE, e.g. "
                                   '{"lr": {"type": "loguniform", "low": 1e-4, "high": 1e-1}, '
                                   '"batch_size": [64, 128], "dropout": {"type": "uniform", "low": 0, "high": 0.5}, '
                                   '"optimizer": ["sgd", "adam"]}. Keys are training options (lr, batch_size, '
                                   "epochs, optimizer, weight_decay, dropout, model, widths, schedule). Trials run "
                                   "in parallel worker processes, or on a Ray cluster with --ray.")
    s.add_argument("space", metavar="SPACE", help="JSON (or YAML, with PyYAML) file describing the search space")
    _add_model_args(s)
    _add_data_args(s)
    _add_optim_args(s)
    s.set_defaults(epochs=2)
    s.add_argument("--method", choices=["random", "grid"], default="random", help="(default: random)")
    s.add_argument("--trials", type=_positive_int, default=8, metavar="N",
                   help="random-search trials (default: 8)")
    s.add_argument("--points", type=_positive_int, default=3, metavar="N",
                   help="grid points per continuous dimension (default: 3)")
    s.add_argument("--parallel", type=_positive_int, default=max(1, min(4, os.cpu_count() or 1)), metavar="N",
                   help="trials run at the same time (default: number of CPU cores, at most 4)")
    s.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="run trials on Ray: a cluster ADDRESS ('auto', 'ray://host:10001') or, with no "
                        "address, a local Ray instance (needs: pip install ray)")
    s.add_argument("--out", default="runs", metavar="DIR", help="where results.csv and search.png go")

    d = sub.add_parser("diagnose", help="bias / variance diagnosis and what to try next",
                       description="From a run folder (its train, validation and test errors) or from errors you "
                                   "give (0.08 or 8%%), report avoidable bias, variance, data mismatch and "
                                   "overfitting to the dev set, and the recommended next actions. "
                                   "--learning-curve trains on growing subsets instead.")
    d.add_argument("run", nargs="?", default=None, metavar="RUN", help="a run folder written by 'danlu train'")
    d.add_argument("--train-error", type=_error_rate, default=None, metavar="E")
    d.add_argument("--train-dev-error", type=_error_rate, default=None, metavar="E",
                   help="error on held-out data from the training distribution")
    d.add_argument("--dev-error", type=_error_rate, default=None, metavar="E")
    d.add_argument("--test-error", type=_error_rate, default=None, metavar="E")
    d.add_argument("--human-error", type=_error_rate, default=None, metavar="E",
                   help="human-level error, a proxy for the Bayes error (default: 0)")
    d.add_argument("--tol", type=_error_rate, default=0.01, metavar="E",
                   help="gaps below this count as no problem (default: 0.01)")
    d.add_argument("--learning-curve", action="store_true",
                   help="train the model on 10%%, 25%%, 50%%, 100%% of the data and read the learning curve")
    d.add_argument("--validation-curve", default=None, metavar="NAME=V1,V2,...",
                   help="train once per value of one option (e.g. lr=0.0001,0.001,0.01 or dropout=0,0.3,0.6) "
                        "and call out the under- and over-fitting values")
    _add_model_args(d)
    _add_data_args(d)
    _add_optim_args(d)
    d.set_defaults(epochs=2)
    d.add_argument("--out", default=None, metavar="DIR", help="where learning_curve.png goes (with --learning-curve)")
    return p


# -- helpers --------------------------------------------------------------------------------------------

def _lr(args) -> float:
    if args.lr is not None:
        return args.lr
    return _DEFAULT_LR.get(args.optimizer, 1e-3) * (2.5 if getattr(args, "schedule", None) == "onecycle" else 1.0)


def _build(args, data) -> Any:
    from .train.registry import build_model

    c, h, _ = data["shape"]
    return build_model(args.model, in_channels=c, image_size=h, num_classes=len(data["classes"]),
                       dropout=args.dropout, widths=tuple(args.widths))


def _load(args, stats=None, val_fraction=None) -> dict:
    from .train.sources import load_tensors

    vf = args.val_split if val_fraction is None else val_fraction
    return load_tensors(args.dataset, root=args.data_root, download=getattr(args, "download", False),
                        limit=getattr(args, "limit", None), limit_test=getattr(args, "limit_test", None),
                        val_fraction=vf, seed=getattr(args, "seed", 0), stats=stats)


def _loader(pair, batch_size, shuffle, workers=0):
    from .train.selection import batch_loader
    from .utils.data import TensorDataset

    return batch_loader(TensorDataset(*pair), batch_size, shuffle, workers)


def _device(name: str):
    import danlu

    try:
        dev = danlu.device(name)
    except RuntimeError as e:
        raise _CLIError(str(e))
    if dev.type == "cuda" and not danlu.cuda.is_available():
        raise _CLIError("--device cuda needs CuPy and a GPU; none found (use --device cpu)")
    return dev


def _config_of(args) -> dict:
    keys = ["model", "dropout", "widths", "dataset", "data_root", "limit", "limit_test", "val_split", "optimizer",
            "lr", "schedule", "weight_decay", "epochs", "batch_size", "grad_clip", "seed", "device", "workers",
            "early_stopping"]
    cfg = {k: getattr(args, k) for k in keys if hasattr(args, k)}
    cfg["lr"] = _lr(args)
    return cfg


def _say(args, *a) -> None:
    if not getattr(args, "quiet", False):
        print(*a, flush=True)


# -- train ---------------------------------------------------------------------------------------------

def _resume_paths(resume: str) -> tuple[str, str]:
    """(run folder, checkpoint file) of a --resume argument."""
    if os.path.isdir(resume):
        ck = os.path.join(resume, "checkpoints", "last.ckpt")
        if not os.path.exists(ck):
            raise _CLIError(f"{resume} has no checkpoints/last.ckpt to resume from")
        return resume, ck
    if os.path.isfile(resume):
        d = os.path.dirname(os.path.abspath(resume))
        run = os.path.dirname(d) if os.path.basename(d) == "checkpoints" else d
        return run, resume
    raise _CLIError(f"--resume: no run folder or checkpoint at {resume!r}")


class _StopAfter(Callback):
    """Pause the fit after ``n`` epochs of this invocation (runs before the checkpoint of that epoch)."""

    priority = 5

    def __init__(self, n: int, run_dir: str) -> None:
        self.n, self.run_dir, self.done = n, run_dir, 0

    def on_epoch_end(self, trainer, epoch, logs) -> None:
        self.done += 1
        if self.done >= self.n and trainer.epoch < trainer.epochs:
            trainer.stop_training = True
            trainer.stop_reason = (f"paused after epoch {trainer.epoch} of {trainer.epochs} (--stop-after); "
                                   f"continue with: danlu train --resume {self.run_dir}")


def cmd_train(args) -> int:
    import danlu

    from .train import (CSVLogger, CurvePlotter, EarlyStopping, JSONLogger, ModelCheckpoint, ProgressBar,
                        Trainer, make_optimizer, make_scheduler)
    from .train.history import atomic_write_text
    from .train.search import set_seed

    given = {a.split("=")[0] for a in getattr(args, "_argv", sys.argv[1:]) if a.startswith("--")}
    if args.resume:
        run_dir, ckpt = _resume_paths(args.resume)
        cfg_path = os.path.join(run_dir, "config.json")
        if not os.path.exists(cfg_path):
            raise _CLIError(f"{run_dir} has no config.json")
        with open(cfg_path, encoding="utf-8") as f:
            saved = json.load(f)
        new_epochs = args.epochs if "--epochs" in given else None
        for k, v in saved.items():  # the run's own settings, except a new --epochs (and display flags)
            if k not in ("stats", "classes", "shape"):
                setattr(args, k, v)
        if new_epochs is not None and new_epochs != saved.get("epochs"):
            if saved.get("schedule") in ("onecycle", "cosine", "step"):
                raise _CLIError(f"this run's {saved['schedule']} schedule was planned for {saved.get('epochs')} "
                                f"epochs; --resume continues that same run (drop --epochs), or train a new run "
                                f"with --epochs {new_epochs}")
            args.epochs = new_epochs
        stats = saved.get("stats")
    else:
        name = args.name or f"{args.model}-{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir = os.path.join(args.out, name)
        if os.path.exists(os.path.join(run_dir, "config.json")):
            raise _CLIError(f"{run_dir} already holds a run; pick another --name or use --resume {run_dir}")
        ckpt, stats = None, None
    dev = _device(args.device)
    set_seed(args.seed)
    data = _load(args, stats=stats)
    cfg = _config_of(args)
    cfg["stats"] = data["stats"]
    cfg["classes"] = data["classes"]
    cfg["shape"] = list(data["shape"])
    os.makedirs(run_dir, exist_ok=True)
    atomic_write_text(os.path.join(run_dir, "config.json"), json.dumps(cfg, indent=1))

    set_seed(args.seed)
    model = _build(args, data)
    model.to(dev)
    opt = make_optimizer(args.optimizer, model.parameters(), _lr(args), args.weight_decay)
    train_loader = _loader(data["train"], args.batch_size, True, args.workers)
    val_loader = _loader(data["val"], 512, False) if data["val"] is not None else None
    sched, interval = make_scheduler(args.schedule, opt, args.epochs, len(train_loader))
    cbs: list = [ModelCheckpoint(os.path.join(run_dir, "checkpoints"),
                                 monitor="val_accuracy" if val_loader is not None else None),
                 CSVLogger(os.path.join(run_dir, "metrics.csv")), JSONLogger(os.path.join(run_dir, "metrics.json"))]
    if not args.no_plot:
        cbs.append(CurvePlotter(os.path.join(run_dir, "curves.png"), title=f"{args.model} on {args.dataset}"))
    if not args.quiet:
        cbs.append(ProgressBar(use_tqdm=False if args.no_progress else None))
    if args.early_stopping:
        if val_loader is None:
            raise _CLIError("--early-stopping needs a validation split (--val-split > 0)")
        cbs.append(EarlyStopping("val_accuracy", patience=args.early_stopping))
    if args.stop_after:
        cbs.append(_StopAfter(args.stop_after, run_dir))
    tr = Trainer(model, danlu.nn.CrossEntropyLoss(), opt, sched, metrics=("accuracy",), callbacks=cbs,
                 device=dev, grad_clip=args.grad_clip, scheduler_interval=interval)
    n_params = sum(p.numel() for p in model.parameters())
    _say(args, f"run folder: {run_dir}")
    _say(args, f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(data['train'][1])} training, "
               f"{0 if data['val'] is None else len(data['val'][1])} validation, {len(data['test'][1])} test images; "
               f"{args.optimizer} lr={_lr(args):g}, {args.epochs} epochs of batch {args.batch_size}")
    t0 = time.perf_counter()
    hist = tr.fit(train_loader, val_loader, args.epochs, resume=ckpt)
    train_time = time.perf_counter() - t0
    if hist.stop_reason:
        print(f"stopped: {hist.stop_reason}", file=sys.stderr)
    test = tr.evaluate(_loader(data["test"], 512, False), metrics=("accuracy", "f1"))
    train_eval = tr.evaluate(_loader(data["train"], 512, False), metrics=("accuracy",))
    val_eval = tr.evaluate(val_loader, metrics=("accuracy",)) if val_loader is not None else None
    results = {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "test_f1_macro": test["f1"],
               "train_accuracy": train_eval["accuracy"], "train_loss": train_eval["loss"],
               "val_accuracy": None if val_eval is None else val_eval["accuracy"],
               "epochs_done": tr.epoch, "train_seconds": round(train_time, 2), "stop_reason": hist.stop_reason}
    atomic_write_text(os.path.join(run_dir, "results.json"), json.dumps(results, indent=1))
    if not args.no_plot and not os.path.exists(os.path.join(run_dir, "curves.png")):
        _say(args, "(matplotlib is not installed: no curves.png; pip install matplotlib)")
    print(f"test accuracy {test['accuracy']:.4f} (loss {test['loss']:.4f}, macro F1 {test['f1']:.4f}) after "
          f"{tr.epoch} epochs, {train_time:.1f} s of training; run folder {run_dir}", flush=True)
    return 0


# -- eval ----------------------------------------------------------------------------------------------

def _load_run(run: str) -> dict:
    p = os.path.join(run, "config.json")
    if not os.path.exists(p):
        raise _CLIError(f"{run!r} is not a run folder (no config.json); 'danlu train' writes one")
    with open(p, encoding="utf-8") as f:
        return json.load(f)


def cmd_eval(args) -> int:
    import danlu

    from .train import Trainer, load_checkpoint
    from .train.metrics import ConfusionMatrix, get_metric

    cfg = _load_run(args.run)
    ck = os.path.join(args.run, "checkpoints", f"{args.checkpoint}.ckpt")
    if not os.path.exists(ck):
        raise _CLIError(f"{args.run} has no checkpoints/{args.checkpoint}.ckpt")
    ns = argparse.Namespace(**cfg)
    ns.limit_test = args.limit_test or cfg.get("limit_test")
    if args.data_root:
        ns.data_root = args.data_root
    ns.widths = cfg.get("widths", [256])
    data = _load_test_only(ns, cfg)
    model = _build(ns, data)
    state = load_checkpoint(ck)
    model.load_state_dict(state["model"])
    cm = ConfusionMatrix(len(data["classes"]))
    ms = [get_metric("accuracy"), get_metric("precision"), get_metric("recall"), get_metric("f1"), cm]
    res = Trainer(model, danlu.nn.CrossEntropyLoss()).evaluate(_loader(data["test"], 512, False), metrics=ms)
    print(f"{args.run} ({cfg['model']}, epoch {int(state['epoch'])}, {args.checkpoint} checkpoint) on "
          f"{len(data['test'][1])} test images of {cfg['dataset']}:")
    print(f"  loss {res['loss']:.4f}  accuracy {res['accuracy']:.4f}  macro precision {res['precision']:.4f}  "
          f"recall {res['recall']:.4f}  F1 {res['f1']:.4f}")
    if args.confusion:
        m = res["confusion_matrix"]
        names = [str(c)[:8] for c in data["classes"]]
        w = max(6, *(len(n) for n in names))
        print("confusion matrix (rows: true class, columns: predicted):")
        print(" " * w + " " + " ".join(n[:6].rjust(6) for n in names))
        for n, row in zip(names, m):
            print(n.rjust(w) + " " + " ".join(str(int(v)).rjust(6) for v in row))
    return 0


def _load_test_only(ns, cfg) -> dict:
    from .train.sources import load_tensors

    return load_tensors(cfg["dataset"], root=getattr(ns, "data_root", None), limit=cfg.get("limit"),
                        limit_test=ns.limit_test, val_fraction=cfg.get("val_split", 0.0), seed=cfg.get("seed", 0),
                        stats=cfg["stats"])


# -- cv ------------------------------------------------------------------------------------------------

def cmd_cv(args) -> int:
    from .train import cross_validate
    from .utils.data import TensorDataset

    data = _load(args, val_fraction=0.0)
    ds = TensorDataset(*data["train"])
    print(f"{args.folds}-fold cross-validation of {args.model} on {len(ds)} images of {args.dataset}, "
          f"{args.epochs} epochs per fold", flush=True)
    res = cross_validate(lambda: _build(args, data), ds, k=args.folds, seed=args.seed, verbose=True,
                         optimizer=args.optimizer, lr=_lr(args), weight_decay=args.weight_decay, epochs=args.epochs,
                         batch_size=args.batch_size, schedule=args.schedule, metrics=("accuracy",))
    print(res.summary())
    m, s = res.mean("val")["accuracy"], res.std("val")["accuracy"]
    print(f"validation accuracy {m:.4f} ± {s:.4f}")
    return 0


# -- search --------------------------------------------------------------------------------------------

_SEARCHABLE = {"lr", "batch_size", "epochs", "optimizer", "weight_decay", "dropout", "model", "widths", "schedule",
               "grad_clip"}


class CLIObjective:
    """Train with the command's options overridden by a trial's configuration; the objective is the
    validation accuracy.  A plain class so it pickles for worker processes and Ray."""

    def __init__(self, base: dict) -> None:
        self.base = base

    def __call__(self, config: dict) -> dict:
        from .train import train_and_evaluate
        from .utils.data import TensorDataset

        ns = argparse.Namespace(**{**self.base, **config})
        if isinstance(ns.widths, (int, float)):
            ns.widths = [int(ns.widths)]
        data = _load(ns)
        res = train_and_evaluate(lambda: _build(ns, data), TensorDataset(*data["train"]),
                                 TensorDataset(*data["val"]), optimizer=ns.optimizer, lr=_lr(ns),
                                 weight_decay=ns.weight_decay, epochs=int(ns.epochs), batch_size=int(ns.batch_size),
                                 schedule=ns.schedule, metrics=("accuracy",), eval_train=False)
        return {"val_accuracy": res["val"]["accuracy"], "val_loss": res["val"]["loss"],
                "train_loss": res["train"].get("loss", float("nan"))}


def cmd_search(args) -> int:
    from .train.search import grid_search, load_space, random_search

    if not os.path.exists(args.space):
        raise _CLIError(f"no search-space file {args.space!r}")
    space = load_space(args.space)
    bad = sorted(set(space) - _SEARCHABLE)
    if bad:
        raise _CLIError(f"{args.space}: cannot search over {', '.join(bad)}; searchable: {', '.join(sorted(_SEARCHABLE))}")
    if args.val_split <= 0:
        raise _CLIError("search needs a validation split (--val-split > 0)")
    base = {k: v for k, v in vars(args).items() if k not in ("space", "command", "_argv")}
    obj = CLIObjective(base)
    backend = "ray" if args.ray else "auto"
    kw = dict(seed=args.seed, workers=args.parallel, metric="val_accuracy", mode="max", backend=backend,
              ray_address=None if args.ray in (None, "local") else args.ray)
    n = args.trials if args.method == "random" else None
    print(f"{args.method} search over {', '.join(f'{k}={v!r}' for k, v in space.items())}: "
          f"{n or 'grid'} trials, {args.parallel} at a time{' on Ray' if args.ray else ''}", flush=True)
    if args.method == "random":
        res = random_search(obj, space, args.trials, **kw)
    else:
        res = grid_search(obj, space, args.points, **kw)
    out = os.path.join(args.out, f"search-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    res.to_csv(os.path.join(out, "results.csv"))
    res.to_json(os.path.join(out, "results.json"))
    plotted = res.plot(os.path.join(out, "search.png"))
    print(res.table())
    failed = [t for t in res.trials if t["error"]]
    for t in failed[:3]:
        print(f"trial {t['trial']} failed: {t['error'].splitlines()[0]}", file=sys.stderr)
    if len(failed) == len(res.trials):
        raise _CLIError("every trial failed")
    print(f"best: {json.dumps(res.best_config)} -> val_accuracy {res.best_value:.4f}")
    print(f"results in {out}" + (" (results.csv, search.png)" if plotted else " (results.csv)"))
    return 0


# -- diagnose ------------------------------------------------------------------------------------------

def cmd_diagnose(args) -> int:
    from .train import diagnose
    from .train.diagnosis import learning_curve
    from .utils.data import TensorDataset

    if args.learning_curve:
        data = _load(args)
        if data["val"] is None:
            raise _CLIError("--learning-curve needs a validation split (--val-split > 0)")
        print(f"learning curve of {args.model} on {args.dataset} ({args.epochs} epochs per point)", flush=True)
        res = learning_curve(lambda: _build(args, data), TensorDataset(*data["train"]), TensorDataset(*data["val"]),
                             human_error=args.human_error or 0.0, seed=args.seed, verbose=True,
                             optimizer=args.optimizer, lr=_lr(args), weight_decay=args.weight_decay,
                             epochs=args.epochs, batch_size=args.batch_size)
        print(res.report())
        if args.out:
            path = os.path.join(args.out, "learning_curve.png")
            if res.plot(path):
                print(f"plot: {path}")
        return 0
    if args.validation_curve:
        return _validation_curve(args)
    errs = {"train": args.train_error, "train_dev": args.train_dev_error, "dev": args.dev_error,
            "test": args.test_error}
    if args.run:
        _load_run(args.run)
        p = os.path.join(args.run, "results.json")
        if not os.path.exists(p):
            raise _CLIError(f"{args.run} has no results.json (did the run finish?)")
        with open(p, encoding="utf-8") as f:
            r = json.load(f)
        errs["train"] = errs["train"] if errs["train"] is not None else 1 - r["train_accuracy"]
        if r.get("val_accuracy") is not None and errs["dev"] is None:
            errs["dev"] = 1 - r["val_accuracy"]
        if errs["test"] is None:
            errs["test"] = 1 - r["test_accuracy"]
    if errs["train"] is None:
        raise _CLIError("give a RUN folder or at least --train-error (and --dev-error)")
    d = diagnose(errs["train"], errs["dev"], train_dev_error=errs["train_dev"], test_error=errs["test"],
                 human_error=args.human_error, tol=args.tol)
    print(d.report())
    return 0


def _validation_curve(args) -> int:
    from .train import train_and_evaluate
    from .train.diagnosis import CurveResult, error_of, read_validation_curve
    from .utils.data import TensorDataset

    name, _, vals = args.validation_curve.partition("=")
    name = name.strip().replace("-", "_")
    if name not in _SEARCHABLE or not vals:
        raise _CLIError(f"--validation-curve wants NAME=V1,V2,... with NAME one of {', '.join(sorted(_SEARCHABLE))}")

    def conv(v: str):
        for f in (int, float):
            try:
                return f(v)
            except ValueError:
                pass
        return v

    values = [conv(v.strip()) for v in vals.split(",") if v.strip()]
    tr_err, va_err = [], []
    print(f"validation curve of {args.model} on {args.dataset} over {name} = {values}", flush=True)
    for v in values:
        ns = argparse.Namespace(**{**vars(args), name: [v] if name == "widths" else v})
        data = _load(ns)
        if data["val"] is None:
            raise _CLIError("--validation-curve needs a validation split (--val-split > 0)")
        res = train_and_evaluate(lambda: _build(ns, data), TensorDataset(*data["train"]), TensorDataset(*data["val"]),
                                 optimizer=ns.optimizer, lr=_lr(ns), weight_decay=ns.weight_decay, epochs=int(ns.epochs),
                                 batch_size=int(ns.batch_size), schedule=ns.schedule, seed=args.seed)
        tr_err.append(error_of(res["train"]))
        va_err.append(error_of(res["val"]))
        print(f"{name}={v}: train error {tr_err[-1]:.4f}, validation error {va_err[-1]:.4f}", flush=True)
    verdict, details, best = read_validation_curve(values, tr_err, va_err)
    res = CurveResult(name, values, tr_err, va_err, verdict, details, best)
    print(res.report())
    if args.out:
        path = os.path.join(args.out, "validation_curve.png")
        if res.plot(path, log_x=name in ("lr", "weight_decay")):
            print(f"plot: {path}")
    return 0


# -- entry point ---------------------------------------------------------------------------------------

_COMMANDS = {"train": cmd_train, "eval": cmd_eval, "cv": cmd_cv, "search": cmd_search, "diagnose": cmd_diagnose}


def _keep_freed_buffers() -> None:
    """glibc only: serve big buffers from the heap and keep freed ones for reuse (M_MMAP_THRESHOLD
    and M_TRIM_THRESHOLD 1 GB, what benchmarks/run.py sets for both libraries), instead of mapping
    fresh zeroed pages for every step's activations: a LeNet step otherwise spends ~30% of its
    time in page faults. The command is its own process, so this changes no one else's allocator;
    MALLOC_* variables set by the user win."""
    if not sys.platform.startswith("linux") or any(k.startswith("MALLOC_") for k in os.environ):
        return
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return
    mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``danlu`` console script; returns the exit status."""
    _keep_freed_buffers()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    args._argv = list(sys.argv[1:] if argv is None else argv)
    debug = bool(os.environ.get("DANLU_DEBUG"))
    try:
        return _COMMANDS[args.command](args)
    except BrokenPipeError:  # output piped into e.g. head: stop quietly
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except KeyboardInterrupt:
        print("\ninterrupted" + (" (resume with: danlu train --resume RUN_FOLDER)" if args.command == "train" else ""),
              file=sys.stderr)
        return 130
    except Exception as e:  # one line for the user; DANLU_DEBUG=1 shows the traceback
        if debug:
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        kind = "" if isinstance(e, _CLIError) else f"{type(e).__name__}: "
        print(f"danlu {args.command}: error: {kind}{msg}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
