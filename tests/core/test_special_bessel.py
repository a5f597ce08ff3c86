"""danlu.special's Bessel J0/J1/Y0/Y1, K0/K1 (and scaled), spherical j0, Airy Ai and the
graph-free modified_bessel_i0/_i1 vs torch.special: values over wide ranges, x = 0, negative x,
+-inf, NaN, float32, integer inputs, ``out=``; no grad_fn (as torch).

torch 2.13's float64 J0/J1/Y0/Y1 lose up to ~1e-6 (absolute) for 2 < |x| < 25 and its Ai for
-9 < x < -2 (its rational approximations there); danlu is accurate (checked against mpmath where
importable), so torch is compared with a loose absolute tolerance only in those bands."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu

NAMES = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0", "modified_bessel_k1",
         "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai",
         "modified_bessel_i0", "modified_bessel_i1"]
EDGES = np.array([np.nan, -np.inf, -30.0, -1.0, -0.0, 0.0, 1e-300, 1e-5, 1.0, np.inf])
# where torch's float64 kernels are accurate (|x| < 2 or |x| >= 25 for J/Y, x >= -2 or x <= -9 for Ai)
EXACT = {
    "j": np.concatenate([np.linspace(-2, 2, 81), np.logspace(-300, 0, 30), np.linspace(25, 60, 71),
                         -np.linspace(25, 60, 7), np.logspace(2, 20, 40)]),
    "y": np.concatenate([np.linspace(1e-3, 2, 81), np.logspace(-300, 0, 30), np.linspace(25, 60, 71),
                         np.logspace(2, 20, 40)]),
    "k": np.concatenate([np.logspace(-300, 0, 30), np.linspace(0.01, 40, 200), np.logspace(1.5, 3, 30),
                         [700.0, 705.0, 1e5, 1e300]]),
    "ai": np.concatenate([np.linspace(-2, 8, 101), np.linspace(8, 100, 40), np.linspace(-60, -9, 51),
                          -np.logspace(2, 20, 30), [1e-300, -1e-300]]),
    "misc": np.concatenate([np.linspace(-40, 40, 161), np.logspace(-300, 2, 40), np.logspace(2, 20, 20),
                            -np.logspace(2, 20, 20), [0.4999, 0.5, 700.0, -713.0]]),
}
KIND = {"bessel_j0": "j", "bessel_j1": "j", "bessel_y0": "y", "bessel_y1": "y", "modified_bessel_k0": "k",
        "modified_bessel_k1": "k", "scaled_modified_bessel_k0": "k", "scaled_modified_bessel_k1": "k",
        "spherical_bessel_j0": "misc", "airy_ai": "ai", "modified_bessel_i0": "misc", "modified_bessel_i1": "misc"}


def _both(name, x, dtype=np.float64):
    d = getattr(danlu.special, name)(danlu.tensor(np.asarray(x, dtype=dtype)))
    t = getattr(torch.special, name)(torch.tensor(np.asarray(x, dtype=dtype)))
    return d.numpy(), t.numpy()


def _close(d, t, rtol, atol):
    np.testing.assert_array_equal(np.isnan(d), np.isnan(t))
    np.testing.assert_allclose(d, t, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", NAMES)
def test_float64_matches_torch_where_torch_is_accurate(name):
    x = np.concatenate([EXACT[KIND[name]], EDGES])
    d, t = _both(name, x)
    # relative except for the tiny absolute noise near the zeros of the oscillating ones
    atol = 1e-14 if KIND[name] in ("j", "y", "ai", "misc") else 0.0
    _close(d, t, rtol=1e-12, atol=atol)
    inf = np.isinf(t)
    np.testing.assert_array_equal(d[inf], t[inf])  # +-inf exactly (y at 0, k at 0, i past 713)


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai"])
def test_float64_mid_band_within_torchs_error(name):
    x = np.linspace(-25, 25, 301) if name[-2] == "j" else (np.linspace(0.01, 25, 301) if name[-2] == "y"
                                                          else np.linspace(-9, -2, 141))
    d, t = _both(name, x)
    _close(d, t, rtol=0.0, atol=3e-6)


@pytest.mark.parametrize("name", ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "airy_ai"])
def test_float64_accurate_against_mpmath(name):
    mpmath = pytest.importorskip("mpmath")
    ref = {"bessel_j0": lambda v: mpmath.besselj(0, v), "bessel_j1": lambda v: mpmath.besselj(1, v),
           "bessel_y0": lambda v: mpmath.bessely(0, v), "bessel_y1": lambda v: mpmath.bessely(1, v),
           "airy_ai": lambda v: mpmath.re(mpmath.airyai(v))}[name]
    x = np.linspace(-24.9, 24.9, 83) if name != "airy_ai" else np.linspace(-12, 6, 61)
    if name.startswith("bessel_y"):
        x = np.abs(x) + 0.05
    d = getattr(danlu.special, name)(danlu.tensor(x)).numpy()
    r = np.array([float(ref(mpmath.mpf(float(v)))) for v in x])
    np.testing.assert_allclose(d, r, rtol=1e-13, atol=2e-15)


def test_edge_values_like_torch():
    s = danlu.special
    x = danlu.tensor([-1.0, -0.0, 0.0, np.inf, -np.inf, np.nan], dtype=danlu.float64)
    nan, inf = np.nan, np.inf
    np.testing.assert_array_equal(s.bessel_y0(x).numpy(), [nan, -inf, -inf, nan, nan, nan])
    np.testing.assert_array_equal(s.bessel_y1(x).numpy(), [nan, -inf, -inf, nan, nan, nan])
    for k in (s.modified_bessel_k0, s.modified_bessel_k1, s.scaled_modified_bessel_k0, s.scaled_modified_bessel_k1):
        np.testing.assert_array_equal(k(x).numpy(), [nan, inf, inf, 0.0, nan, nan])
    np.testing.assert_array_equal(s.bessel_j0(x).numpy(), [s.bessel_j0(danlu.tensor([1.0], dtype=danlu.float64))
                                                           .item(), 1.0, 1.0, nan, nan, nan])
    np.testing.assert_array_equal(s.spherical_bessel_j0(x).numpy()[1:], [1.0, 1.0, 0.0, 0.0, nan])
    np.testing.assert_array_equal(np.isnan(s.airy_ai(x).numpy()), [False, False, False, True, True, True])
    assert np.signbit(s.bessel_j1(x).numpy()[1]) and not np.signbit(s.modified_bessel_i1(x).numpy()[1])


@pytest.mark.parametrize("name", NAMES)
def test_float32(name):
    x = {"j": np.linspace(-40, 40, 161), "y": np.linspace(0.01, 40, 161), "k": np.linspace(0.01, 60, 161),
         "ai": np.linspace(-20, 20, 161), "misc": np.linspace(-40, 40, 161)}[KIND[name]]
    x = np.concatenate([x, EDGES])
    d, t = _both(name, x, np.float32)
    assert d.dtype == np.float32
    _close(d, t, rtol=2e-6, atol=1e-6 if name != "airy_ai" else 3e-6)


def test_int_input_out_and_no_grad():
    s = danlu.special
    for name in NAMES:
        fn = getattr(s, name)
        r = fn(danlu.tensor([1, 2, 3]))
        assert r.dtype == danlu.float32 == danlu.get_default_dtype()
        a = danlu.tensor([0.5, 1.5], dtype=danlu.float64, requires_grad=True)
        y = fn(a)
        assert y.grad_fn is None and not y.requires_grad  # torch: no derivative, no graph
        with pytest.raises(RuntimeError, match="does not require grad"):
            y.sum().backward()
        buf = danlu.empty(2, dtype=danlu.float64)
        assert fn(a.detach(), out=buf) is buf
        np.testing.assert_array_equal(buf.numpy(), y.numpy())
    with pytest.raises(TypeError, match="must be Tensor"):
        s.bessel_j0([1.0])
    x = danlu.tensor([[0.5, 2.0], [30.0, 4.0]], dtype=danlu.float64)
    assert s.airy_ai(x).shape == (2, 2)
