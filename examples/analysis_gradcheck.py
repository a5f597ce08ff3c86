"""Is my backward pass right?  Gradient checking of whole models with danlu.analysis.

Checks an MLP with BatchNorm and dropout, LeNet, and a model with a hand-written
``autograd.Function`` — once with a correct backward and once with a deliberately wrong one —
on images from the bundled Fashion-MNIST subset.  Autograd's gradient is compared with central
differences on a float64 copy of each model, parameter tensor by parameter tensor.

    python examples/analysis_gradcheck.py [--quick]
"""
import argparse
import time

import danlu as torch
import danlu.nn as nn
from danlu.analysis import check_gradients
from danlu.datasets import FashionMNIST


class Swish(torch.autograd.Function):
    """x · sigmoid(x) with a hand-written backward: d/dx = s + x s (1 − s)."""

    @staticmethod
    def forward(ctx, x):
        s = torch.sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * (s + x * s * (1 - s))


class BuggySwish(Swish):
    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        return g * (s + x * s * s)  # bug: s·s where s·(1 − s) belongs


class SwishMLP(nn.Module):
    def __init__(self, fn, d_in=196):
        super().__init__()
        self.fc1, self.fc2, self.fn = nn.Linear(d_in, 16), nn.Linear(16, 10), fn

    def forward(self, x):
        return self.fc2(self.fn.apply(self.fc1(x.flatten(1))))


def main(quick: bool = False) -> None:
    torch.manual_seed(0)
    n = 16 if quick else 64
    ds = FashionMNIST(train=True, bundled=True)
    imgs = ds.data[:n].float().unsqueeze(1) / 255.0
    small = nn.functional.avg_pool2d(imgs, 2)  # 14 x 14: keeps the finite differences cheap
    y = ds.targets[:n]
    loss = nn.CrossEntropyLoss()
    k = 20 if quick else 100  # entries checked per parameter tensor (random subset)

    mlp = nn.Sequential(nn.Flatten(), nn.Linear(196, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.2),
                        nn.Linear(32, 10))
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                          nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
                          nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    good = SwishMLP(Swish)
    bad = SwishMLP(BuggySwish)
    bad.load_state_dict(good.state_dict())
    cases = [("MLP + BatchNorm + dropout (train mode)", mlp, small),
             ("custom autograd.Function, correct backward", good, small),
             ("custom autograd.Function, WRONG backward", bad, small)]
    if not quick:
        cases.insert(1, ("LeNet-5 (28 x 28)", lenet, imgs[:8]))
    for title, model, x in cases:
        t0 = time.perf_counter()
        kk = min(k, 24) if model is lenet else k  # LeNet's convolutions make each evaluation dearer
        rep = check_gradients(model, loss, (x, y[:x.shape[0]]), max_elements=kk)
        print(f"== {title}  ({time.perf_counter() - t0:.1f} s)")
        print(rep, "\n")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    main(ap.parse_args().quick)
