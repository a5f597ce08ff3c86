"""A network born on a saddle point: gradient descent stalls, negative curvature gets it out.

A 196-16-10 tanh network without biases, all weights zero, classifies 14 x 14 Fashion-MNIST
images.  Every hidden unit outputs tanh(0) = 0, so ∇L = 0 exactly: plain gradient descent
(with or without momentum) never moves.  Yet it is no minimum: the Hessian couples W1 and W2,
with eigenvalues ±σ of the label/input cross-covariance — a saddle.  danlu.analysis finds it,
hands back the escape direction u (eigenvector of λ_min), and predicts L(θ + t u) ≈ L + ½ λ t².

    python examples/analysis_saddle_escape.py [--quick] [--out runs/analysis]
"""
import argparse
import copy
import os

import danlu as torch
import danlu.nn as nn
from danlu.analysis import Hessian, classify_critical_point, slice_2d
from danlu.datasets import FashionMNIST


def load(n):
    ds = FashionMNIST(train=True, bundled=True)
    x = nn.functional.avg_pool2d(ds.data[:n].double().unsqueeze(1) / 255.0, 2).flatten(1)
    return x - x.mean(0), ds.targets[:n]


def train(model, X, y, steps, lr=0.5, momentum=0.0):
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    hist = []
    for _ in range(steps + 1):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(X), y)
        hist.append(loss.item())
        loss.backward()
        opt.step()
    return hist


def main(quick: bool = False, out: str = "runs/analysis") -> None:
    torch.manual_seed(0)
    X, y = load(300 if quick else 1000)
    steps = 20 if quick else 100
    net = nn.Sequential(nn.Linear(196, 16, bias=False), nn.Tanh(), nn.Linear(16, 10, bias=False)).double()
    for p in net.parameters():
        nn.init.zeros_(p)
    loss_fn = nn.CrossEntropyLoss()

    escaped = copy.deepcopy(net)
    rep = classify_critical_point(escaped, loss_fn, (X, y), step=0.5)
    print(rep, "\n")

    # the saddle's shape: losses on the plane of the escape direction and the steepest-up direction
    H = Hessian(net, loss_fn, (X, y))
    _, (u_max,) = H.eigenvalues(1, "largest")
    grid = torch.linspace(-2, 2, 7 if quick else 15).tolist()
    sl = slice_2d(net, loss_fn, (X, y), directions=[rep.escape_direction, u_max], alphas=grid, betas=grid)
    os.makedirs(out, exist_ok=True)
    sl.plot(os.path.join(out, "saddle_landscape.png"), title="loss around the saddle (u_min, u_max)")

    runs = {}
    runs["GD from the saddle"] = train(copy.deepcopy(net), X, y, steps)
    runs["momentum 0.9 from the saddle"] = train(copy.deepcopy(net), X, y, steps, momentum=0.9)
    noisy = copy.deepcopy(net)
    with torch.no_grad():
        for p in noisy.parameters():
            p.add_(1e-4 * torch.randn_like(p))
    runs["GD, tiny noise (1e-4)"] = train(copy.deepcopy(noisy), X, y, steps)
    runs["momentum 0.9, tiny noise"] = train(copy.deepcopy(noisy), X, y, steps, momentum=0.9)
    rep.escape()  # θ ← θ + t u, in place on the model the report was made for
    runs["GD after one escape step"] = train(escaped, X, y, steps)

    marks = [0, 5, 10, 20, 50, 100, steps]
    marks = sorted({m for m in marks if m <= steps})
    print(f"{'training loss at step':<30}" + "".join(f"{m:>9}" for m in marks))
    for name, h in runs.items():
        print(f"{name:<30}" + "".join(f"{h[m]:>9.4f}" for m in marks))
    print(f"\nsaddle-plane slice: loss {sl.losses.min():.4f} .. {sl.losses.max():.4f}, centre {sl.center_loss:.4f}")
    print(f"(log 10 = {torch.log(torch.tensor(10.0)).item():.4f}: the loss of the all-zero network)")
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 4))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(111)
        for name, h in runs.items():
            ax.plot(h, label=name)
        ax.set_xlabel("step")
        ax.set_ylabel("training loss")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "saddle_escape.png"), dpi=110)
        print(f"plots: {out}/saddle_escape.png, {out}/saddle_landscape.png")
    except ImportError:
        pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    ap.add_argument("--out", default="runs/analysis", help="folder for the PNG plots")
    a = ap.parse_args()
    main(a.quick, a.out)
