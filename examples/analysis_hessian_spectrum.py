"""The Hessian spectrum of an MLP before and after training (Fashion-MNIST, bundled subset).

Top and bottom eigenvalues (Lanczos), the trace (Hutchinson) and the eigenvalue density
(stochastic Lanczos quadrature), all from exact Hessian-vector products, at initialisation and
after training; then the critical-point report, the 1-D interpolation init -> trained and the
2-D landscape on the plane of the optimisation trajectory.  Typical picture: most of the
density's mass sits at ~0 (a wide, degenerate valley), a few outliers stand out, and small
negative eigenvalues remain — SGD stops near, not at, a strict minimum.

    python examples/analysis_hessian_spectrum.py [--quick] [--out runs/analysis]
"""
import argparse
import copy
import os
import time

import danlu as torch
import danlu.nn as nn
from danlu.analysis import Hessian, classify_critical_point, interpolate, slice_2d
from danlu.datasets import FashionMNIST
from danlu.utils.data import DataLoader, TensorDataset


def load(n):
    ds = FashionMNIST(train=True, bundled=True)
    x = nn.functional.avg_pool2d(ds.data[:n].double().unsqueeze(1) / 255.0, 2).flatten(1)
    return (x - 0.29) / 0.33, ds.targets[:n]


def spectrum(tag, model, loss_fn, batch, out, quick):
    t0 = time.perf_counter()
    H = Hessian(model, loss_fn, batch)
    top, _ = H.eigenvalues(2 if quick else 4, "largest", tol=1e-3)
    bottom, _ = H.eigenvalues(1, "smallest", tol=1e-3)
    tr = H.trace(n_samples=10 if quick else 20, seed=0)
    dens = H.density(n_probes=2 if quick else 3, n_steps=15 if quick else 30, seed=0)
    dens.plot(os.path.join(out, f"spectrum_{tag}.png"), title=f"Hessian eigenvalue density ({tag})")
    print(f"[{tag}] {H.n} parameters, loss {H.objective.value():.4f}   ({time.perf_counter() - t0:.1f} s)")
    print("   top eigenvalues     " + "  ".join(f"{v:.4g}" for v in top))
    print(f"   smallest eigenvalue {bottom[0]:.4g}")
    print(f"   trace (Hutchinson)  {tr.estimate:.4g} +- {tr.stderr:.2g}    (mean eigenvalue {tr.estimate / H.n:.3g})")
    print(f"   SLQ density mean    {dens.mean():.3g}; mass within 1% of lambda_max of zero "
          f"{dens.density[abs(dens.grid) < 0.01 * top[0]].sum() * (dens.grid[1] - dens.grid[0]):.2f}")
    return top


def main(quick: bool = False, out: str = "runs/analysis") -> None:
    torch.manual_seed(0)
    os.makedirs(out, exist_ok=True)
    X, y = load(500 if quick else 2000)
    batch = (X[:200], y[:200]) if quick else (X[:500], y[:500])  # the Hessian's data
    loss_fn = nn.CrossEntropyLoss()
    model = nn.Sequential(nn.Linear(196, 32), nn.Tanh(), nn.Linear(32, 10)).double()
    init = copy.deepcopy(model.state_dict())

    spectrum("init", model, loss_fn, batch, out, quick)

    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = DataLoader(TensorDataset(X, y), batch_size=50, shuffle=True)
    trajectory = [[p.detach().clone() for p in model.parameters()]]
    epochs = 2 if quick else 10
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
        trajectory.append([p.detach().clone() for p in model.parameters()])
    with torch.no_grad():
        acc = (model(X).argmax(1) == y).float().mean().item()
    print(f"\ntrained {epochs} epochs (SGD, momentum 0.9): training accuracy {acc:.3f}\n")

    spectrum("trained", model, loss_fn, batch, out, quick)
    rep = classify_critical_point(model, loss_fn, batch, method="lanczos")
    print("\n" + str(rep))

    line = interpolate(model, loss_fn, batch, init, model.state_dict(), alphas=[i / 8 for i in range(-2, 11)] if not quick else [0.0, 0.5, 1.0])
    line.plot(os.path.join(out, "interpolation_init_trained.png"), title="init (0) -> trained (1)")
    at = {round(float(a), 6): float(v) for a, v in zip(line.alphas, line.losses)}
    print(f"\nlinear interpolation init -> trained: loss {at[0.0]:.4f} (alpha 0) -> {at[1.0]:.4f} (alpha 1); "
          f"max on [0, 1] {max(v for a, v in at.items() if 0 <= a <= 1):.4f}")
    land = slice_2d(model, loss_fn, batch, trajectory=trajectory, steps=7 if quick else 17)
    land.plot(os.path.join(out, "landscape_trajectory.png"), title="loss on the trajectory's PCA plane")
    print(f"2-D landscape (PCA plane of the trajectory): centre {land.center_loss:.4f}, "
          f"range {land.losses.min():.3f} .. {land.losses.max():.3f}")
    print(f"plots in {out}/: spectrum_init.png, spectrum_trained.png, interpolation_init_trained.png, "
          "landscape_trajectory.png")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny settings (smoke test)")
    ap.add_argument("--out", default="runs/analysis", help="folder for the PNG plots")
    a = ap.parse_args()
    main(a.quick, a.out)
