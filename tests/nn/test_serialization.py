"""danlu.save / danlu.load: round trips, atomic writes, rejection of damaged or foreign files."""
import io
import math
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

import danlu
from danlu import serialization as S


def net():
    nn = danlu.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    m.register_buffer("steps", danlu.tensor(7))
    return m


def eq(a, b):
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, danlu.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            eq(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            eq(x, y)
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def test_roundtrip_state_dict_path(tmp_path):
    m = net()
    path = tmp_path / "model.pt"
    danlu.save(m.state_dict(), path)
    sd = danlu.load(path)
    assert isinstance(sd, OrderedDict) and list(sd) == list(m.state_dict())
    eq(sd, OrderedDict((k, v) for k, v in m.state_dict().items()))
    m2 = net()
    assert repr(m2.load_state_dict(sd)) == "<All keys matched successfully>"
    x = danlu.randn(2, 3)
    np.testing.assert_array_equal(m(x).detach().numpy(), m2(x).detach().numpy())
    assert sd._metadata == m.state_dict()._metadata
    danlu.save(m.state_dict(), str(path))  # overwrite via str path
    eq(danlu.load(str(path)), sd)


def test_roundtrip_everything_file_object():
    p = danlu.nn.Parameter(danlu.randn(2, 3))
    shared = danlu.arange(5)
    obj = {
        "tensors": [danlu.randn(3, dtype=danlu.float64), danlu.tensor(True), danlu.zeros(0, 4),
                    danlu.tensor(3.5), danlu.tensor([1, 2], dtype=danlu.int32),
                    danlu.tensor([1, 2], dtype=danlu.uint8), danlu.randn(2, 2).T,
                    danlu.ones(3, requires_grad=True)],
        "param": p,
        "nested": {1: (2, 3.0, None), "s": "héllo", (1, "k"): [True, False], 2.5: b"\x00\x01"},
        "floats": [float("inf"), -0.0, float("nan"), 1e-310, 0.1],
        "big": 2 ** 70,
        "meta": (danlu.float64, danlu.device("cpu"), danlu.Size([2, 3])),
        "od": OrderedDict([("b", 1), ("a", 2)]),
        "np": np.arange(4, dtype=np.int16),
        "npscalar": np.float32(1.5),
        "same": [shared, shared],
    }
    buf = io.BytesIO()
    danlu.save(obj, buf)
    buf.seek(0)
    out = danlu.load(buf)
    for k in ("tensors", "nested", "floats", "big", "meta", "od"):
        eq(out[k], obj[k])
    assert isinstance(out["param"], danlu.nn.Parameter) and out["param"].requires_grad
    np.testing.assert_array_equal(out["param"].detach().numpy(), p.detach().numpy())
    np.testing.assert_array_equal(out["np"], obj["np"])
    assert out["np"].dtype == np.int16 and out["npscalar"] == np.float32(1.5)
    assert out["same"][0] is out["same"][1]  # one object saved once stays one object
    assert type(out["od"]) is OrderedDict and type(out["nested"]) is dict


def test_optimizer_state_dict_roundtrip(tmp_path):
    m = net()
    opt = danlu.optim.Adam(m.parameters(), lr=1e-2, betas=(0.8, 0.9))
    m(danlu.randn(4, 3)).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.pt"
    danlu.save({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 3}, path)
    ck = danlu.load(path)
    eq(ck["optim"], opt.state_dict())
    m2 = net()
    m2.load_state_dict(ck["model"])
    opt2 = danlu.optim.Adam(m2.parameters(), lr=1.0)
    opt2.load_state_dict(ck["optim"])
    assert opt2.param_groups[0]["lr"] == 1e-2 and opt2.param_groups[0]["betas"] == (0.8, 0.9)
    m(danlu.randn(4, 3)).sum().backward()
    m2.load_state_dict(m.state_dict())
    for a, b in zip(m.parameters(), m2.parameters()):
        b.grad = a.grad.clone()
    opt.step()
    opt2.step()
    for a, b in zip(m.parameters(), m2.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)


def test_map_location(tmp_path):
    path = tmp_path / "t.pt"
    danlu.save({"x": danlu.ones(2)}, path)
    for ml in (None, "cpu", danlu.device("cpu"), {"cpu": "cpu"}, lambda t, loc: t):
        assert danlu.load(path, map_location=ml)["x"].device == danlu.device("cpu")
    assert danlu.load(path, weights_only=True)["x"].shape == (2,)


def test_unsupported_objects_rejected_before_writing(tmp_path):
    path = tmp_path / "m.pt"
    danlu.save({"ok": 1}, path)
    before = path.read_bytes()
    for bad in (net(), {"f": lambda: 0}, {1j: 2}, {"s": {1, 2}}, object()):
        with pytest.raises(TypeError, match="danlu.save"):
            danlu.save(bad, path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.pt"]


def test_atomic_write_survives_crash(tmp_path, monkeypatch):
    path = tmp_path / "model.pt"
    old = net().state_dict()
    danlu.save(old, path)
    before = path.read_bytes()
    calls = {"n": 0}
    real = S._write_tensor_bytes

    def crash_midway(fh, arr):
        calls["n"] += 1
        if calls["n"] == 2:
            fh.write(b"partial")
            raise OSError("disk died")
        real(fh, arr)

    monkeypatch.setattr(S, "_write_tensor_bytes", crash_midway)
    with pytest.raises(OSError, match="disk died"):
        danlu.save({"w": danlu.randn(100), "v": danlu.randn(100)}, path)
    assert path.read_bytes() == before  # old checkpoint intact
    assert os.listdir(tmp_path) == ["model.pt"]  # no temp file left behind
    monkeypatch.setattr(S, "_write_tensor_bytes", lambda fh, arr: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        danlu.save({"w": danlu.randn(3)}, tmp_path / "new.pt")
    assert os.listdir(tmp_path) == ["model.pt"]
    eq(danlu.load(path), old)


def test_truncated_and_corrupt_files_rejected(tmp_path):
    path = tmp_path / "m.pt"
    danlu.save(net().state_dict(), path)
    data = path.read_bytes()
    for cut in (3, 20, len(data) // 2, len(data) - 5, len(data) - 16):
        bad = tmp_path / f"cut{cut}.pt"
        bad.write_bytes(data[:cut])
        with pytest.raises(RuntimeError, match="truncated|not a danlu checkpoint|corrupt"):
            danlu.load(bad)
    hlen = int.from_bytes(data[12:20], "little")
    start = 24 + hlen + (-(24 + hlen)) % 64  # first tensor's bytes
    for pos, what in ((start + 5, "checksum mismatch in tensor 0"), (-40, "non-zero padding")):
        flipped = bytearray(data)
        flipped[pos] ^= 0xFF
        (tmp_path / "flip.pt").write_bytes(bytes(flipped))
        with pytest.raises(RuntimeError, match=f"corrupt: {what}"):
            danlu.load(tmp_path / "flip.pt")
    hdr = bytearray(data)
    hdr[30] ^= 0x01  # inside the JSON header
    (tmp_path / "hdr.pt").write_bytes(bytes(hdr))
    with pytest.raises(RuntimeError, match="corrupt"):
        danlu.load(tmp_path / "hdr.pt")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="is not a danlu checkpoint"):
        danlu.load(tmp_path / "empty.pt")
    (tmp_path / "junk.pt").write_bytes(b"hello world, not a checkpoint")
    with pytest.raises(RuntimeError, match="'.*junk.pt' is not a danlu checkpoint"):
        danlu.load(tmp_path / "junk.pt")


def test_foreign_files_rejected_without_unpickling(tmp_path):
    import pickle

    tpath = tmp_path / "torch.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), tpath)
    with pytest.raises(RuntimeError, match="not a danlu checkpoint.*zip archive"):
        danlu.load(tpath)

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    ppath = tmp_path / "evil.pkl"
    ppath.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(RuntimeError, match="pickle"):
        danlu.load(ppath)
    assert not (tmp_path / "pwned").exists()


def test_file_format_is_documented_layout(tmp_path):
    path = tmp_path / "x.pt"
    danlu.save(danlu.tensor([1.0, 2.0]), path)
    data = path.read_bytes()
    assert data[:8] == b"DANLUCKP" and data[-16:-8] == b"DANLUEND"
    assert int.from_bytes(data[-8:], "little") == len(data)
    eq(danlu.load(path), danlu.tensor([1.0, 2.0]))
