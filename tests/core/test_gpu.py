"""Device handling: CPU/CUDA oracle checks (CUDA cases skip without CuPy + GPU), device errors."""
import numpy as np
import pytest

import danlu
from danlu import _backend as B
from tests._oracle import assert_close, compare_fn

CUDA = danlu.cuda.is_available()
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not CUDA, reason="needs cupy and a GPU"))]
rng = np.random.default_rng(8)


def _on(dev):
    return lambda t: t.to(dev)


ORACLE = {
    "arith": lambda l, a, b: ((a * b + a / (b.abs() + 1)) ** 2).sum(1),
    "reduce": lambda l, a, b: (a.logsumexp(1) + a.amax(0).sum() + a.var(), a.max(1)[0]),
    "matmul": lambda l, a, b: a @ b.t(),
    "index": lambda l, a, b: a[[0, 2], 1:] * b[a[:, 0] > -10][:2, 1:],
    "shape": lambda l, a, b: l.cat([a.t(), b.t()], 1).reshape(-1).flip(0),
    "linalg": lambda l, a, b: l.linalg.svdvals(a) + l.linalg.det(a[:, :3] @ a[:, :3].t() + l.eye(3, dtype=a.dtype)),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(ORACLE))
def test_oracle_on_device(name, device):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    f = ORACLE[name]

    def fn(lib, x, y):
        if lib is danlu:
            x_, y_ = x.to(device), y.to(device)
            out = f(lib, x_, y_)
            outs = out if isinstance(out, tuple) else (out,)
            assert all(o.device.type == device for o in outs)
            return tuple(o.cpu() for o in outs) if isinstance(out, tuple) else out.cpu()
        return f(lib, x, y)

    compare_fn(fn, a, b)


@pytest.mark.parametrize("device", DEVICES)
def test_creation_and_grad_on_device(device):
    x = danlu.randn(3, device=device, requires_grad=True)
    assert x.device.type == device and x.is_leaf
    (x * x).sum().backward()
    assert x.grad.device.type == device
    assert_close(x.grad.cpu(), (2 * x).detach().cpu())
    z = danlu.zeros(2, 2, device=device)
    assert z.device == danlu.device(device) and danlu.arange(3, device=device).device.type == device


@pytest.mark.skipif(not CUDA, reason="needs cupy and a GPU")
def test_cuda_roundtrip_and_mixing_error():
    x = danlu.ones(2)
    g = x.cuda()
    assert g.is_cuda and g.cpu().tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two devices"):
        x + g
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        danlu.matmul(x, g)
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        g.numpy()


@pytest.mark.skipif(CUDA, reason="checks the error raised without a GPU")
def test_cuda_unavailable_errors():
    assert danlu.cuda.device_count() == 0
    for f in (lambda: danlu.ones(2).to("cuda"), lambda: danlu.ones(2).cuda(), lambda: danlu.zeros(2, device="cuda"),
              lambda: danlu.randn(2, device="cuda:0"), lambda: danlu.tensor([1.0], device="cuda")):
        with pytest.raises(RuntimeError, match="Torch not compiled with CUDA enabled"):
            f()


def test_device_objects():
    d = danlu.device("cuda:1")
    assert d.type == "cuda" and d.index == 1 and str(d) == "cuda:1" and repr(d) == "device(type='cuda', index=1)"
    assert danlu.device("cpu") == "cpu" and danlu.ones(1).device == danlu.device("cpu")
    assert danlu.device("cuda", 0) == danlu.device("cuda")
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda device type at start of device string: tpu"):
        danlu.device("tpu")


class _FakeGPUArray(np.ndarray):
    """A numpy array that the backend believes lives on cuda:0 (simulates CuPy without a GPU)."""

    class device:
        id = 0


class _FakeCupy:
    ndarray = _FakeGPUArray


def test_mixing_devices_error_simulated(monkeypatch):
    monkeypatch.setattr(B, "_cupy", _FakeCupy)
    g = danlu.Tensor._make(np.ones(2).view(_FakeGPUArray))
    c = danlu.ones(2, dtype=danlu.float64)
    assert g.device == danlu.device("cuda", 0)
    msg = r"Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"
    with pytest.raises(RuntimeError, match=msg):
        g + c
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        danlu.where(c > 0, g, c)
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        danlu.matmul(c, g)
