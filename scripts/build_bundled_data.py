"""Build the data files that ship inside danlu (``danlu/datasets/_data/``) from their sources.

Sources (see ../shared/DATA.md; none of them is needed at run time or by the tests):

* Fashion-MNIST (MIT, Zalando): Debian package ``dataset-fashion-mnist``
  -> a class-balanced subset, 1,000 train images per class from the 60k training set and 200 test
  images per class from the 10k test set, chosen by a seeded permutation and kept in the original
  order; written as gzip IDX files (the upstream layout) plus the source indices.
* The Time Machine, H. G. Wells (public domain): PyPI ``word-text-counter==0.3.0``
  -> the book text between the Project Gutenberg start and end markers (BOM dropped), gzip.
* Auto MPG (UCI; BSD-3 copy in PyPI ``mlxtend==0.25.0``, install with ``--no-deps``)
  -> a CSV with a header; ``origin`` codes 1/2/3 written as usa/europe/japan (a categorical column).

Every output is byte-reproducible (fixed seed, gzip mtime 0); ``SHA256SUMS.txt`` lists the digests.

    apt-get install -y dataset-fashion-mnist
    pip install word-text-counter==0.3.0 && pip install mlxtend==0.25.0 --no-deps
    python scripts/build_bundled_data.py
"""
from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import importlib.util
import io
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from danlu.datasets._idx import read_idx, write_idx  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "danlu", "datasets", "_data")
FMNIST_SRC = "/usr/share/datasets/fashion-mnist"
SEED = 20241122
PER_CLASS = {"train": 1000, "t10k": 200}


def _package_file(pkg: str, *parts: str) -> str:
    spec = importlib.util.find_spec(pkg)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{pkg} is not installed; see this script's docstring")
    return os.path.join(os.path.dirname(spec.origin), *parts)


def build_fashion_mnist(src: str, out_dir: str) -> list[str]:
    rng = np.random.default_rng(SEED)
    os.makedirs(out_dir, exist_ok=True)
    written = []
    for split, per_class in PER_CLASS.items():
        images = read_idx(os.path.join(src, f"{split}-images-idx3-ubyte.gz"))
        labels = read_idx(os.path.join(src, f"{split}-labels-idx1-ubyte.gz"))
        chosen = []
        for c in range(10):
            idx = np.flatnonzero(labels == c)
            chosen.append(np.sort(rng.permutation(idx)[:per_class]))
        keep = np.sort(np.concatenate(chosen))
        for name, arr in ((f"{split}-images-idx3-ubyte.gz", images[keep]),
                          (f"{split}-labels-idx1-ubyte.gz", labels[keep]),
                          (f"{split}-source-indices-idx1-int.gz", keep.astype(np.int32))):
            path = os.path.join(out_dir, name)
            write_idx(path, arr)
            written.append(path)
    return written


def build_time_machine(out_dir: str) -> str:
    text = open(_package_file("word_text_counter", "data", "time_machine.txt"), encoding="utf-8-sig").read()
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("*** START OF"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("*** END OF"))
    body = "\n".join(lines[start + 1:end]).strip("\n") + "\n"
    path = os.path.join(out_dir, "time_machine.txt.gz")
    with gzip.GzipFile(path, "wb", compresslevel=9, mtime=0) as f:
        f.write(body.encode("utf-8"))
    return path


def build_auto_mpg(out_dir: str) -> str:
    src = _package_file("mlxtend", "data", "data", "autompg.csv.gz")
    rows = list(csv.reader(io.StringIO(gzip.open(src).read().decode("utf-8"))))
    origin = {"1": "usa", "2": "europe", "3": "japan"}
    header = ["cylinders", "displacement", "horsepower", "weight", "acceleration", "model_year", "origin",
              "car_name", "mpg"]
    path = os.path.join(out_dir, "auto_mpg.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            r = [v.strip() for v in r]
            r[6] = origin[r[6].split(".")[0]]
            w.writerow(r)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fashion-mnist", default=FMNIST_SRC, help="directory with the full Fashion-MNIST IDX files")
    args = ap.parse_args()
    files = build_fashion_mnist(args.fashion_mnist, os.path.join(OUT, "fashion_mnist_subset"))
    files += [build_time_machine(OUT), build_auto_mpg(OUT)]
    with open(os.path.join(OUT, "SHA256SUMS.txt"), "w") as f:
        for p in sorted(files):
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest()
            f.write(f"{digest}  {os.path.relpath(p, OUT)}\n")
            print(f"{digest}  {os.path.relpath(p, OUT)}  ({os.path.getsize(p)} bytes)")


if __name__ == "__main__":
    main()
