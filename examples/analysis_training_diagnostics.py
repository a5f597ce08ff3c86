"""Why does training stall?  Gradient flow and the learning-rate range test on Fashion-MNIST.

1. Gradient flow: a 10-layer sigmoid MLP with the default initialisation vs the same depth
   with ReLU and He initialisation.  A monitor attached to the optimizer records per-layer
   ‖∇W‖, ‖W‖ and ‖ΔW‖/‖W‖ and flags the layers where the gradient has vanished.
2. LeNet-5 (sigmoid, as in 1998) on 28 x 28 images: the same monitor, and the top Hessian
   eigenvalue after a few steps of training.
3. LR finder: a range test from 1e-5 to 10 on an MLP suggests a learning rate; one epoch with
   it, with 10x less and with 10x more.

    python examples/analysis_training_diagnostics.py [--quick] [--out runs/analysis]
"""
import argparse
import copy
import os

import danlu as torch
import danlu.nn as nn
from danlu.analysis import GradientFlowMonitor, Hessian, lr_range_test
from danlu.datasets import FashionMNIST
from danlu.utils.data import DataLoader, TensorDataset


def deep_mlp(act, depth, init=None):
    layers, d = [nn.Flatten()], 784
    for _ in range(depth):
        lin = nn.Linear(d, 64)
        if init is not None:
            init(lin)
        layers += [lin, act()]
        d = 64
    return nn.Sequential(*layers, nn.Linear(d, 10))


def he(lin):
    nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")
    nn.init.zeros_(lin.bias)


def fit(model, loader, lr, steps=None, monitor=None):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    if monitor is not None:
        monitor.attach(opt)
    loss_fn = nn.CrossEntropyLoss()
    for i, (xb, yb) in enumerate(loader):
        if steps is not None and i >= steps:
            break
        opt.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
    if monitor is not None:
        monitor.detach()
    return loss.item()


def main(quick: bool = False, out: str = "runs/analysis") -> None:
    torch.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    n = 500 if quick else 2000
    ds = FashionMNIST(train=True, bundled=True)
    X, y = ds.data[:n].float().unsqueeze(1) / 255.0, ds.targets[:n]
    loader = DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True)
    steps = 5 if quick else 30

    print("1) gradient flow in 10-layer MLPs")
    for name, model in (("sigmoid, default init", deep_mlp(nn.Sigmoid, 10)),
                        ("ReLU, He init", deep_mlp(nn.ReLU, 10, he))):
        mon = GradientFlowMonitor(model)
        loss = fit(model, loader, lr=0.1, steps=steps, monitor=mon)
        rep = mon.report()
        print(f"\n== {name}: loss after {steps} steps {loss:.3f}")
        print(rep)
        mon.plot(os.path.join(out, f"gradflow_{name.split(',')[0].lower()}.png"), title=name)

    print("\n2) LeNet-5 (sigmoid)")
    lenet = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
                          nn.Conv2d(6, 16, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
                          nn.Linear(400, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(), nn.Linear(84, 10))
    mon = GradientFlowMonitor(lenet)
    loss = fit(lenet, loader, lr=0.9, steps=3 if quick else 15, monitor=mon)
    print(f"loss after {len(mon.steps)} steps {loss:.3f}")
    print(mon.report())
    H = Hessian(lenet, nn.CrossEntropyLoss(), (X[:64], y[:64]))
    lam, _ = H.eigenvalues(1, tol=1e-2, max_iter=6 if quick else 15)
    print(f"top Hessian eigenvalue of LeNet ({H.n} parameters, 64 images): {lam[0]:.3f} "
          f"-> SGD is stable for lr < 2/lambda_max = {2 / lam[0]:.2f}")

    print("\n3) learning-rate range test (MLP 784-128-10)")
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = torch.optim.SGD(mlp.parameters(), lr=0.01)
    res = lr_range_test(mlp, nn.CrossEntropyLoss(), opt, loader, start_lr=1e-5, end_lr=10.0,
                        num_steps=30 if quick else 100)
    print(res)
    res.plot(os.path.join(out, "lr_finder.png"))
    lr = res.suggestion
    for f in (0.1, 1.0, 10.0):
        m = copy.deepcopy(mlp)
        loss = fit(m, loader, lr=lr * f, steps=5 if quick else None)
        with torch.no_grad():
            full = nn.functional.cross_entropy(m(X), y).item()
        print(f"   one epoch at lr = {lr * f:<8.3g} ({f:>4} x suggestion): training loss {full:.3f}")
    print(f"plots in {out}/: gradflow_sigmoid.png, gradflow_relu.png, lr_finder.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    ap.add_argument("--out", default="runs/analysis", help="folder for the PNG plots")
    a = ap.parse_args()
    main(a.quick, a.out)
