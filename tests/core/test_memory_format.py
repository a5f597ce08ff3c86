"""Memory formats / layout vs torch: strides, contiguity flags, values, errors."""
import numpy as np
import pytest
import torch

import danlu
import danlu.nn as dnn
import danlu.nn.functional as DF

FMTS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


def pair(shape=(2, 3, 4, 5), seed=0):
    a = np.random.default_rng(seed).standard_normal(shape)
    return danlu.tensor(a), torch.tensor(a)


def same(d, t):
    assert tuple(d.shape) == tuple(t.shape)
    assert d.stride() == t.stride(), (d.stride(), t.stride())
    np.testing.assert_array_equal(d.detach().numpy(), t.detach().numpy())


def err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).replace("torch.", "").replace("danlu.", "")
    return None


def test_constants_repr_and_types():
    for n in FMTS:
        assert repr(getattr(danlu, n)) == repr(getattr(torch, n)).replace("torch", "danlu")
        assert isinstance(getattr(danlu, n), danlu.memory_format)
    assert repr(danlu.strided) == "danlu.strided" and isinstance(danlu.strided, danlu.layout)
    assert danlu.ones(2).layout is danlu.strided


# (view builder, formats) over several stride patterns, incl. size-1 dims and non-dense slices
VIEWS = {
    "plain": lambda x: x,
    "perm": lambda x: x.permute(3, 2, 1, 0),
    "cl": lambda x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2),
    "slice": lambda x: x[:, :, ::2],
    "cl_slice": lambda x: x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)[:, :, ::2],
    "transpose": lambda x: x.transpose(1, 2),
}
SHAPES = [(2, 3, 4, 5), (2, 3, 1, 1), (2, 1, 3, 3), (1, 3, 1, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_flags_contiguous_clone_to(shape, view):
    d0, t0 = pair(shape)
    d, t = VIEWS[view](d0), VIEWS[view](t0)
    same(d, t)
    for n in FMTS:
        fd, ft = getattr(danlu, n), getattr(torch, n)
        assert d.is_contiguous(memory_format=fd) == t.is_contiguous(memory_format=ft), n
        assert err(lambda: d.contiguous(memory_format=fd)) == err(lambda: t.contiguous(memory_format=ft))
        if n != "preserve_format" and err(lambda: t.contiguous(memory_format=ft)) is None:
            rd, rt = d.contiguous(memory_format=fd), t.contiguous(memory_format=ft)
            same(rd, rt)
            assert (rd is d) == (rt is t)
        for meth in ("clone", "to"):
            e = err(lambda: getattr(t, meth)(memory_format=ft))
            assert err(lambda: getattr(d, meth)(memory_format=fd)) == e, (n, meth)
            if e is None:
                rd, rt = getattr(d, meth)(memory_format=fd), getattr(t, meth)(memory_format=ft)
                same(rd, rt)
                assert (rd is d) == (rt is t)
                for fn in ("empty_like", "zeros_like", "ones_like", "rand_like", "randn_like"):
                    assert getattr(danlu, fn)(d, memory_format=fd).stride() == \
                        getattr(torch, fn)(t, memory_format=ft).stride(), fn
                same(danlu.full_like(d, 2.0, memory_format=fd), torch.full_like(t, 2.0, memory_format=ft))
    same(d.clone(), t.clone())
    same(danlu.zeros_like(d), torch.zeros_like(t))
    same(d.to(danlu.float32), t.to(torch.float32))
    same(d.to(danlu.float32, memory_format=danlu.channels_last),
         t.to(torch.float32, memory_format=torch.channels_last))
    same(danlu.clone(d, memory_format=danlu.channels_last), torch.clone(t, memory_format=torch.channels_last))
    assert d.is_contiguous() == t.is_contiguous()


def test_5d_and_rank_errors():
    d, t = pair((2, 3, 2, 3, 4))
    same(d.contiguous(memory_format=danlu.channels_last_3d), t.contiguous(memory_format=torch.channels_last_3d))
    assert d.contiguous(memory_format=danlu.channels_last_3d).is_contiguous(
        memory_format=danlu.channels_last_3d)
    for args in [((2, 3, 4), "channels_last"), ((2, 3, 4, 5), "channels_last_3d"),
                 ((2, 3, 4, 5), "preserve_format"), ((2, 3, 4, 5), "channels_last")]:
        shape, n = args
        assert err(lambda: danlu.empty(*shape, memory_format=getattr(danlu, n))) == \
            err(lambda: torch.empty(*shape, memory_format=getattr(torch, n)))
        if err(lambda: torch.empty(*shape, memory_format=getattr(torch, n))) is None:
            assert danlu.empty(shape, memory_format=getattr(danlu, n)).stride() == \
                torch.empty(shape, memory_format=getattr(torch, n)).stride()
    d3, t3 = pair((2, 3, 4))
    e = err(lambda: t3.contiguous(memory_format=torch.channels_last))
    assert e == ("RuntimeError", "required rank 4 tensor to use channels_last format")
    assert err(lambda: d3.contiguous(memory_format=danlu.channels_last)) == e
    assert err(lambda: d3.contiguous(memory_format=1)) == err(lambda: t3.contiguous(memory_format=1))
    assert d3.is_contiguous(memory_format=danlu.channels_last) is False


def test_autograd_through_format_changes():
    d, t = pair()
    d.requires_grad_()
    t.requires_grad_()
    (d.contiguous(memory_format=danlu.channels_last) * 2).sum().backward()
    (t.contiguous(memory_format=torch.channels_last) * 2).sum().backward()
    np.testing.assert_array_equal(d.grad.numpy(), t.grad.numpy())


def test_ops_on_channels_last_inputs():
    dx, tx = pair((2, 3, 6, 5), 1)
    dw, tw = pair((4, 3, 3, 3), 2)
    cl, tcl = dx.contiguous(memory_format=danlu.channels_last), tx.contiguous(memory_format=torch.channels_last)
    for x, t in ((dx, tx), (cl, tcl)):
        np.testing.assert_allclose(DF.conv2d(x, dw, padding=1).numpy(),
                                   torch.nn.functional.conv2d(t, tw, padding=1).numpy(), atol=1e-12)
        np.testing.assert_allclose(
            DF.batch_norm(x, None, None, training=True).numpy(),
            torch.nn.functional.batch_norm(t, None, None, training=True).numpy(), atol=1e-12)
        lw, tlw = pair((2, 5), 3)
        np.testing.assert_allclose(DF.linear(x, lw).numpy(), torch.nn.functional.linear(t, tlw).numpy(),
                                   atol=1e-12)
        np.testing.assert_allclose((x * 2 + x.exp()).numpy(), (t * 2 + t.exp()).numpy(), rtol=1e-14)
    np.testing.assert_array_equal(DF.conv2d(cl, dw).numpy(), DF.conv2d(dx, dw).numpy())


def test_module_to_memory_format():
    torch.manual_seed(0)
    for dm_cls, tm_cls, args in [(dnn.Conv2d, torch.nn.Conv2d, (2, 2, 3)), (dnn.Conv1d, torch.nn.Conv1d, (2, 2, 3))]:
        dm, tm = dm_cls(*args), tm_cls(*args)
        dm.to(memory_format=danlu.channels_last)
        tm.to(memory_format=torch.channels_last)
        assert dm.weight.stride() == tm.weight.stride()
        assert dm.bias.stride() == tm.bias.stride()
    d3, t3 = dnn.Conv3d(2, 2, 3), torch.nn.Conv3d(2, 2, 3)
    assert err(lambda: d3.to(memory_format=danlu.channels_last)) == \
        err(lambda: t3.to(memory_format=torch.channels_last))
    d3.to(memory_format=danlu.channels_last_3d)
    t3.to(memory_format=torch.channels_last_3d)
    assert d3.weight.stride() == t3.weight.stride()


def test_pin_share():
    d, t = pair()
    assert d.is_pinned() is t.is_pinned() is False
    if not danlu.cuda.is_available():
        assert err(lambda: d.pin_memory()) == err(lambda: t.pin_memory())
    assert d.is_shared() is False
    assert d.share_memory_() is d and d.is_shared() and d[0].is_shared()
    m = dnn.Linear(2, 2).share_memory()
    assert m.weight.is_shared()
