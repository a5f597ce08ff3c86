"""danlu.datasets: readers on files the tests write, downloads from local servers, bundled data."""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

import danlu
from danlu import datasets as D
from danlu.utils.data import DataLoader


# ----------------------------------------------------------------------------- IDX
def test_idx_roundtrip_raw_and_gz(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        D.write_idx(tmp_path / name, arr)
        out = D.read_idx(tmp_path / name)
        assert out.dtype == np.uint8 and np.array_equal(out, arr)
    f = np.array([1.5, -2.0], dtype=np.float32)
    D.write_idx(tmp_path / "f.idx", f)
    assert np.array_equal(D.read_idx(tmp_path / "f.idx"), f)


def test_idx_hand_written_bytes(tmp_path):
    # magic 0 0 0x0C(int32) ndim=1, size 2 (big-endian), then two big-endian int32
    raw = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0xFE])
    (tmp_path / "x").write_bytes(raw)
    assert D.read_idx(tmp_path / "x").tolist() == [256, -2]


def test_idx_corrupt_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01\x00\x00\x00\x01\x05")
    with pytest.raises(RuntimeError, match="corrupt IDX header.*got 01 02 08 01"):
        D.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]))
    with pytest.raises(RuntimeError, match=r"shape \[2, 2\] of uint8 needs 4 data bytes, found 3"):
        D.read_idx(tmp_path / "short")
    (tmp_path / "trunc.gz").write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")[:-6])
    with pytest.raises(RuntimeError, match="IDX"):
        D.read_idx(tmp_path / "trunc.gz")


def _write_mnist_like(folder, n_train=12, n_test=5, prefix=""):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", n_train), ("t10k", n_test)):
        D.write_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"),
                    rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        D.write_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"), (np.arange(n) % 10).astype(np.uint8))


def test_mnist_reader_layouts_and_errors(tmp_path):
    _write_mnist_like(tmp_path / "FashionMNIST" / "raw")
    ds = D.FashionMNIST(tmp_path, train=True)
    img, label = ds[3]
    assert isinstance(label, int) and label == 3
    assert img.dtype == danlu.float32 and tuple(img.shape) == (1, 28, 28)
    assert 0 <= img.min().item() and img.max().item() <= 1
    assert np.allclose(img.numpy()[0], ds.data[3].numpy() / 255)
    assert ds.data.dtype == danlu.uint8 and ds.targets.dtype == danlu.int64 and len(ds) == 12
    assert len(D.FashionMNIST(tmp_path, train=False)) == 5
    raw = D.FashionMNIST(tmp_path, transform=lambda a: a, target_transform=lambda t: -t)[2]
    assert raw[0].dtype == np.uint8 and raw[0].shape == (28, 28) and raw[1] == -2
    with pytest.raises(IndexError, match="index 12 is out of range for FashionMNIST with 12 samples"):
        ds[12]
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True"):
        D.MNIST(tmp_path / "nowhere")
    _write_mnist_like(tmp_path / "flat")
    assert len(D.MNIST(tmp_path / "flat")) == 12


def test_mnist_download_from_file_mirror(tmp_path):
    src = tmp_path / "mirror"
    _write_mnist_like(src)
    files = sorted(os.listdir(src))

    class LocalMNIST(D.MNIST):
        mirrors = ["http://127.0.0.1:9/nothing/", src.as_uri() + "/"]  # the first mirror is unreachable
        resources = [(f, hashlib.md5((src / f).read_bytes()).hexdigest()) for f in files]

    ds = LocalMNIST(tmp_path / "root", train=False, download=True)
    assert len(ds) == 5 and os.path.isfile(tmp_path / "root" / "LocalMNIST" / "raw" / files[0])


# ----------------------------------------------------------------------------- downloads
@pytest.fixture
def http_root(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_download_checksum_cache_and_mismatch(tmp_path, http_root):
    served, base = http_root
    payload = os.urandom(3000)
    (served / "blob.bin").write_bytes(payload)
    sha = hashlib.sha256(payload).hexdigest()
    cache = tmp_path / "cache"
    path = D.download_url(base + "blob.bin", cache, sha256=sha)
    assert open(path, "rb").read() == payload and D.check_integrity(path, sha256=sha)
    (served / "blob.bin").unlink()  # a second call must be served from the cache
    assert D.download_url(base + "blob.bin", cache, sha256=sha) == path
    (served / "other.bin").write_bytes(b"not what was promised")
    with pytest.raises(RuntimeError, match=f"sha256 mismatch: expected {'0' * 64}, got [0-9a-f]{{64}}"):
        D.download_url(base + "other.bin", cache, sha256="0" * 64)
    assert sorted(os.listdir(cache)) == ["blob.bin"]  # no partial or unverified file left behind
    with pytest.raises(RuntimeError, match="Failed to download .*missing.bin"):
        D.download_url(base + "missing.bin", cache)
    with pytest.raises(RuntimeError, match="Failed to download http://127.0.0.1:9/x"):
        D.download_url("http://127.0.0.1:9/x", cache, timeout=5)
    assert sorted(os.listdir(cache)) == ["blob.bin"]


def test_download_file_url_and_env_cache(tmp_path, monkeypatch):
    src = tmp_path / "f.txt"
    src.write_text("hello")
    monkeypatch.setenv("DANLU_DATA", str(tmp_path / "envcache"))
    path = D.download_url(src.as_uri(), md5=hashlib.md5(b"hello").hexdigest())
    assert path == str(tmp_path / "envcache" / "f.txt")


# ----------------------------------------------------------------------------- CIFAR-10
def _cifar_records(labels):
    recs = []
    for k, lab in enumerate(labels):
        planes = np.stack([np.full((32, 32), 10 * k + c, np.uint8) for c in range(3)])
        planes[0, 0, 1] = 200  # red channel, row 0, column 1
        recs.append(bytes([lab]) + planes.tobytes())
    return b"".join(recs)


def test_cifar10_binary_reader(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    for i in range(1, 6):
        (folder / f"data_batch_{i}.bin").write_bytes(_cifar_records([i, 9]))
    (folder / "test_batch.bin").write_bytes(_cifar_records([3]))
    train = D.CIFAR10(tmp_path, train=True)
    assert len(train) == 10 and train.targets == [1, 9, 2, 9, 3, 9, 4, 9, 5, 9]
    assert train.data.shape == (10, 32, 32, 3) and train.data.dtype == np.uint8
    assert train.data[1, 5, 5].tolist() == [10, 11, 12] and train.data[0, 0, 1, 0] == 200
    img, label = D.CIFAR10(tmp_path, train=False)[0]
    assert label == 3 and tuple(img.shape) == (3, 32, 32) and img.dtype == danlu.float32
    np.testing.assert_allclose(img.numpy()[:, 3, 3], [0, 1 / 255, 2 / 255], rtol=1e-6)
    (folder / "test_batch.bin").write_bytes(_cifar_records([3])[:-1])
    with pytest.raises(RuntimeError, match="corrupt CIFAR-10 binary file .*3072 bytes is not a positive multiple"):
        D.CIFAR10(tmp_path, train=False)
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        D.CIFAR10(tmp_path / "empty")


# ----------------------------------------------------------------------------- bundled data
def test_bundled_fashion_mnist_subset():
    train, test = D.FashionMNIST(train=True, bundled=True), D.FashionMNISTSubset(train=False)
    assert (len(train), len(test)) == (10000, 2000)
    assert np.bincount(train.targets.numpy()).tolist() == [1000] * 10
    assert np.bincount(test.targets.numpy()).tolist() == [200] * 10
    img, label = train[0]
    assert img.dtype == danlu.float32 and tuple(img.shape) == (1, 28, 28) and isinstance(label, int)
    assert 0 <= img.min().item() and img.max().item() <= 1 and img.max().item() > 0.5
    x, y = next(iter(DataLoader(test, batch_size=64)))
    assert tuple(x.shape) == (64, 1, 28, 28) and y.dtype == danlu.int64
    train_iter, _ = D.load_data_fashion_mnist(32, resize=14)
    x, _ = next(iter(train_iter))
    assert tuple(x.shape) == (32, 1, 14, 14)


def test_bundled_files_match_their_provenance_note():
    root = os.path.join(os.path.dirname(D.__file__), "_data")
    lines = open(os.path.join(root, "SHA256SUMS.txt")).read().split("\n")
    entries = [ln.split("  ") for ln in lines if ln]
    assert len(entries) >= 8
    for digest, rel in entries:
        assert D.calculate_digest(os.path.join(root, rel)) == digest, rel
        assert digest in open(os.path.join(root, "README.md")).read(), rel


# ----------------------------------------------------------------------------- tabular
CSV = """Id,LotArea,Street,Alley,YearBuilt,SalePrice
1,8450,Pave,,2003,208500
2,9600,Pave,Grvl,,181500
3,,Grvl,NA,2001,223500
4,9550,Pave,Pave,1915,140000
"""


def test_tabular_pipeline_on_tiny_csv(tmp_path):
    (tmp_path / "t.csv").write_text(CSV)
    cols = D.read_csv(tmp_path / "t.csv")
    assert cols["LotArea"].dtype == np.float64 and np.isnan(cols["LotArea"][2])
    assert cols["Alley"].dtype == object and cols["Alley"][0] is None and cols["Alley"][2] is None
    pipe = D.TabularPipeline(target="SalePrice", drop=["Id"], log_target=True)
    X, y = pipe.fit_transform(cols)
    assert pipe.feature_names_ == ["LotArea", "YearBuilt", "Street_Grvl", "Street_Pave", "Street_nan",
                                   "Alley_Grvl", "Alley_Pave", "Alley_nan"]
    lot = np.array([8450, 9600, 9550.0])
    expect = (np.array([8450, 9600, np.nan, 9550]) - lot.mean()) / lot.std(ddof=1)
    np.testing.assert_allclose(X.numpy()[:, 0], np.nan_to_num(expect, nan=0.0), rtol=1e-6)
    np.testing.assert_array_equal(X.numpy()[:, 5:], [[0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]])
    np.testing.assert_allclose(y.numpy()[:, 0], np.log([208500, 181500, 223500, 140000]), rtol=1e-6)
    assert X.dtype == danlu.float32 and tuple(y.shape) == (4, 1)
    np.testing.assert_allclose(pipe.inverse_target(y).numpy()[:, 0], [208500, 181500, 223500, 140000], rtol=1e-5)
    test_cols = {k: v[:2] for k, v in cols.items() if k != "SalePrice"}
    Xt, yt = pipe.transform(test_cols)
    assert yt is None and np.allclose(Xt.numpy(), X.numpy()[:2])


def test_auto_mpg_ships_and_runs_through_pipeline():
    cols = D.load_auto_mpg()
    assert len(cols["mpg"]) == 392 and set(cols["origin"]) == {"usa", "europe", "japan"}
    pipe = D.TabularPipeline(target="mpg", drop=["car_name"], categorical=["origin"], log_target=True)
    X, y = pipe.fit_transform(cols)
    assert tuple(X.shape) == (392, 10) and np.isfinite(X.numpy()).all()
    np.testing.assert_allclose(X.numpy()[:, :6].mean(0), 0, atol=1e-5)


# ----------------------------------------------------------------------------- synthetic
def test_synthetic_linear_regression_recovers_w():
    w = danlu.tensor([2.0, -3.4])
    X, y = D.synthetic_data(w, 4.2, 2000, noise=0.01)
    assert tuple(X.shape) == (2000, 2) and tuple(y.shape) == (2000, 1) and X.dtype == danlu.float32
    A = np.c_[X.numpy(), np.ones(2000)]
    coef = np.linalg.lstsq(A, y.numpy()[:, 0], rcond=None)[0]
    np.testing.assert_allclose(coef, [2.0, -3.4, 4.2], atol=0.01)
    batches = list(D.load_array((X, y), 500, is_train=False))
    assert len(batches) == 4 and np.array_equal(batches[0][0].numpy(), X.numpy()[:500])


def test_make_blobs():
    X, y = D.make_blobs(90, centers=[[0, 0], [10, 10], [-10, 10]], cluster_std=0.5)
    assert np.bincount(y.numpy()).tolist() == [30, 30, 30]
    means = np.stack([X.numpy()[y.numpy() == k].mean(0) for k in range(3)])
    np.testing.assert_allclose(means, [[0, 0], [10, 10], [-10, 10]], atol=0.5)


# ----------------------------------------------------------------------------- splits
def test_kfold_partitions():
    folds = list(D.KFold(4, shuffle=True, seed=0).split(10))
    vals = np.concatenate([v for _, v in folds])
    assert sorted(vals.tolist()) == list(range(10)) and [len(v) for _, v in folds] == [3, 3, 2, 2]
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == 10
    again = list(D.KFold(4, shuffle=True, seed=0).split(10))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, again))
    assert [v.tolist() for _, v in D.KFold(2).split(range(4))] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="n_splits=5 greater than the number of samples"):
        list(D.KFold(5).split(3))


def test_stratified_kfold_keeps_class_proportions():
    y = np.array([0] * 12 + [1] * 6 + [2] * 3)
    for tr, va in D.StratifiedKFold(3, shuffle=True, seed=1).split(len(y), y):
        assert np.bincount(y[va], minlength=3).tolist() == [4, 2, 1]
        assert len(tr) + len(va) == len(y)


def test_train_val_test_split():
    y = np.repeat([0, 1], 50)
    s = D.train_val_test_split(100, val=0.1, test=0.2, train_dev=0.1, seed=3, stratify=y)
    parts = [s.train, s.val, s.test, s.train_dev]
    assert [len(p) for p in parts] == [60, 10, 20, 10]
    assert sorted(np.concatenate(parts).tolist()) == list(range(100))
    assert np.bincount(y[s.test]).tolist() == [10, 10]
    assert np.array_equal(D.train_val_test_split(100, seed=3).train, D.train_val_test_split(100, seed=3).train)
    tr, dev = D.train_dev_split(list(range(20)), dev=0.25)
    assert len(tr) == 15 and len(dev) == 5
    with pytest.raises(ValueError, match="summing to less than 1"):
        D.train_val_test_split(10, val=0.5, test=0.5)
