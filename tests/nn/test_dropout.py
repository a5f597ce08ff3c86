"""Dropout: statistics, eval identity, channel masks, alpha dropout moments, reproducibility."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as dnn

F = danlu.nn.functional


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics(p):
    x = danlu.ones(200, 250)
    y = F.dropout(x, p)
    a = y.numpy()
    assert abs((a == 0).mean() - p) < 0.01
    assert np.allclose(a[a != 0], 1 / (1 - p), rtol=1e-6)
    assert abs(a.mean() - 1) < 0.03


def test_dropout_grad_uses_mask():
    x = danlu.ones(50, 40, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout_eval_identity_and_edges():
    x = danlu.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert np.all(F.dropout(x, 1.0).numpy() == 0)
    m = dnn.Dropout(0.3)
    m.eval()
    assert m(x) is x
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got -0.1"):
        dnn.Dropout(-0.1)


def test_dropout_inplace_and_seed():
    danlu.manual_seed(3)
    a = F.dropout(danlu.ones(10, 10), 0.5).numpy()
    danlu.manual_seed(3)
    x = danlu.ones(10, 10)
    y = F.dropout(x, 0.5, inplace=True)
    assert y is x and np.array_equal(x.numpy(), a)
    danlu.manual_seed(3)
    m = dnn.Dropout(0.5)
    assert np.array_equal(m(danlu.ones(10, 10)).numpy(), a)


@pytest.mark.parametrize("fn,shape,mshape", [("dropout2d", (8, 30, 4, 5), (8, 30)),
                                              ("dropout1d", (8, 30, 6), (8, 30)),
                                              ("dropout1d", (30, 6), (30,)),
                                              ("dropout3d", (4, 30, 2, 2, 3), (4, 30))])
def test_channel_dropout(fn, shape, mshape):
    y = getattr(F, fn)(danlu.ones(*shape), 0.4).numpy()
    per = y.reshape(mshape + (-1,))
    assert np.all(per.min(-1) == per.max(-1))  # whole channels dropped or kept
    assert abs((per[..., 0] == 0).mean() - 0.4) < 0.15


def test_alpha_dropout_moments():
    x = danlu.randn(400, 500)
    y = F.alpha_dropout(x, 0.3, training=True).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.3) is x  # training=False by default
    y = F.feature_alpha_dropout(danlu.randn(50, 60, 30), 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1) < 0.05
    # dropped units take the same value as torch's formula gives
    x = danlu.zeros(100, 100)
    y = F.alpha_dropout(x, 0.5, training=True).numpy()
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * 0.5 + 1) * 0.5)
    assert np.allclose(np.unique(y), sorted([-alpha * a + alpha * a * 0.5, alpha * a * 0.5]))


@pytest.mark.parametrize("name,args", [("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout1d", ()),
                                       ("Dropout2d", (0.1,)), ("Dropout3d", ()), ("AlphaDropout", (0.2,)),
                                       ("FeatureAlphaDropout", ())])
def test_dropout_module_repr(name, args):
    assert repr(getattr(dnn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
