"""Small vs large batches: gradient noise steers SGD to flatter minima (Keskar et al. 2017).

The same MLP, from the same initialisation and with the same learning rate, is trained on
Fashion-MNIST (bundled subset) with mini-batches of 10 and with the full batch until both reach
the same training loss.  Sharpness is then measured three ways with danlu.analysis: the top
Hessian eigenvalue (Lanczos), the Hessian trace (Hutchinson) and the loss along a random
filter-normalised direction (1-D slice; one random direction is a much noisier measure than
the eigenvalues); plus test accuracy.  Full-batch gradient descent at lr η typically climbs to
the "edge of stability" λ_max ≈ 2/η; SGD's noise keeps it well below.

    python examples/analysis_batch_size.py [--quick] [--out runs/analysis]
"""
import argparse
import copy
import os

import numpy as np

import danlu as torch
import danlu.nn as nn
from danlu.analysis import Hessian, random_direction, slice_1d
from danlu.datasets import FashionMNIST


def load(train, n):
    ds = FashionMNIST(train=train, bundled=True)
    x = nn.functional.avg_pool2d(ds.data[:n].double().unsqueeze(1) / 255.0, 2).flatten(1)
    return (x - 0.29) / 0.33, ds.targets[:n]


def train(model, X, y, batch_size, lr, target, max_steps):
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    step = 0
    while step < max_steps:
        perm = torch.randperm(X.shape[0], generator=g)
        for i in range(0, X.shape[0], batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
            step += 1
        with torch.no_grad():
            full = loss_fn(model(X), y).item()
        if full <= target:
            break
    return step, full


def main(quick: bool = False, out: str = "runs/analysis") -> None:
    torch.manual_seed(0)
    X, y = load(True, 300 if quick else 1000)
    Xt, yt = load(False, 300 if quick else 1000)
    target = 1.0 if quick else 0.3
    base = nn.Sequential(nn.Linear(196, 32), nn.Tanh(), nn.Linear(32, 10)).double()
    loss_fn = nn.CrossEntropyLoss()
    results = {}
    for name, bs in (("small batch (10)", 10), ("full batch (%d)" % X.shape[0], X.shape[0])):
        model = copy.deepcopy(base)
        steps, loss = train(model, X, y, bs, lr=0.1, target=target, max_steps=300 if quick else 20000)
        H = Hessian(model, loss_fn, (X, y))
        lam, _ = H.eigenvalues(1, tol=1e-3)
        tr = H.trace(n_samples=8 if quick else 20)
        with torch.no_grad():
            acc = (model(Xt).argmax(1) == yt).double().mean().item()
        results[name] = dict(model=model, steps=steps, loss=loss, lam=lam[0], trace=tr, acc=acc)
    print(f"(2 / lr = {2 / 0.1:.0f}: gradient descent is unstable beyond this sharpness)")
    d = random_direction(base, seed=0)  # one direction for both (filter-normalised per model below)
    print(f"{'':<22}{'steps':>7}{'train loss':>12}{'lambda_max':>12}{'trace':>16}{'test acc':>10}{'loss at +-1':>14}")
    alphas = np.linspace(-1, 1, 11 if quick else 21)
    curves = {}
    for name, r in results.items():
        m = r["model"]
        # rescale the shared Gaussian direction filter by filter to this model's weights
        dm = []
        for p, dp in zip(m.parameters(), d):
            if p.ndim > 1:
                dn = dp.norm(dim=1, keepdim=True)
                dm.append(dp / torch.where(dn > 0, dn, torch.ones_like(dn)) * p.detach().norm(dim=1, keepdim=True))
            else:
                dm.append(torch.zeros_like(dp))
        sl = slice_1d(m, loss_fn, (X, y), direction=dm, alphas=alphas)
        curves[name] = sl
        edge = (sl.losses[0] + sl.losses[-1]) / 2
        print(f"{name:<22}{r['steps']:>7}{r['loss']:>12.4f}{r['lam']:>12.3f}"
              f"{r['trace'].estimate:>10.1f} +-{r['trace'].stderr:>4.1f}{r['acc']:>10.3f}{edge:>14.3f}")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    for name, sl in curves.items():
        ax.plot(sl.alphas, sl.losses, "-o", ms=3, label=name)
    ax.set_xlabel("alpha along a filter-normalised random direction")
    ax.set_ylabel("training loss")
    ax.legend()
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    fig.savefig(os.path.join(out, "batch_size_sharpness.png"), dpi=110)
    print(f"plot: {out}/batch_size_sharpness.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    ap.add_argument("--out", default="runs/analysis", help="folder for the PNG plot")
    a = ap.parse_args()
    main(a.quick, a.out)
