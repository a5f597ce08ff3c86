"""How step time grows with batch size and width: danlu vs torch, MLP and LeNet training steps.

    python benchmarks/scaling.py [--quick]

Writes ``benchmarks/scaling.png`` (log-log curves) and ``benchmarks/scaling.md`` (the table).
"""
from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import run  # noqa: E402
import workloads as W  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _mlp_width(width):
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Flatten(), nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width),
                             nn.ReLU(), nn.Linear(width, 10))
    return build


def _lenet_width(mult):
    """LeNet-5 (sigmoid, average pooling) with ``mult`` times the channels (6m, 16m) and fc widths."""
    def build(lib):
        nn = lib.nn
        c1, c2, f1, f2 = 6 * mult, 16 * mult, 120 * mult, 84 * mult
        return nn.Sequential(
            nn.Conv2d(1, c1, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2),
            nn.Conv2d(c1, c2, 5), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.Flatten(),
            nn.Linear(c2 * 25, f1), nn.Sigmoid(), nn.Linear(f1, f2), nn.Sigmoid(), nn.Linear(f2, 10))
    return build


def _builder(model_fn, batch):
    def build(lib, device, quick):
        model = W._seeded(lib, model_fn).to(device)
        x, y = W._data(lib, device, *W._images(batch, 1, 28, 28))
        return W._classification_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.01), x, y)
    return build


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    run._reexec_with_env(args.threads)
    libs = run._libs(args.threads)
    batches = [1, 16, 256, 1024] if args.quick else [1, 4, 16, 64, 256, 1024]
    widths = [64, 256, 1024] if args.quick else [64, 128, 256, 512, 1024, 2048]
    mults = [1, 4] if args.quick else [1, 2, 4, 8]
    rounds, block = (3, 0.05) if args.quick else (5, 0.2)
    series = {}
    for label, model_fn, xs, kind in [
        ("MLP vs batch", W.mlp, batches, "batch"), ("LeNet vs batch", W.lenet, batches, "batch"),
        ("MLP vs width (batch 256)", _mlp_width, widths, "width"),
        ("LeNet vs channel multiplier (batch 256)", _lenet_width, mults, "width"),
    ]:
        rows = []
        for v in xs:
            b = _builder(model_fn, v) if kind == "batch" else _builder(model_fn(v), 256)
            r = run.bench(f"{label}:{v}", libs, "cpu", rounds, block, args.quick, builder=b)
            rows.append((v, r["danlu_median_ms"], r["torch_median_ms"], r["ratio_median"]))
            print(f"{label:<26} {v:>5}  danlu {r['danlu_median_ms']:9.3f} ms  torch "
                  f"{r['torch_median_ms']:9.3f} ms  ratio {r['ratio_median']:.2f}", flush=True)
        series[label] = rows
    with open(os.path.join(HERE, "scaling.md"), "w") as f:
        f.write("# Scaling: training-step time, danlu vs torch (median ms, same process)\n\n")
        for label, rows in series.items():
            f.write(f"## {label}\n\n| x | danlu ms | torch ms | ratio |\n|---|---|---|---|\n")
            for v, d, t, r in rows:
                f.write(f"| {v} | {d:.3f} | {t:.3f} | {r:.2f} |\n")
            f.write("\n")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: table written, no plot")
        return 0
    cols = 2
    rows_n = (len(series) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(5.5 * cols, 4 * rows_n), squeeze=False)
    for ax, (label, rows) in zip(axes.ravel(), series.items()):
        a = np.array(rows)
        ax.loglog(a[:, 0], a[:, 1], "o-", label="danlu")
        ax.loglog(a[:, 0], a[:, 2], "s--", label="torch")
        ax.set_title(label)
        ax.set_xlabel("batch size" if "vs batch" in label else
                      "channel multiplier" if "multiplier" in label else "hidden width")
        ax.set_ylabel("step time (ms)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "scaling.png"), dpi=100)
    print("wrote benchmarks/scaling.png and benchmarks/scaling.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
