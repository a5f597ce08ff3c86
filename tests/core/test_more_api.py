"""More of torch's API against torch: in-place BLAS / scans, legacy tensor methods, ATen's
native_* functions, the generic convolution and samplers, legacy norms, binomial sampling,
segment_reduce, randomised low-rank SVD / PCA, compile / cond / while_loop, DLPack."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close, to_danlu, to_torch

DT = [np.float32, np.float64]
R = np.random.default_rng(0)


def _both(fn, *arrays, grad=True, rtol=None, atol=None, lo=-1.0):
    """``fn(lib, *tensors)`` in danlu and torch: outputs and the input gradients of sum(out * w),
    ``w`` evenly spaced in [lo, 1]."""
    res = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        xs = [conv(a, grad and np.asarray(a).dtype.kind == "f") for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *xs)
        outs = out if isinstance(out, tuple) else (out,)
        g = []
        if grad:
            loss = sum((o * lib.linspace(lo, 1, o.numel(), dtype=o.dtype).reshape(o.shape)).sum()
                       for o in outs if o.requires_grad)
            if not isinstance(loss, int):
                loss.backward()
            g = [x.grad for x in xs if x.requires_grad]
        res[lib.__name__] = ([o.detach() for o in outs], g)
    assert_close(res["danlu"][0], res["torch"][0], rtol, atol)
    assert_close(res["danlu"][1], res["torch"][1], rtol, atol)


# -- in-place methods ----------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name,shapes,kw", [
    ("addmm_", [(3, 4), (3, 2), (2, 4)], {"beta": 0.5, "alpha": 2.0}),
    ("addmv_", [(3,), (3, 2), (2,)], {"alpha": -1.5}),
    ("addr_", [(3, 4), (3,), (4,)], {"beta": 2.0}),
    ("addbmm_", [(3, 4), (5, 3, 2), (5, 2, 4)], {}),
    ("baddbmm_", [(5, 3, 4), (5, 3, 2), (5, 2, 4)], {"alpha": 0.25}),
])
def test_inplace_blas(dt, name, shapes, kw):
    arrays = [R.standard_normal(s).astype(dt) for s in shapes]
    _both(lambda lib, a, b, c: getattr(a * 1, name)(b, c, **kw), *arrays)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name", ["cumsum_", "cumprod_"])
def test_inplace_scans(dt, name):
    a = R.standard_normal((3, 4)).astype(dt)
    _both(lambda lib, x: getattr(x * 1, name)(1), a)
    _both(lambda lib, x: getattr(x * 1, name)(dim=-2), a)
    for lib in (danlu, torch):
        x = lib.ones(2, 2, dtype=lib.float32)
        with pytest.raises(RuntimeError, match="Bad in-place call: input tensor dtype float and output "
                                               "tensor dtype double should match"):
            getattr(x, name)(0, dtype=lib.float64)


def test_top_level_inplace_functions():
    a, m, v = R.standard_normal(3), R.standard_normal((3, 2)), R.standard_normal(2)
    _both(lambda lib, x, y, z: lib.addmv_(x * 1, y, z, beta=2, alpha=3), a, m, v)
    for lib in (danlu, torch):
        x = lib.zeros(4)
        r = lib.index_put_(x, (lib.tensor([0, 2, 0]),), lib.tensor([1.0, 2.0, 3.0]), accumulate=True)
        assert r is x and x.tolist() == [4.0, 0.0, 2.0, 0.0]
        y = lib.ones(2, requires_grad=True) * 2
        d = lib.detach(y)
        assert not d.requires_grad and d.tolist() == [2.0, 2.0]
        assert lib.detach_(y) is y and not y.requires_grad


@pytest.mark.parametrize("dt", DT)
def test_hardshrink_prelu_methods(dt):
    a = R.standard_normal((2, 3, 4)).astype(dt)
    w = np.array([0.1, -0.2, 0.3], dt)
    _both(lambda lib, x: x.hardshrink(), a)
    _both(lambda lib, x: x.hardshrink(lambd=0.3), a)
    _both(lambda lib, x, y: x.prelu(y), a, w)


def test_resize_legacy():
    a = R.standard_normal((2, 6))
    _both(lambda lib, x: x.resize(3, 4), a)
    _both(lambda lib, x: x.resize_as(lib.zeros(4, 3)), a)
    for lib in (danlu, torch):
        x = lib.zeros(2, 3)
        with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
            x.resize(6)
        with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
            x.resize_as(lib.zeros(3, 2))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(RuntimeError, match=r"requested resize to 2x4 \(8 elements in total\), but the "
                                                   r"given tensor has a size of 2x3 \(6 elements\)"):
                x.resize(2, 4)


# -- dropout variants ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["feature_dropout", "feature_dropout_"])
def test_feature_dropout_is_channelwise(name):
    danlu.manual_seed(0)
    x = danlu.ones(8, 16, 5)
    y = getattr(danlu, name)(x, 0.5, True)
    arr = y.numpy()
    assert set(np.unique(arr)) <= {0.0, 2.0}
    assert (arr == arr[..., :1]).all()  # whole channels
    assert 0.2 < (arr[..., 0] == 0).mean() < 0.8
    assert (name.endswith("_")) == (y is x)
    assert getattr(danlu, name)(danlu.ones(2, 3), 0.5, False).tolist() == [[1.0] * 3] * 2
    for lib in (danlu, torch):
        with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
            getattr(lib, name)(lib.ones(3), 0.5, True)


def test_feature_alpha_dropout_and_inplace_dropouts():
    danlu.manual_seed(1)
    x = danlu.ones(6, 10, 4)
    y = danlu.feature_alpha_dropout(x, 0.5, True)
    arr = y.numpy()
    assert (arr == arr[..., :1]).all() and len(np.unique(arr)) == 2
    x2 = danlu.ones(100, 50)
    assert danlu.dropout_(x2, 0.3, True) is x2
    assert set(np.unique(x2.numpy())) <= {0.0, np.float32(1 / 0.7)}
    x3 = danlu.ones(100, 50)
    assert danlu.alpha_dropout_(x3, 0.3, True) is x3 and len(np.unique(x3.numpy())) == 2
    assert danlu.feature_alpha_dropout_(x3, 0.0, True) is x3


def test_native_dropout():
    danlu.manual_seed(0)
    x = danlu.randn(50, 40, requires_grad=True)
    out, mask = danlu.native_dropout(x, 0.25, True)
    assert mask.dtype is danlu.bool and 0.65 < mask.float().mean().item() < 0.85
    assert_close(out.detach(), to_torch(np.where(mask.numpy(), x.detach().numpy() / 0.75, 0.0).astype(np.float32)))
    out.sum().backward()
    assert_close(x.grad, to_torch((mask.numpy() / np.float32(0.75)).astype(np.float32)))
    for lib in (danlu, torch):
        o, m = lib.native_dropout(lib.ones(3), 0.5, False)
        assert o.tolist() == [1.0] * 3 and m.tolist() == [True] * 3
        o, m = lib.native_dropout(lib.ones(3), 1.0, True)
        assert o.tolist() == [0.0] * 3 and m.tolist() == [False] * 3


# -- native norms ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DT)
def test_native_layer_and_group_norm(dt):
    x, w, b = (R.standard_normal(s).astype(dt) for s in ((2, 4, 3, 5), (3, 5), (3, 5)))
    _both(lambda lib, x, w, b: lib.native_layer_norm(x, [3, 5], w, b, 1e-5), x, w, b)
    _both(lambda lib, x: lib.native_layer_norm(x, (5,), None, None, 1e-3), x)
    g, c = R.standard_normal(4).astype(dt), R.standard_normal(4).astype(dt)
    _both(lambda lib, x, w, b: lib.native_group_norm(x, w, b, 2, 4, 15, 2, 1e-5), x, g, c)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm(dt, training):
    x, w, b = R.standard_normal((4, 3, 5)).astype(dt), R.standard_normal(3).astype(dt), R.standard_normal(3).astype(dt)
    rm, rv = R.standard_normal(3).astype(dt), R.random(3).astype(dt) + 0.5
    stats = {}
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        m, v = conv(rm), conv(rv)
        _ = lib.native_batch_norm(conv(x), conv(w), conv(b), m, v, training, 0.1, 1e-5)
        stats[lib.__name__] = (m, v)
    assert_close(stats["danlu"], stats["torch"])
    _both(lambda lib, x, w, b: lib.native_batch_norm(x, w, b, lib.tensor(rm), lib.tensor(rv), training, 0.1, 1e-5),
          x, w, b)


def test_norm_except_dim_and_legacy_norms():
    a = R.standard_normal((2, 3, 4))
    for dim in (0, 1, 2, -1):
        _both(lambda lib, v, dim=dim: lib.norm_except_dim(v, 2, dim), a)
    _both(lambda lib, v: lib.norm_except_dim(v, 3, 0), a)
    _both(lambda lib, v: lib.frobenius_norm(v, (1, 2)), a)
    _both(lambda lib, v: lib.frobenius_norm(v, [0], True), a)
    _both(lambda lib, v: lib.frobenius_norm(v, ()), a)
    _both(lambda lib, v: lib.nuclear_norm(v), a, rtol=1e-8, atol=1e-10)
    _both(lambda lib, v: lib.nuclear_norm(v[0], keepdim=True), a, rtol=1e-8, atol=1e-10)
    _both(lambda lib, v: lib.nuclear_norm(v, (0, 2)), a, rtol=1e-8, atol=1e-10)
    for lib in (danlu, torch):
        with pytest.raises(RuntimeError, match="Expected at most 2 dimensions, but got 3 dimensions instead."):
            lib.frobenius_norm(lib.ones(2, 2, 2), (0, 1, 2))
    assert_close(danlu.native_norm(to_danlu(a)), torch.linalg.vector_norm(to_torch(a)))
    assert_close(danlu.native_norm(to_danlu(a), 3, [1], True, None),
                 torch.linalg.vector_norm(to_torch(a), 3, [1], True))


@pytest.mark.parametrize("name", ["solve", "eig", "symeig", "lstsq", "matrix_rank"])
def test_removed_linalg_raise_torchs_errors(name):
    msgs = []
    for lib in (danlu, torch):
        a = lib.eye(3)
        with pytest.raises(RuntimeError) as e:
            getattr(lib, name)(a, a) if name in ("solve", "lstsq") else getattr(lib, name)(a)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


# -- convolution / samplers / embedding ----------------------------------------------------------
@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("case", [
    ((2, 3, 9), (4, 3, 3), [2], [1], [1], False, [0], 1),
    ((2, 4, 6, 5), (6, 2, 3, 2), [1, 2], [1, 0], [2, 1], False, [0, 0], 2),
    ((2, 4, 5, 5), (4, 3, 3, 3), [2, 2], [1, 1], [1, 1], True, [1, 0], 1),
    ((1, 2, 3, 4, 3), (2, 2, 2, 2, 2), [1], [0], [1], False, [0], 1),
])
def test_convolution(dt, case):
    xs, ws, stride, pad, dil, transposed, op, groups = case
    x, w, b = R.standard_normal(xs).astype(dt), R.standard_normal(ws).astype(dt), \
        R.standard_normal(ws[1] * groups if transposed else ws[0]).astype(dt)
    _both(lambda lib, x, w, b: lib.convolution(x, w, b, stride, pad, dil, transposed, op, groups), x, w, b)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("interp,padding,align", [(0, 0, False), (0, 1, True), (0, 2, False), (1, 0, True)])
def test_grid_sampler(dt, interp, padding, align):
    x = R.standard_normal((2, 3, 5, 6)).astype(dt)
    g = (R.random((2, 4, 3, 2)) * 2.4 - 1.2).astype(dt)
    _both(lambda lib, x, g: lib.grid_sampler(x, g, interp, padding, align), x, g, grad=interp == 0)
    _both(lambda lib, x, g: lib.grid_sampler_2d(x, g, interp, padding, align), x, g, grad=interp == 0)


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("align", [False, True])
def test_affine_grid_generator(dt, align):
    th = R.standard_normal((2, 2, 3)).astype(dt)
    _both(lambda lib, t: lib.affine_grid_generator(t, [2, 3, 4, 5], align), th)


def test_embedding_renorm_():
    w = R.standard_normal((6, 3)) * 2
    idx = np.array([0, 2, 2, 5])
    res = []
    for lib, conv in ((danlu, to_danlu), (torch, to_torch)):
        t = conv(w)
        r = lib.embedding_renorm_(t, conv(idx), 1.0, 2.0)
        assert r is t
        res.append(t)
    assert_close(res[0], res[1])
    assert_close(danlu.linalg.vector_norm(res[0][[0, 2, 5]], dim=1), torch.ones(3, dtype=torch.float64),
                 rtol=1e-6, atol=1e-6)


# -- sampling / indexing ---------------------------------------------------------------------------
def test_binomial_distribution_and_checks():
    danlu.manual_seed(0)
    count = danlu.tensor([10.0, 50.0, 3.0, 0.0, -2.0]).expand(4000, 5)
    prob = danlu.tensor([0.3, 0.9, 1.5, 0.5, 0.5]).expand(4000, 5)
    s = danlu.binomial(count, prob)
    assert s.dtype is danlu.float32 and s.shape == (4000, 5)
    arr = s.numpy()
    assert (arr == np.floor(arr)).all() and (arr >= 0).all()
    np.testing.assert_allclose(arr.mean(0)[:2], [3.0, 45.0], rtol=0.03)
    np.testing.assert_allclose(arr.var(0)[:2], [2.1, 4.5], rtol=0.12)
    assert (arr[:, 2] == 3).all() and (arr[:, 3:] == 0).all()  # prob clipped to 1; count clipped to 0
    g = danlu.Generator().manual_seed(7)
    a = danlu.binomial(danlu.full((5,), 20.0), danlu.full((5,), 0.5), generator=g)
    b = danlu.binomial(danlu.full((5,), 20.0), danlu.full((5,), 0.5), generator=danlu.Generator().manual_seed(7))
    assert a.tolist() == b.tolist()
    for lib in (danlu, torch):
        with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for count, got: Long"):
            lib.binomial(lib.tensor([10]), lib.tensor([0.5]))
        with pytest.raises(ValueError, match="binomial only supports floating-point dtypes for prob, got: Long"):
            lib.binomial(lib.tensor([10.0]), lib.tensor([1]))
        with pytest.raises(RuntimeError, match="Found dtype Double but expected Float"):
            lib.binomial(lib.tensor([10.0]), lib.tensor([0.5], dtype=lib.float64))


@pytest.mark.parametrize("data,size,fill", [
    ([[1, 0], [3, 2]], 4, -1), ([[1, 0], [3, 2]], 2, -1), ([10], 0, -1), (10, 2, -1),
    ([[0, 0], [0, 5]], 3, 7), ([[0.0, 1.5, 0.0]], 1, -1),
])
def test_nonzero_static(data, size, fill):
    assert_close(danlu.nonzero_static(danlu.tensor(data), size=size, fill_value=fill),
                 torch.nonzero_static(torch.tensor(data), size=size, fill_value=fill))


def test_nonzero_static_bad_size():
    for lib in (danlu, torch):
        with pytest.raises(RuntimeError, match="nonzero_static: 'size' must be an non-negative integer"):
            lib.nonzero_static(lib.tensor([1, 0]), size=-1)


# -- segment_reduce -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
@pytest.mark.parametrize("initial", [None, 0.5])
def test_segment_reduce_lengths_and_offsets(dt, reduce, initial):
    data = R.standard_normal((6, 3)).astype(dt)
    data[1, 0] = data[0, 0]  # a tie for max/min
    data[4, 2] = 0.0  # a zero for prod
    lengths = np.array([2, 0, 3, 1])

    def fn(lib, x):
        out = lib.segment_reduce(x, reduce, lengths=lib.tensor(lengths), initial=initial)
        return out.nan_to_num(0.0, 0.0, 0.0)

    # positive output gradients: torch's max/min backward splits only positive gradients among
    # tied entries (a negative one reaches every tied entry in full); danlu always splits
    _both(fn, data, lo=0.5)
    offsets = np.array([0, 2, 2, 5, 6])
    _both(lambda lib, x: lib.segment_reduce(x, reduce, offsets=lib.tensor(offsets), initial=initial)
          .nan_to_num(0.0, 0.0, 0.0), data, lo=0.5)


@pytest.mark.parametrize("reduce", ["sum", "mean", "max", "min", "prod"])
def test_segment_reduce_2d_lengths_axis1(reduce):
    data = R.standard_normal((2, 5, 3))
    lengths = np.array([[2, 3, 0], [1, 1, 3]])
    _both(lambda lib, x: lib.segment_reduce(x, reduce, lengths=lib.tensor(lengths), axis=1)
          .nan_to_num(0.0, 0.0, 0.0), data)


def test_segment_reduce_gradcheck_and_errors():
    x = danlu.randn(5, 2, dtype=danlu.float64, requires_grad=True)
    for r in ("sum", "mean", "max", "prod"):
        assert danlu.autograd.gradcheck(
            lambda t, r=r: danlu.segment_reduce(t, r, lengths=danlu.tensor([2, 3])), (x,))
    d = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    for lib in (danlu, torch):
        t = lib.tensor(d)
        with pytest.raises(RuntimeError, match="Expected all rows of lengths along axis to sum to "):
            lib.segment_reduce(t, "sum", lengths=lib.tensor([2, 2]))
        with pytest.raises(RuntimeError, match="lengths contains negative value!"):
            lib.segment_reduce(t, "sum", lengths=lib.tensor([4, -1]))
        with pytest.raises(RuntimeError, match="reduce argument must be either sum, prod, mean, amax or amin, "
                                               "got foo"):
            lib.segment_reduce(t, "foo", lengths=lib.tensor([3]))
        with pytest.raises(RuntimeError, match="Either lengths or offsets must be defined."):
            lib.segment_reduce(t, "sum")
        with pytest.raises(RuntimeError, match="Expected axis to be the last dimension of lengths but got 1."):
            lib.segment_reduce(t, "sum", lengths=lib.tensor([1, 1]), axis=1)
        assert_close(lib.segment_reduce(t, "sum", lengths=lib.tensor([2, 2]), unsafe=True),
                     torch.tensor([[4.0, 6.0], [5.0, 6.0]]))


# -- randomised low-rank SVD / PCA --------------------------------------------------------------------
def _projector(u):
    u = u.detach().numpy() if not isinstance(u, np.ndarray) else u
    return u @ u.T


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("shape", [(20, 12), (9, 25)])
def test_svd_lowrank_matches_torch_subspaces(dt, shape):
    m, n = shape
    a = (R.standard_normal((m, 3)) @ R.standard_normal((3, n))).astype(dt)
    tol = dict(rtol=1e-3, atol=1e-3) if dt == np.float32 else dict(rtol=1e-8, atol=1e-8)
    danlu.manual_seed(0)
    ud, sd, vd = danlu.svd_lowrank(to_danlu(a), q=5)
    ut, st, vt = torch.svd_lowrank(to_torch(a), q=5)
    assert ud.shape == ut.shape and sd.shape == st.shape and vd.shape == vt.shape
    assert_close(sd[:3], st[:3], **tol)
    np.testing.assert_allclose(_projector(ud[:, :3]), _projector(ut[:, :3]), **tol)
    np.testing.assert_allclose(_projector(vd[:, :3]), _projector(vt[:, :3]), **tol)
    rec = (ud * sd) @ vd.T
    np.testing.assert_allclose(rec.numpy(), a, **tol)


def test_svd_lowrank_with_M_and_batched():
    a = R.standard_normal((2, 15, 4)) @ R.standard_normal((2, 4, 10))
    M = R.standard_normal((1, 10))
    danlu.manual_seed(1)
    ud, sd, vd = danlu.svd_lowrank(to_danlu(a + M), q=6, niter=3, M=to_danlu(M))
    ut, st, vt = torch.svd_lowrank(to_torch(a + M), q=6, niter=3, M=to_torch(M))
    assert_close(sd[:, :4], st[:, :4], rtol=1e-8, atol=1e-8)
    for i in range(2):
        np.testing.assert_allclose(_projector(vd[i, :, :4]), _projector(vt[i, :, :4]), atol=1e-8)


@pytest.mark.parametrize("dt", DT)
def test_pca_lowrank(dt):
    a = (R.standard_normal((30, 2)) @ R.standard_normal((2, 8)) + 5.0).astype(dt)
    tol = dict(rtol=1e-3, atol=1e-3) if dt == np.float32 else dict(rtol=1e-8, atol=1e-8)
    ud, sd, vd = danlu.pca_lowrank(to_danlu(a))
    ut, st, vt = torch.pca_lowrank(to_torch(a))
    assert sd.shape == (6,) and ud.shape == (30, 6) and vd.shape == (8, 6)
    assert_close(sd[:2], st[:2], **tol)
    np.testing.assert_allclose(_projector(vd[:, :2]), _projector(vt[:, :2]), **tol)
    _, s_nc, _ = danlu.pca_lowrank(to_danlu(a), q=3, center=False)
    _, t_nc, _ = torch.pca_lowrank(to_torch(a), q=3, center=False)
    assert_close(s_nc[:2], t_nc[:2], **tol)
    for lib in (danlu, torch):
        with pytest.raises(ValueError, match=r"q\(=9\) must be non-negative integer and not greater than "
                                             r"min\(m, n\)=8"):
            lib.pca_lowrank(lib.ones(30, 8), q=9)
        with pytest.raises(ValueError, match=r"niter\(=-1\) must be non-negative integer"):
            lib.pca_lowrank(lib.ones(30, 8), niter=-1)


def test_svd_lowrank_gradient_of_singular_values():
    a = R.standard_normal((8, 2)) @ R.standard_normal((2, 6)) + 0.01 * R.standard_normal((8, 6))
    x = to_danlu(a, True)
    danlu.manual_seed(0)
    _, s, _ = danlu.svd_lowrank(x, q=6, niter=4)
    s[:2].sum().backward()
    xt = to_torch(a, True)
    torch.linalg.svdvals(xt)[:2].sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), atol=1e-6)


# -- compile / cond / while_loop / vmap ---------------------------------------------------------------
def test_compile_returns_the_callable():
    def f(x):
        return x * 2

    assert danlu.compile(f) is f
    assert danlu.compile(mode="reduce-overhead")(f) is f
    m = danlu.nn.Linear(2, 3)
    assert danlu.compile(m, backend="eager", fullgraph=True) is m

    @danlu.compile
    def g(x):
        return x + 1

    @danlu.compile(dynamic=True)
    def h(x):
        return x - 1

    assert g(danlu.ones(2)).tolist() == [2.0, 2.0] and h(danlu.ones(2)).tolist() == [0.0, 0.0]
    for lib in (danlu, torch):
        with pytest.raises(RuntimeError, match="Either mode or options can be specified, but both can't be "
                                               "specified at the same time."):
            lib.compile(f, mode="default", options={"a": 1})


def test_cond():
    a = R.standard_normal(3)
    for pred in (True, False):
        _both(lambda lib, x, pred=pred: lib.cond(pred, lambda t: t.sin(), lambda t: t.cos(), (x,)), a)
    _both(lambda lib, x: lib.cond(x.sum() > 100, lambda t: t * 2, lambda t: t.exp(), [x]), a)
    _both(lambda lib, x: lib.cond(lib.tensor(1.0), lambda t, u: t * u, lambda t, u: t + u, (x, x)), a)
    for lib in (danlu, torch):
        with pytest.raises(RuntimeError, match="Expected pred to be bool or single-element tensor, but got"):
            lib.cond(lib.tensor([True, False]), lambda t: t, lambda t: t, (lib.ones(1),))


def test_while_loop():
    a = R.standard_normal(3)

    def run(lib, x):
        i0 = lib.tensor(0)
        _, y = lib.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v.sin() * 1.5), (i0, x))
        return y

    _both(run, a)
    for lib in (danlu, torch):
        x = lib.tensor(0.0)
        assert lib.while_loop(lambda i: i < 3, lambda i: i + 1, (x,)).item() == 3.0
        out = lib.while_loop(lambda i: i < 0, lambda i: (i + 1,), (x,))
        assert isinstance(out, tuple) and out[0].item() == 0.0
        with pytest.raises(RuntimeError, match="Expect cond_fn and body_fn to be callable."):
            lib.while_loop(lambda i: i < 3, 5, (x,))
    with pytest.raises(RuntimeError, match="Expected body_fn_output and carried_inputs to have same number"):
        danlu.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1,), (danlu.tensor(0.0), danlu.ones(2)))
    with pytest.raises(RuntimeError, match="Expected cond_fn to return a scalar tensor or a bool"):
        danlu.while_loop(lambda i: danlu.tensor([True, True]), lambda i: (i + 1,), (danlu.tensor(0.0),))


def test_vmap_alias():
    a = R.standard_normal((4, 3))
    _both(lambda lib, x: lib.vmap(lambda r: (r * r).sum())(x), a)
    _both(lambda lib, x: lib.vmap(lambda c: c.exp(), in_dims=1, out_dims=1)(x), a)


# -- DLPack / platform queries ---------------------------------------------------------------------------
def test_dlpack_shares_memory():
    t = torch.arange(4.0)
    d = danlu.from_dlpack(t)
    assert d.dtype is danlu.float32 and d.tolist() == [0.0, 1.0, 2.0, 3.0]
    d[1] = 9.0
    assert t[1].item() == 9.0
    a = np.arange(3.0)
    d2 = danlu.from_dlpack(a)
    a[0] = -1.0
    assert d2[0].item() == -1.0 and d2.dtype is danlu.float64
    x = danlu.arange(3.0)
    tx = torch.from_dlpack(x)  # danlu tensors are DLPack producers
    tx[2] = 7.0
    assert x.tolist() == [0.0, 1.0, 7.0]
    cap = danlu.to_dlpack(danlu.tensor([1.0, 2.0]))
    assert torch.from_dlpack(cap).tolist() == [1.0, 2.0]
    assert danlu.from_dlpack(torch.to_dlpack(torch.tensor([3, 4]))).tolist() == [3, 4]
    for lib in (danlu, torch):
        with pytest.raises(BufferError, match="Can't export tensors that require gradient, use tensor.detach()"):
            lib.ones(2, requires_grad=True).__dlpack__()


def test_platform_queries():
    assert danlu.is_distributed(danlu.ones(1)) is False and torch.is_distributed(torch.ones(1)) is False
    assert danlu.is_vulkan_available() is False and torch.is_vulkan_available() is False
    assert danlu.set_flush_denormal(False) is True
    assert danlu.set_flush_denormal(True) is False
    assert danlu.tensor([1e-323], dtype=danlu.float64).item() != 0.0
