"""conv_tbc, torch.ctc_loss, SyncBatchNorm building blocks, deprecated autocast getters,
adaptive_max_pool3d_with_indices and the Tensor backend flags / dim_order / as_subclass, vs torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import danlu
import danlu.nn.functional as F


def test_conv_tbc_values_grads_and_errors():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((6, 2, 3)), rng.standard_normal((3, 3, 4)), rng.standard_normal(4)
    g = rng.standard_normal((6, 2, 4))
    tt = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    dd = [danlu.tensor(a, requires_grad=True) for a in (x, w, b)]
    to, do = torch.conv_tbc(*tt, 1), F.conv_tbc(*dd, 1)
    np.testing.assert_allclose(do.detach().numpy(), to.detach().numpy(), rtol=1e-10)
    (to * torch.tensor(g)).sum().backward()
    (do * danlu.tensor(g)).sum().backward()
    for t, d in zip(tt, dd):
        np.testing.assert_allclose(d.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    bad = [((5, 2), (2, 3, 4), (4,)), ((5, 2, 3), (3, 4), (4,)), ((5, 2, 3), (2, 3, 4), (4, 1)),
           ((5, 2, 3), (2, 2, 4), (4,)), ((5, 2, 3), (2, 3, 4), (5,)), ((2, 1, 3), (5, 3, 4), (4,))]
    for shapes in bad:
        with pytest.raises(RuntimeError) as et:
            torch.conv_tbc(*[torch.zeros(s) for s in shapes])
        with pytest.raises(RuntimeError) as ed:
            danlu.conv_tbc(*[danlu.zeros(s) for s in shapes])
        assert str(ed.value) == str(et.value)


@pytest.mark.parametrize("reduction", [0, 1, 2])
def test_top_level_ctc_loss_int_reduction(reduction):
    rng = np.random.default_rng(1)
    lp = np.log(rng.dirichlet(np.ones(5), size=(8, 2)))
    tg = rng.integers(1, 5, size=(2, 3))
    il, tl = [8, 7], [3, 2]
    tl_ = torch.tensor(lp, requires_grad=True)
    dl_ = danlu.tensor(lp, requires_grad=True)
    to = torch.ctc_loss(tl_, torch.tensor(tg), il, tl, 0, reduction, False)
    do = danlu.ctc_loss(dl_, danlu.tensor(tg), il, tl, 0, reduction, False)
    np.testing.assert_allclose(do.detach().numpy(), to.detach().numpy(), rtol=1e-8)
    to.sum().backward()
    do.sum().backward()
    np.testing.assert_allclose(dl_.grad.numpy(), tl_.grad.numpy(), rtol=1e-7, atol=1e-10)


def test_batch_norm_update_stats_vs_torch():
    x = np.random.default_rng(2).standard_normal((4, 3, 5))
    trm, trv, drm, drv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64), \
        danlu.zeros(3, dtype=danlu.float64), danlu.ones(3, dtype=danlu.float64)
    tm, tv = torch.batch_norm_update_stats(torch.tensor(x), trm, trv, 0.1)
    dm, dv = danlu.batch_norm_update_stats(danlu.tensor(x), drm, drv, 0.1)
    for d, t in [(dm, tm), (dv, tv), (drm, trm), (drv, trv)]:
        np.testing.assert_allclose(d.numpy(), t.numpy(), rtol=1e-12)


def test_sync_batch_norm_pipeline_equals_torch_batch_norm():
    """Split a batch over two 'ranks'; stats -> gather -> elemt must equal torch's training batch_norm,
    and backward_reduce -> backward_elemt its input/weight/bias gradients (torch has no CPU kernels)."""
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((6, 3, 4)), rng.standard_normal(3), rng.standard_normal(3)
    dy = rng.standard_normal((6, 3, 4))
    eps, mom = 1e-5, 0.1
    tx = torch.tensor(x, requires_grad=True)
    tw, tb = torch.tensor(w, requires_grad=True), torch.tensor(b, requires_grad=True)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, True, mom, eps)
    ty.backward(torch.tensor(dy))
    parts = [danlu.tensor(x[:2]), danlu.tensor(x[2:])]
    stats = [danlu.batch_norm_stats(p, eps) for p in parts]
    means = danlu.stack([s[0] for s in stats])
    invs = danlu.stack([s[1] for s in stats])
    counts = danlu.tensor([8.0, 16.0], dtype=danlu.float64)
    drm, drv = danlu.zeros(3, dtype=danlu.float64), danlu.ones(3, dtype=danlu.float64)
    mean, invstd = danlu.batch_norm_gather_stats_with_counts(parts[0], means, invs, drm, drv, mom, eps, counts)
    dw, db = danlu.tensor(w), danlu.tensor(b)
    y = danlu.cat([danlu.batch_norm_elemt(p, dw, db, mean, invstd, eps) for p in parts])
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(drm.numpy(), trm.numpy(), rtol=1e-10)
    np.testing.assert_allclose(drv.numpy(), trv.numpy(), rtol=1e-10)
    dys = [danlu.tensor(dy[:2]), danlu.tensor(dy[2:])]
    red = [danlu.batch_norm_backward_reduce(g, p, mean, invstd, dw, True, True, True) for g, p in zip(dys, parts)]
    sum_dy = red[0][0] + red[1][0]
    sum_dy_xmu = red[0][1] + red[1][1]
    np.testing.assert_allclose((red[0][2] + red[1][2]).numpy(), tw.grad.numpy(), rtol=1e-9)
    np.testing.assert_allclose((red[0][3] + red[1][3]).numpy(), tb.grad.numpy(), rtol=1e-9)
    cnt = danlu.tensor([8, 16], dtype=danlu.int32)
    gx = danlu.cat([danlu.batch_norm_backward_elemt(g, p, mean, invstd, dw, sum_dy, sum_dy_xmu, cnt)
                    for g, p in zip(dys, parts)])
    np.testing.assert_allclose(gx.numpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-12)
    assert danlu.batch_norm_backward_reduce(dys[0], parts[0], mean, invstd, None, True, False, False)[2:] \
        == (None, None)
    # equal counts: gather_stats(count=int) == with_counts
    m2, i2 = danlu.batch_norm_gather_stats(parts[0], means, invs, None, None, mom, eps, 8)
    m3, i3 = danlu.batch_norm_gather_stats_with_counts(parts[0], means, invs, None, None, mom, eps,
                                                       danlu.tensor([8.0, 8.0], dtype=danlu.float64))
    np.testing.assert_array_equal(m2.numpy(), m3.numpy())
    np.testing.assert_array_equal(i2.numpy(), i3.numpy())


def test_deprecated_autocast_getters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert danlu.get_autocast_gpu_dtype() == danlu.float16 and torch.get_autocast_gpu_dtype() == torch.float16
        assert danlu.is_autocast_cpu_enabled() is torch.is_autocast_cpu_enabled() is False
        with danlu.autocast("cpu", dtype=danlu.float16):
            assert danlu.is_autocast_cpu_enabled() is True
            assert danlu.get_autocast_cpu_dtype() == danlu.float16
    with pytest.warns(DeprecationWarning, match=r"get_autocast_dtype\('cuda'\)"):
        danlu.get_autocast_gpu_dtype()


def test_adaptive_max_pool3d_with_indices():
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6, 7))
    to, ti = torch.nn.functional.adaptive_max_pool3d_with_indices(torch.tensor(x), (2, 3, 4))
    do, di = F.adaptive_max_pool3d_with_indices(danlu.tensor(x), (2, 3, 4))
    np.testing.assert_array_equal(di.numpy(), ti.numpy())
    np.testing.assert_array_equal(do.numpy(), to.numpy())


def test_tensor_flags_dim_order_as_subclass():
    names = ["is_meta", "is_mkldnn", "is_nested", "is_quantized", "is_sparse", "is_sparse_csr", "is_mps",
             "is_xla", "is_xpu", "is_ipu", "is_maia", "is_mtia", "is_vulkan"]
    t, d = torch.zeros(2, 3), danlu.zeros(2, 3)
    for n in names:
        assert getattr(d, n) is getattr(t, n) is False
        assert isinstance(getattr(danlu.Tensor, n), property)
    for shape, perm in [((2, 3, 4), (2, 0, 1)), ((2, 3, 4, 5), (0, 2, 3, 1)), ((2, 1, 3), (0, 1, 2)),
                        ((3, 4), (1, 0)), ((), ()), ((4,), (0,))]:
        assert danlu.zeros(shape).permute(perm).dim_order() == torch.zeros(shape).permute(perm).dim_order()

    class Sub(danlu.Tensor):
        pass

    x = danlu.ones(3, requires_grad=True)
    s = (x * 2).as_subclass(Sub)
    assert type(s) is Sub
    (s * s).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0, 8.0])
    with pytest.raises(TypeError) as et:
        torch.zeros(2).as_subclass(int)
    with pytest.raises(TypeError) as ed:
        danlu.zeros(2).as_subclass(int)
    assert str(ed.value) == str(et.value)
