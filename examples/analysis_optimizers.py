"""AdaGrad vs RMSprop vs Adam (vs plain SGD) on ill-conditioned error surfaces.

1. The textbook surface f(x) = 0.1 x₁² + 2 x₂²: the Hessian (danlu.analysis.Hessian) has
   eigenvalues 0.2 and 4, condition number κ = 20.  Plain gradient descent must keep
   lr < 2/λ_max = 0.5 and then crawls along x₁; the adaptive methods rescale each coordinate.
2. Linear regression on the Auto MPG data (shipped with danlu) with raw, unscaled features:
   κ(H) is astronomically large and SGD's stable learning rate leaves most directions frozen.

    python examples/analysis_optimizers.py [--quick] [--out runs/analysis]
"""
import argparse
import os

import numpy as np

import danlu as torch
import danlu.nn as nn
from danlu.analysis import Hessian, slice_2d
from danlu.datasets import load_auto_mpg

OPTS = {
    "SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
    "AdaGrad": lambda p, lr: torch.optim.Adagrad(p, lr=lr),
    "RMSprop": lambda p, lr: torch.optim.RMSprop(p, lr=lr, alpha=0.9),
    "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr),
}


def quadratic(steps):
    f = lambda x: 0.1 * x[0] ** 2 + 2 * x[1] ** 2  # noqa: E731
    x = torch.tensor([-5.0, -2.0], dtype=torch.float64, requires_grad=True)
    w = Hessian.from_function(f, [x]).dense().numpy()
    ev = np.linalg.eigvalsh(w)
    print(f"1) f = 0.1 x1^2 + 2 x2^2: Hessian eigenvalues {ev}, condition number {ev[-1] / ev[0]:.0f}")
    print(f"   {'optimizer':<10}{'lr':>6}  {'x after ' + str(steps) + ' steps':<28}{'f':>10}")
    paths = {}
    for name, lr in (("SGD", 0.4), ("AdaGrad", 0.4), ("RMSprop", 0.4), ("Adam", 0.4)):
        x = torch.tensor([-5.0, -2.0], dtype=torch.float64, requires_grad=True)
        opt = OPTS[name]([x], lr)
        path = [x.detach().clone()]
        for _ in range(steps):
            opt.zero_grad()
            f(x).backward()
            opt.step()
            path.append(x.detach().clone())
        paths[name] = np.stack([p.numpy() for p in path])
        xs = ", ".join(f"{v:+.4f}" for v in x.tolist())
        print(f"   {name:<10}{lr:>6}  ({xs}){'':<8}{f(x).item():>10.2e}")
    return f, paths


def auto_mpg(steps):
    d = load_auto_mpg()
    cols = ["horsepower", "weight", "acceleration", "model_year"]
    X = torch.tensor(np.stack([np.asarray(d[c], dtype=np.float64) for c in cols], 1))
    y = torch.tensor(np.asarray(d["mpg"], dtype=np.float64)).reshape(-1, 1)
    keep = ~torch.isnan(X).any(1)
    X, y = X[keep], y[keep]
    model = nn.Linear(4, 1).double()
    nn.init.zeros_(model.weight)
    nn.init.zeros_(model.bias)
    H = Hessian(model, nn.MSELoss(), (X, y))
    ev = np.linalg.eigvalsh(H.dense().numpy())
    print(f"\n2) Auto MPG linear regression on raw {cols} ({X.shape[0]} cars)")
    print(f"   Hessian eigenvalues {np.array2string(ev, precision=3)}; condition number {ev[-1] / ev[0]:.2e}")
    print(f"   SGD is stable only for lr < 2 / lambda_max = {2 / ev[-1]:.2e}")
    start = {k: v.clone() for k, v in model.state_dict().items()}
    print(f"   each optimizer with its best lr from a small grid, {steps} full-batch steps from zero weights")
    print(f"   {'optimizer':<10}{'best lr':>9}  {'MSE':>10}   MSE for each lr of the grid")
    for name in OPTS:
        grid = [1.9 / ev[-1], 1.0 / ev[-1], 0.5 / ev[-1]] if name == "SGD" else [1e-3, 1e-2, 1e-1, 1.0]
        res = []
        for lr in grid:
            model.load_state_dict(start)
            opt = OPTS[name](model.parameters(), lr)
            for _ in range(steps):
                opt.zero_grad()
                loss = nn.functional.mse_loss(model(X), y)
                loss.backward()
                opt.step()
            with torch.no_grad():
                mse = nn.functional.mse_loss(model(X), y).item()
            res.append(mse if np.isfinite(mse) else np.inf)
        b = int(np.argmin(res))
        print(f"   {name:<10}{grid[b]:>9.1e}  {res[b]:>10.3f}   " + "  ".join(f"{r:.3g}" for r in res))
    print(f"   (predicting the mean mpg gives MSE {y.var(unbiased=False).item():.3f})")


def main(quick: bool = False, out: str = "runs/analysis") -> None:
    torch.manual_seed(0)
    f, paths = quadratic(10 if quick else 20)
    auto_mpg(50 if quick else 500)
    # the surface and the four paths (the grid comes from danlu.analysis.slice_2d)
    x = torch.tensor([0.0, 0.0], dtype=torch.float64, requires_grad=True)
    e1, e2 = [torch.tensor([1.0, 0.0])], [torch.tensor([0.0, 1.0])]
    sl = slice_2d(f, params=[x], directions=[e1, e2], alphas=np.linspace(-5.5, 1.5, 50),
                  betas=np.linspace(-3, 3, 50))
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return
    fig = Figure(figsize=(6, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    A, B = np.meshgrid(sl.alphas, sl.betas, indexing="ij")
    ax.contour(A, B, sl.losses, levels=25, cmap="Greys")
    for name, p in paths.items():
        ax.plot(p[:, 0], p[:, 1], ".-", ms=3, label=name)
    ax.legend(fontsize=8)
    ax.set_title("f = 0.1 x1^2 + 2 x2^2 (condition number 20)")
    os.makedirs(out, exist_ok=True)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "optimizers_ill_conditioned.png"), dpi=110)
    print(f"\nplot: {out}/optimizers_ill_conditioned.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    ap.add_argument("--out", default="runs/analysis", help="folder for the PNG plot")
    a = ap.parse_args()
    main(a.quick, a.out)
