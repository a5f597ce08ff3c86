"""danlu.special's orthogonal polynomials vs torch.special: integer degree tensors broadcast against x,
n < 0, large n, x = +-1, NaN, dtypes; not differentiable (as torch)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close

NAMES = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
         "hermite_polynomial_h", "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p",
         "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
         "shifted_chebyshev_polynomial_w"]
RNG = np.random.default_rng(7)


@pytest.mark.parametrize("name", NAMES)
def test_polynomials_match_torch_float64(name):
    x = np.concatenate([RNG.uniform(-1, 1, 40), RNG.uniform(-3, 3, 20), [-1.0, 1.0, 0.0, 0.5, np.nan]])
    n = np.array([-2, -1, 0, 1, 2, 3, 5, 7, 9, 12, 20, 35])
    xd, nd = danlu.tensor(x[:, None]), danlu.tensor(n[None, :].astype(np.float64))
    xt, nt = torch.tensor(x[:, None]), torch.tensor(n[None, :].astype(np.float64))
    d, t = getattr(danlu.special, name)(xd, nd), getattr(torch.special, name)(xt, nt)
    assert_close(d, t, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_polynomials_float32_int_n_scalar_n_and_no_grad(name):
    x = RNG.uniform(-1.2, 1.2, (3, 4)).astype(np.float32)
    xd, xt = danlu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for n in (3, 2.7):
        assert_close(getattr(danlu.special, name)(xd, n), getattr(torch.special, name)(xt, n), rtol=1e-4, atol=1e-5)
    ni = np.array([0, 1, 4, 6])
    d = getattr(danlu.special, name)(xd, danlu.tensor(ni))
    t = getattr(torch.special, name)(xt, torch.tensor(ni))
    assert_close(d, t, rtol=1e-4, atol=1e-5)
    assert d.grad_fn is None and not d.requires_grad


@pytest.mark.parametrize("name", ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "legendre_polynomial_p"])
def test_large_degree(name):
    x = np.linspace(-0.99, 0.99, 11)
    n = np.array([50.0, 200.0, 1000.0])
    d = getattr(danlu.special, name)(danlu.tensor(x[:, None]), danlu.tensor(n))
    t = getattr(torch.special, name)(torch.tensor(x[:, None]), torch.tensor(n))
    assert_close(d, t, rtol=1e-8, atol=1e-10)
