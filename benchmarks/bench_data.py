"""Data-loading benchmark: images/second of danlu's DataLoader vs torch's, same process, same data.

The dataset is the bundled Fashion-MNIST subset held in memory as uint8 arrays; each sample goes
through the same per-image transforms in both libraries (to float in [0, 1], random horizontal flip,
normalise), then batches are collated by each library's ``default_collate``. torchvision is not
needed: the torch side writes the same three transforms with torch ops.

    python benchmarks/bench_data.py [--batch-size 128] [--epochs 2]

``bench_data(...)`` returns ``{num_workers: {"danlu": img/s, "torch": img/s, "ratio": danlu/torch}}``
for the lead's benchmark suite.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _DanluImages:
    def __init__(self, images, labels):
        from danlu.vision import transforms as T

        self.images, self.labels = images, labels
        self.transform = T.Compose([T.ToTensor(), T.RandomHorizontalFlip(), T.Normalize((0.286,), (0.353,))])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.transform(self.images[i]), int(self.labels[i])


class _TorchImages:
    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        import torch

        x = torch.from_numpy(self.images[i]).to(torch.float32).div_(255).unsqueeze(0)
        if torch.rand(1).item() < 0.5:
            x = x.flip(-1)
        return (x - 0.286) / 0.353, int(self.labels[i])


def _rate(loader, epochs: int) -> float:
    n = 0
    t0 = time.perf_counter()
    for _ in range(epochs):
        for x, _y in loader:
            n += x.shape[0]
    return n / (time.perf_counter() - t0)


def bench_data(batch_size: int = 128, epochs: int = 2, workers=(0, 2), n: int | None = None) -> dict:
    import torch
    import torch.utils.data as tud

    import danlu.utils.data as dud
    from danlu.datasets import FashionMNIST

    torch.set_num_threads(1)
    ds = FashionMNIST(train=True, bundled=True)
    images, labels = ds._images, ds._labels
    if n is not None:
        images, labels = images[:n], labels[:n]
    out = {}
    for nw in workers:
        extra = dict(persistent_workers=True) if nw else {}
        dl = dud.DataLoader(_DanluImages(images, labels), batch_size=batch_size, shuffle=True, num_workers=nw, **extra)
        tl = tud.DataLoader(_TorchImages(images, labels), batch_size=batch_size, shuffle=True, num_workers=nw, **extra)
        _rate(dl, 1) if nw else None  # start the persistent workers outside the timing
        _rate(tl, 1) if nw else None
        d, t = _rate(dl, epochs), _rate(tl, epochs)
        out[nw] = {"danlu": d, "torch": t, "ratio": d / t}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="danlu vs torch DataLoader throughput")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--n", type=int, default=None, help="use only the first n images")
    args = ap.parse_args()
    res = bench_data(args.batch_size, args.epochs, n=args.n)
    for nw, r in res.items():
        print(f"num_workers={nw}: danlu {r['danlu']:9.0f} img/s  torch {r['torch']:9.0f} img/s  "
              f"ratio danlu/torch {r['ratio']:.2f}")


if __name__ == "__main__":
    main()
