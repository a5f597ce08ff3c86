"""Trainer: reaches a stated accuracy, eval mode/no_grad, accumulation, clipping, NaN stop, early stopping,
bit-for-bit resume from a checkpoint."""
import os

import numpy as np
import pytest

import danlu
from danlu import nn, optim
from danlu.train import (EarlyStopping, LambdaCallback, ModelCheckpoint, NonFiniteLossError, Trainer,
                         evaluate, fit, predict)
from danlu.utils.data import DataLoader, TensorDataset

from danlu.train.metrics import accuracy as M_accuracy

from ._util import blobs, ce, mlp


def test_fit_reaches_accuracy_and_history():
    danlu.manual_seed(0)
    X, y = blobs(300)
    Xv, yv = blobs(120, seed=1)
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    hist = fit(model, DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True), (Xv, yv), loss=ce,
               optimizer=opt, epochs=4, metrics=("accuracy", "f1"))
    assert len(hist) == 4 and hist["epoch"] == [1, 2, 3, 4]
    assert hist["val_accuracy"][-1] >= 0.95
    assert hist["train_loss"][-1] < hist["train_loss"][0]
    assert {"train_f1", "val_f1", "val_loss", "lr", "time"} <= set(hist.keys)
    res = evaluate(model, (Xv, yv), loss=ce)
    assert res["accuracy"] == pytest.approx(hist["val_accuracy"][-1])
    out = predict(model, (Xv, yv), batch_size=50)
    assert tuple(out.shape) == (120, 3) and not out.requires_grad
    np.testing.assert_allclose(predict(model, Xv, batch_size=7).numpy(), out.numpy(), rtol=1e-5, atol=1e-5)
    assert M_accuracy(out, yv) == pytest.approx(res["accuracy"])


def test_evaluate_uses_eval_mode_and_no_grad():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 3)

        def forward(self, x):
            seen.append((self.training, danlu.is_grad_enabled()))
            return self.lin(x)

    X, y = blobs(40)
    m = Probe()
    tr = Trainer(m, ce, optim.SGD(m.parameters(), lr=0.1))
    tr.fit((X, y), (X, y), epochs=1, batch_size=20)
    assert seen[0] == (True, True)            # training batches
    assert seen[-1] == (False, False)         # validation: eval mode, no graph
    assert m.training                         # back to train mode afterwards


def _run(accumulate, batch, dtype=np.float64):
    danlu.manual_seed(3)
    X, y = blobs(64, dtype=dtype)
    m = mlp().double()
    opt = optim.SGD(m.parameters(), lr=0.1)
    Trainer(m, ce, opt, accumulate_steps=accumulate).fit(
        DataLoader(TensorDataset(X, y), batch_size=batch, shuffle=False), epochs=1)
    return [p.detach().numpy().copy() for p in m.parameters()]


def test_gradient_accumulation_matches_big_batch():
    a = _run(accumulate=2, batch=16)
    b = _run(accumulate=1, batch=32)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-12)


def test_grad_clip_bounds_the_step():
    danlu.manual_seed(0)
    X, y = blobs(32)
    m = nn.Linear(4, 3)
    before = [p.detach().numpy().copy() for p in m.parameters()]
    Trainer(m, lambda o, t: 1e4 * ce(o, t), optim.SGD(m.parameters(), lr=1.0), grad_clip=0.5).fit(
        (X, y), epochs=1, batch_size=32)
    step = np.sqrt(sum(((p.detach().numpy() - b) ** 2).sum() for p, b in zip(m.parameters(), before)))
    assert step <= 0.5 + 1e-4


def test_nonfinite_loss_stops_with_step_in_message():
    X, y = blobs(64)
    m = mlp()
    calls = []

    def loss(o, t):
        calls.append(1)
        v = ce(o, t)
        return v * float("nan") if len(calls) == 3 else v

    tr = Trainer(m, loss, optim.SGD(m.parameters(), lr=0.1))
    h = tr.fit((X, y), epochs=5, batch_size=16)
    assert h.stop_reason and "step 3" in h.stop_reason and "epoch 1" in h.stop_reason
    assert len(calls) == 3
    assert all(np.isfinite(p.detach().numpy()).all() for p in m.parameters())
    calls.clear()
    with pytest.raises(NonFiniteLossError, match="step 3"):
        Trainer(m, loss, optim.SGD(m.parameters(), lr=0.1), on_nonfinite="raise").fit((X, y), batch_size=16)


def test_early_stopping_restores_best_weights():
    X, y = blobs(64)
    m = mlp()
    vals = iter([0.5, 0.3, 0.4, 0.45, 0.6, 0.2])  # best at epoch 2, patience 3 -> stop after epoch 5
    snapshots = {}

    class FakeVal(EarlyStopping):
        def on_epoch_end(self, trainer, epoch, logs):
            logs["val_loss"] = next(vals)
            snapshots[epoch] = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
            super().on_epoch_end(trainer, epoch, logs)

    es = FakeVal("val_loss", patience=3)
    h = fit(m, (X, y), loss=ce, optimizer=optim.SGD(m.parameters(), lr=0.5), epochs=10, callbacks=[es],
            batch_size=16)
    assert len(h) == 5 and "early stopping" in h.stop_reason and es.best_epoch == 1
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), snapshots[1][k].numpy())
    with pytest.raises(KeyError, match="val_missing"):
        fit(m, (X, y), loss=ce, optimizer=optim.SGD(m.parameters(), lr=0.1), epochs=1, batch_size=16,
            callbacks=[EarlyStopping("val_missing")])


def _resume_setup(tmp, sched=True):
    danlu.manual_seed(7)
    X, y = blobs(96, dtype=np.float64)
    Xv, yv = blobs(32, seed=5, dtype=np.float64)
    m = mlp(dropout=0.2).double()    # dropout: draws from the global generator every step
    opt = optim.Adam(m.parameters(), lr=0.01)
    s = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7) if sched else None
    loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)
    cbs = [EarlyStopping("val_loss", patience=10), ModelCheckpoint(os.path.join(tmp, "ck"), monitor="val_loss")]
    return Trainer(m, ce, opt, s, callbacks=cbs), loader, (Xv, yv)


def test_resume_equals_uninterrupted_bitwise(tmp_path):
    # uninterrupted: 4 epochs
    tr, loader, val = _resume_setup(str(tmp_path / "a"))
    tr.fit(loader, val, epochs=4)
    full = [p.detach().numpy().copy() for p in tr.model.parameters()]
    full_hist = tr.history.to_dict()
    # interrupted after 2 epochs, then a brand-new process-like setup resumes from the checkpoint
    tr2, loader2, val2 = _resume_setup(str(tmp_path / "b"))
    tr2.fit(loader2, val2, epochs=2)
    danlu.manual_seed(12345)             # clobber the global RNG: resume must restore it
    np.random.seed(1)
    tr3, loader3, val3 = _resume_setup(str(tmp_path / "c"))
    tr3.fit(loader3, val3, epochs=4, resume=str(tmp_path / "b" / "ck" / "last.ckpt"))
    for u, v in zip(full, tr3.model.parameters()):
        np.testing.assert_array_equal(u, v.detach().numpy())
    h3 = tr3.history.to_dict()
    for k in ("train_loss", "val_loss", "lr", "epoch"):
        assert h3[k] == full_hist[k]
    assert tr3.epoch == 4 and tr3.optimizer.param_groups[0]["lr"] == tr.optimizer.param_groups[0]["lr"]


def test_checkpoint_is_atomic_and_loadable(tmp_path):
    tr, loader, val = _resume_setup(str(tmp_path))
    tr.fit(loader, val, epochs=1)
    files = sorted(os.listdir(tmp_path / "ck"))
    assert files == ["best.ckpt", "last.ckpt"]     # no temporary files left behind
    st = danlu.load(str(tmp_path / "ck" / "last.ckpt"))
    assert int(st["epoch"]) == 1 and "optimizer" in st and "rng" in st
    assert ("scheduler" in st) == (tr.scheduler is not None)


def test_callbacks_order_and_lambda():
    X, y = blobs(32)
    m = mlp()
    events = []
    cb = LambdaCallback(on_fit_start=lambda tr: events.append("fit"),
                        on_epoch_end=lambda tr, e, logs: events.append(("epoch", e, "train_loss" in logs)),
                        on_batch_end=lambda tr, s, logs: events.append("b"))
    fit(m, (X, y), loss=ce, optimizer=optim.SGD(m.parameters(), lr=0.1), epochs=2, callbacks=[cb], batch_size=16)
    assert events == ["fit", "b", "b", ("epoch", 0, True), "b", "b", ("epoch", 1, True)]
    with pytest.raises(ValueError, match="unknown callback hook"):
        LambdaCallback(on_nothing=print)


def test_fit_on_real_bundled_images():
    from danlu.train.sources import load_tensors

    d = load_tensors("fashion-mnist-subset", limit=1200, limit_test=500, val_fraction=0.0, seed=0)
    danlu.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10))
    tr = Trainer(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3))
    tr.fit(d["train"], epochs=3, batch_size=64)
    assert tr.evaluate(d["test"])["accuracy"] >= 0.7   # 10 classes: chance is 0.1
