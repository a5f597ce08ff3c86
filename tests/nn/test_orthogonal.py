"""nn.utils.parametrizations.orthogonal vs torch: values after copying the original (and base),
right_inverse at registration, orthogonality under training, errors."""
import numpy as np
import pytest
import torch

import danlu as d
from danlu.nn.utils.parametrizations import orthogonal

MAPS = ["matrix_exp", "cayley", "householder"]
SHAPES = [(4, 4), (5, 3), (3, 5), (2, 4, 3)]


def _pair(shp, mp, ut, w):
    m = d.nn.Linear(shp[-1], shp[-2]).double()
    m.weight = d.nn.Parameter(d.tensor(w))
    orthogonal(m, orthogonal_map=mp, use_trivialization=ut)
    t = torch.nn.Linear(shp[-1], shp[-2]).double()
    t.weight = torch.nn.Parameter(torch.tensor(w))
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=mp, use_trivialization=ut)
    return m, t


@pytest.mark.parametrize("ut", [True, False])
@pytest.mark.parametrize("mp", MAPS)
@pytest.mark.parametrize("shp", SHAPES)
def test_values_match_torch(shp, mp, ut):
    rng = np.random.default_rng(0)
    m, t = _pair(shp, mp, ut, rng.standard_normal(shp))
    o = rng.standard_normal(shp) * 0.3
    k = min(shp[-2:])
    o[..., np.arange(k), np.arange(k)] = np.sign(o[..., np.arange(k), np.arange(k)])
    with torch.no_grad():
        t.parametrizations.weight.original.copy_(torch.tensor(o))
    with d.no_grad():
        m.parametrizations.weight.original.copy_(d.tensor(o))
        if ut:  # the base of a non-square weight is completed at random: share torch's
            m.parametrizations.weight[0].base.copy_(d.tensor(t.parametrizations.weight[0].base.numpy()))
    np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-12)
    # gradients through the map
    g = rng.standard_normal(shp)
    (m.weight * d.tensor(g)).sum().backward()
    (t.weight * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(m.parametrizations.weight.original.grad.numpy(),
                               t.parametrizations.weight.original.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("shp", [(4, 4), (2, 3, 3)])
def test_right_inverse_square(shp):
    """Square weights need no randomness: the registered original/base equal torch's."""
    w = np.random.default_rng(1).standard_normal(shp)
    for mp in MAPS:
        m, t = _pair(shp, mp, True, w)
        np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(),
                                   t.parametrizations.weight.original.detach().numpy())
        np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-12)
    for shp2 in [shp, (5, 3), (3, 5)]:
        w = np.random.default_rng(2).standard_normal(shp2)
        m, t = _pair(shp2, "householder", False, w)
        np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(),
                                   t.parametrizations.weight.original.detach().numpy(), atol=1e-12)
        np.testing.assert_allclose(m.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("mp", MAPS)
@pytest.mark.parametrize("shp", [(4, 4), (5, 3), (3, 5)])
def test_stays_orthogonal_under_training(mp, shp):
    d.manual_seed(0)
    m = d.nn.Linear(shp[1], shp[0])
    orthogonal(m, orthogonal_map=mp)
    opt = d.optim.SGD(m.parameters(), lr=0.1)
    x, y = d.randn(8, shp[1]), d.randn(8, shp[0])
    first = None
    for _ in range(20):
        opt.zero_grad()
        loss = ((m(x) - y) ** 2).mean()
        first = first if first is not None else float(loss)
        loss.backward()
        opt.step()
    W = m.weight.detach()
    G = W @ W.mT if shp[0] <= shp[1] else W.mT @ W
    assert float((G - d.eye(min(shp))).abs().max()) < 1e-5
    assert float(loss) < first


def test_assign_and_errors():
    m = d.nn.Linear(3, 3)
    orthogonal(m)
    q = d.linalg.qr(d.randn(3, 3))[0]
    m.weight = q
    np.testing.assert_allclose(m.weight.detach().numpy(), q.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices of shape"):
        m.weight = d.randn(2, 3)
    with pytest.raises(ValueError, match="orthogonal_map has to be one of"):
        orthogonal(d.nn.Linear(3, 3), orthogonal_map="qr")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1"):
        orthogonal(d.nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'w'"):
        orthogonal(d.nn.Linear(3, 3), "w")
    m = orthogonal(d.nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        m.weight = q
    assert type(m.parametrizations.weight[0]).__name__ == "_Orthogonal"
    assert orthogonal(d.nn.Linear(3, 5), orthogonal_map=None).parametrizations.weight[0].orthogonal_map == "householder"
