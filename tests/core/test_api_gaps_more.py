"""nn.DataParallel / nn.parallel.data_parallel (no GPU), the ATen RNN functions (lstm, gru,
rnn_tanh, rnn_relu; padded and packed overloads), set_default_tensor_type and the deprecated
autocast setters, nn.utils.stateless.functional_call, convert_conv{2,3}d_weight_memory_format,
Tensor.output_nr and Tensor.module_load, against torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import danlu
from danlu import _deprecated
from danlu.amp import _state as amp_state
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch

NO_CUDA = pytest.mark.skipif(danlu.cuda.is_available(), reason="danlu's GPU path differs (CPU semantics)")


def _raises_same(fd, ft, exact: bool = True):
    with pytest.raises(Exception) as et:
        ft()
    with pytest.raises(Exception) as ed:
        fd()
    assert type(ed.value) is type(et.value), (ed.value, et.value)
    if exact:
        assert str(ed.value) == str(et.value)
    return ed.value, et.value


# -- DataParallel -------------------------------------------------------------------------------
def _pair(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.BatchNorm1d(4))


@NO_CUDA
@pytest.mark.parametrize("device_ids", [None, [0, 1]])
def test_data_parallel_without_gpu(device_ids):
    md, mt = _pair(danlu), _pair(torch)
    dd = danlu.nn.DataParallel(md, device_ids=device_ids, output_device=1 if device_ids else None, dim=1)
    dt = torch.nn.DataParallel(mt, device_ids=device_ids, output_device=1 if device_ids else None, dim=1)
    assert dd.module is md and dd.device_ids == dt.device_ids == []
    assert not hasattr(dd, "dim") and not hasattr(dd, "output_device") and not hasattr(dt, "dim")
    assert repr(dd) == repr(dt)
    assert list(dd.state_dict()) == list(dt.state_dict())
    assert [n for n, _ in dd.named_parameters()] == [n for n, _ in dt.named_parameters()]
    assert all(a is b for a, b in zip(dd.parameters(), md.parameters()))
    sd = {k: to_danlu(v.numpy()) for k, v in dt.state_dict().items()}
    assert str(dd.load_state_dict(sd)) == str(dt.load_state_dict(dt.state_dict()))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    assert_close(dd(to_danlu(x)), dt(to_torch(x)))
    assert_close(dd.module[2].running_mean, dt.module[2].running_mean)
    dd.eval()
    dt.eval()
    assert md.training is mt.training is False and md[2].training is False
    assert_close(dd(to_danlu(x)), dt(to_torch(x)))
    # an unprefixed state dict is refused with torch's message
    ld, lt = danlu.nn.DataParallel(md[0]), torch.nn.DataParallel(mt[0])
    _raises_same(lambda: ld.load_state_dict(md[0].state_dict()), lambda: lt.load_state_dict(mt[0].state_dict()))
    assert danlu.nn.parallel.DataParallel is danlu.nn.DataParallel
    assert "DataParallel[" in repr(danlu.nn.DataParallel[danlu.nn.Linear])


@NO_CUDA
def test_data_parallel_function_needs_a_device():
    for ids in (None, [0]):
        _raises_same(lambda: danlu.nn.parallel.data_parallel(danlu.nn.Linear(3, 2), danlu.zeros(2, 3), ids),
                     lambda: torch.nn.parallel.data_parallel(torch.nn.Linear(3, 2), torch.zeros(2, 3), ids))


# -- ATen RNN functions ---------------------------------------------------------------------------
_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _rnn_arrays(name, L, N, I, H, layers, dirs, bias, proj=0, dtype=np.float64, seed=0):
    """x, h0[, c0] and the flat params (torch's order) as arrays."""
    rng = np.random.default_rng(seed)
    G = _GATES[name] * H
    real = proj or H
    arrs = [rng.standard_normal((L, N, I)), 0.5 * rng.standard_normal((layers * dirs, N, real))]
    if name == "lstm":
        arrs.append(0.5 * rng.standard_normal((layers * dirs, N, H)))
    params = []
    for layer in range(layers):
        for _ in range(dirs):
            in_sz = I if layer == 0 else real * dirs
            shapes = [(G, in_sz), (G, real)] + ([(G,), (G,)] if bias else []) + ([(proj, H)] if proj else [])
            params += [0.4 * rng.standard_normal(s) for s in shapes]
    return [a.astype(dtype) for a in arrs], [p.astype(dtype) for p in params]


def _call(name, n_state, tail):
    def fn(lib, x, *rest):
        hx = list(rest[:n_state]) if name == "lstm" else rest[0]
        return tuple(getattr(lib, name)(x, hx, list(rest[n_state:]), *tail))
    return fn


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("layers,bidir,bias,batch_first", [(1, False, True, False), (2, True, True, False),
                                                          (2, False, False, True)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rnn_functions_padded(name, layers, bidir, bias, batch_first, dtype):
    arrs, params = _rnn_arrays(name, 4, 3, 3, 5, layers, 2 if bidir else 1, bias, dtype=dtype)
    if batch_first:
        arrs[0] = arrs[0].transpose(1, 0, 2).copy()
    n_state = 2 if name == "lstm" else 1
    compare_fn(_call(name, n_state, (bias, layers, 0.0, False, bidir, batch_first)), *arrs, *params)


def test_lstm_with_projections_and_train_without_dropout():
    arrs, params = _rnn_arrays("lstm", 4, 2, 3, 5, 2, 2, True, proj=2)
    compare_fn(_call("lstm", 2, (True, 2, 0.0, True, True, False)), *arrs, *params)
    arrs, params = _rnn_arrays("lstm", 3, 2, 3, 4, 1, 1, False, proj=3)
    arrs[0] = arrs[0].transpose(1, 0, 2).copy()
    compare_fn(_call("lstm", 2, (False, 1, 0.0, False, False, True)), *arrs, *params)


@pytest.mark.parametrize("name", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
def test_rnn_functions_packed(name):
    layers, bidir = 2, True
    arrs, params = _rnn_arrays(name, 1, 1, 3, 4, layers, 2, True)
    rng = np.random.default_rng(1)
    batch_sizes = np.array([3, 2, 2, 1], dtype=np.int64)   # lengths 4, 3, 1
    data = rng.standard_normal((int(batch_sizes.sum()), 3))
    states = [0.5 * rng.standard_normal((layers * 2, 3, 4)) for _ in arrs[1:]]
    n_state = len(states)

    def fn(lib, d, bs, *rest):
        hx = list(rest[:n_state]) if name == "lstm" else rest[0]
        return tuple(getattr(lib, name)(d, bs, hx, list(rest[n_state:]), True, layers, 0.0, False, bidir))
    compare_fn(fn, data, batch_sizes, *states, *params)


def test_rnn_functions_match_modules_and_keywords():
    torch.manual_seed(0)
    tm = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    dm = danlu.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    dm.load_state_dict({k: to_danlu(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = np.random.default_rng(2).standard_normal((2, 5, 3))
    hx = [np.random.default_rng(3).standard_normal((4, 2, 4)) for _ in range(2)]
    od, (hd, cd) = dm(to_danlu(x), tuple(to_danlu(h) for h in hx))
    kw = dict(params=dm._flat_weights, has_biases=True, num_layers=2, dropout=0.0, train=False,
              bidirectional=True, batch_first=True)
    res = danlu.lstm(input=to_danlu(x), hx=[to_danlu(h) for h in hx], **kw)
    assert_close(list(res), [od, hd, cd])
    assert_close(list(res), list(torch.lstm(to_torch(x), [to_torch(h) for h in hx], tm._flat_weights, True, 2,
                                            0.0, False, True, True)))
    # packed, against the module on a PackedSequence
    tp = torch.nn.utils.rnn.pack_padded_sequence(to_torch(x), [5, 3], batch_first=True)
    dp = danlu.nn.utils.rnn.pack_padded_sequence(to_danlu(x), [5, 3], batch_first=True)
    outd, (hnd, cnd) = dm(dp, tuple(to_danlu(h) for h in hx))
    res = danlu.lstm(dp.data, dp.batch_sizes, [to_danlu(h) for h in hx], dm._flat_weights, True, 2, 0.0, False,
                     True)
    assert_close(list(res), [outd.data, hnd, cnd])
    assert_close(list(res), list(torch.lstm(tp.data, tp.batch_sizes, [to_torch(h) for h in hx], tm._flat_weights,
                                            True, 2, 0.0, False, True)))


def test_rnn_dropout_between_layers():
    """p = 1 zeroes the second layer's input (deterministic, so torch's values); 0 < p < 1 is random."""
    arrs, params = _rnn_arrays("gru", 4, 3, 3, 5, 2, 1, True)
    compare_fn(_call("gru", 1, (True, 2, 1.0, True, False, False)), *arrs, *params)
    compare_fn(_call("gru", 1, (True, 2, 1.5, False, False, False)), *arrs, *params)  # eval: unchecked
    xd, hd = to_danlu(arrs[0]), to_danlu(arrs[1])
    pd = [to_danlu(p) for p in params]
    ref = danlu.gru(xd, hd, pd, True, 2, 0.5, False, False, False)[0]
    out = danlu.gru(xd, hd, pd, True, 2, 0.5, True, False, False)[0]
    assert out.shape == ref.shape and not np.allclose(out.numpy(), ref.numpy())


def test_rnn_functions_gradcheck():
    for name in ("lstm", "gru", "rnn_tanh"):
        arrs, params = _rnn_arrays(name, 3, 2, 2, 3, 2, 2, True)
        xs = [to_danlu(a, True) for a in arrs + params]
        n_state = 2 if name == "lstm" else 1
        fn = _call(name, n_state, (True, 2, 0.0, False, True, False))
        assert danlu.autograd.gradcheck(lambda *t, fn=fn: fn(danlu, *t), xs)
    arrs, params = _rnn_arrays("lstm", 3, 2, 2, 3, 1, 1, True, proj=2)
    xs = [to_danlu(a, True) for a in arrs + params]
    assert danlu.autograd.gradcheck(lambda *t: _call("lstm", 2, (True, 1, 0.0, False, False, False))(danlu, *t), xs)


def test_rnn_functions_errors():
    arrs, params = _rnn_arrays("lstm", 4, 2, 3, 4, 2, 1, True)
    arrs_g, params_g = _rnn_arrays("gru", 4, 2, 3, 4, 2, 1, True)

    def both(fn_of_lib, exact=True):
        return _raises_same(lambda: fn_of_lib(danlu, to_danlu), lambda: fn_of_lib(torch, to_torch), exact)

    def lstm(lib, cv, hx=None, ps=None, *tail):
        hx = [cv(a) for a in arrs[1:]] if hx is None else hx
        ps = [cv(p) for p in params] if ps is None else ps
        return lib.lstm(cv(arrs[0]), hx, ps, *(tail or (True, 2, 0.0, False, False, False)))

    def gru(lib, cv, x=None, h=None, ps=None, tail=(True, 2, 0.0, False, False, False)):
        return lib.gru(cv(arrs_g[0]) if x is None else x, cv(arrs_g[1]) if h is None else h,
                       [cv(p) for p in params_g] if ps is None else ps, *tail)

    both(lambda lib, cv: lstm(lib, cv, [cv(arrs[1])]))
    both(lambda lib, cv: gru(lib, cv, tail=(True, 3, 0.0, False, False, False)))
    both(lambda lib, cv: gru(lib, cv, ps=[cv(p) for p in params_g[:4]]))
    both(lambda lib, cv: gru(lib, cv, ps=[cv(p) for p in params_g[:3]]))
    both(lambda lib, cv: gru(lib, cv, tail=(True, 1, 0.0, False, True, False)))
    both(lambda lib, cv: gru(lib, cv, h=cv(arrs_g[1].astype(np.float32))))
    both(lambda lib, cv: gru(lib, cv, tail=(True, 2, 1.5, True, False, False)))
    # torch's ATen does not check the input's rank (it fails somewhere inside); danlu says so up front
    with pytest.raises(RuntimeError, match="input must have 3 dimensions, got 2"):
        gru(danlu, to_danlu, x=to_danlu(arrs_g[0][:, 0]))
    both(lambda lib, cv: lib.gru(cv(arrs_g[0][0]), cv(np.array([2, 1], dtype=np.float32)), cv(arrs_g[1]),
                                 [cv(p) for p in params_g], True, 2, 0.0, False, False))
    # the argument parser: torch's header and overload lines
    for bad in [lambda lib, cv: gru(lib, cv, tail=(True, 2, 0.0, False, False)),
                lambda lib, cv: gru(lib, cv, tail=(1, 2, 0.0, False, False, False)),
                lambda lib, cv: gru(lib, cv, tail=(True, True, 0.0, False, False, False)),
                lambda lib, cv: lstm(lib, cv, cv(arrs[1])),
                lambda lib, cv: lib.rnn_tanh(cv(arrs_g[0]), cv(arrs_g[1]), [], True, 2, 0.0, False, False, x=1)]:
        ed, et = both(bad, exact=False)
        assert isinstance(ed, TypeError)
        lines_d, lines_t = str(ed).splitlines(), str(et).splitlines()
        assert lines_d[0] == lines_t[0]
        assert lines_d[1:] == [ln for ln in lines_t if ln.startswith(" * (")]  # not torch's "didn't match" notes


# -- deprecated setters ---------------------------------------------------------------------------
@pytest.fixture
def restore_default_dtype():
    yield
    danlu.set_default_dtype(danlu.float32)
    torch.set_default_dtype(torch.float32)


def test_set_default_tensor_type(restore_default_dtype, monkeypatch):
    monkeypatch.setattr(_deprecated, "_WARNED", [False])
    with pytest.warns(UserWarning, match=r"set_default_tensor_type\(\) is deprecated as of PyTorch 2.1"):
        danlu.set_default_tensor_type(danlu.DoubleTensor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process, as torch's TORCH_WARN_ONCE
        danlu.set_default_tensor_type(danlu.FloatTensor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t in ["DoubleTensor", "HalfTensor", "torch.DoubleTensor", "torch.FloatTensor", "torch.HalfTensor"]:
            if "." in t:
                danlu.set_default_tensor_type(t)
                torch.set_default_tensor_type(t)
            else:
                danlu.set_default_tensor_type(getattr(danlu, t))
                torch.set_default_tensor_type(getattr(torch, t))
            assert str(danlu.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch", "danlu")
            assert_close(danlu.tensor([1.5, 2]), torch.tensor([1.5, 2]))
            assert_close(danlu.Tensor([1.5]), torch.Tensor([1.5]))
        for arg in ["LongTensor", "torch.LongTensor", "BoolTensor", "float64", 3, "Tensor", "numpy.float64",
                    "DoubleTensor_str", "torch.cuda.FloatTensor"]:
            if arg == "torch.cuda.FloatTensor" and danlu.cuda.is_available():
                continue
            if isinstance(arg, str) and arg in ("LongTensor", "BoolTensor", "float64", "Tensor"):
                ad, at = getattr(danlu, arg), getattr(torch, arg)
            elif arg == "DoubleTensor_str":
                ad = at = "DoubleTensor"
            else:
                ad = at = arg
            _raises_same(lambda a=ad: danlu.set_default_tensor_type(a), lambda a=at: torch.set_default_tensor_type(a))
        _raises_same(lambda: danlu.set_default_tensor_type(t=danlu.FloatTensor),
                     lambda: torch.set_default_tensor_type(t=torch.FloatTensor))
        ed, _ = _raises_same(lambda: danlu.set_default_tensor_type("torch.Foo"),
                             lambda: torch.set_default_tensor_type("torch.Foo"), exact=False)
        assert "has no attribute 'Foo'" in str(ed)
    assert danlu.get_default_dtype() is danlu.float16


def _warning_text(f):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f()
    assert len(w) == 1 and w[0].category is DeprecationWarning
    return str(w[0].message).split(" (Triggered internally")[0]


def test_deprecated_autocast_setters(monkeypatch):
    monkeypatch.setattr(amp_state, "_dtype", dict(amp_state._dtype))
    monkeypatch.setattr(amp_state, "_enabled", dict(amp_state._enabled))
    monkeypatch.setattr(amp_state, "_any", list(amp_state._any))
    t_cpu_dt, t_gpu_dt = torch.get_autocast_dtype("cpu"), torch.get_autocast_dtype("cuda")
    try:
        for fn, arg in [("set_autocast_cpu_dtype", "float16"), ("set_autocast_gpu_dtype", "float32"),
                        ("set_autocast_cpu_enabled", True), ("set_autocast_cpu_enabled", False)]:
            ad, at = (getattr(danlu, arg), getattr(torch, arg)) if isinstance(arg, str) else (arg, arg)
            assert _warning_text(lambda: getattr(danlu, fn)(ad)) == _warning_text(lambda: getattr(torch, fn)(at))
            if fn == "set_autocast_cpu_enabled":
                assert danlu.is_autocast_enabled("cpu") is torch.is_autocast_enabled("cpu") is arg
        assert danlu.get_autocast_dtype("cpu") is danlu.float16 and danlu.get_autocast_dtype("cuda") is danlu.float32
        assert torch.get_autocast_dtype("cpu") is torch.float16
        for fn in ("set_autocast_cpu_dtype", "set_autocast_gpu_dtype", "set_autocast_cpu_enabled"):
            for args, kwargs in [((3,), {}), (("x",), {}), ((), {}), ((1, 2), {}), ((), {"enabled": True})]:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")  # the type check comes before the warning
                    _raises_same(lambda: getattr(danlu, fn)(*args, **kwargs),
                                 lambda: getattr(torch, fn)(*args, **kwargs))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            danlu.set_autocast_cpu_enabled(True)
            x = danlu.ones(2, 2)
            assert danlu.nn.functional.linear(x, x).dtype is danlu.float16
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.set_autocast_cpu_enabled(False)
            torch.set_autocast_cpu_dtype(t_cpu_dt)
            torch.set_autocast_gpu_dtype(t_gpu_dt)


# -- nn.utils -------------------------------------------------------------------------------------
def test_stateless_functional_call():
    from danlu.nn.utils import stateless as ds
    from torch.nn.utils import stateless as ts

    md, mt = danlu.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    w, b, x = np.ones((2, 3)), np.arange(2.0), np.random.default_rng(0).standard_normal((4, 3))
    with pytest.warns(FutureWarning) as rd:
        od = ds.functional_call(md, {"weight": to_danlu(w), "bias": to_danlu(b)}, (to_danlu(x),))
    with pytest.warns(FutureWarning) as rt:
        ot = ts.functional_call(mt, {"weight": to_torch(w), "bias": to_torch(b)}, (to_torch(x),))
    assert str(rd[0].message) == str(rt[0].message)
    assert_close(od, ot)
    assert not np.array_equal(md.weight.detach().numpy(), w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _raises_same(lambda: ds.functional_call(md, {"weight": danlu.zeros(2, 3), "foo": danlu.ones(1)},
                                                to_danlu(x), strict=True),
                     lambda: ts.functional_call(mt, {"weight": torch.zeros(2, 3), "foo": torch.ones(1)},
                                                to_torch(x), strict=True), exact=False)


def _convs(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.Sequential(lib.nn.ConvTranspose2d(3, 2, 2)),
                             lib.nn.Conv3d(1, 2, 2), lib.nn.ConvTranspose3d(2, 1, 2), lib.nn.Linear(2, 2))


@pytest.mark.parametrize("which,fmt", [(2, "channels_last"), (2, "contiguous_format"), (3, "channels_last_3d")])
def test_convert_conv_weight_memory_format(which, fmt):
    md, mt = _convs(danlu), _convs(torch)
    before = [p.detach().numpy().copy() for p in md.parameters()]
    fd = getattr(danlu.nn.utils, f"convert_conv{which}d_weight_memory_format")
    ft = getattr(torch.nn.utils, f"convert_conv{which}d_weight_memory_format")
    assert fd(md, getattr(danlu, fmt)) is md
    ft(mt, getattr(torch, fmt))
    assert [p.stride() for p in md.parameters()] == [p.stride() for p in mt.parameters()]
    assert all(isinstance(p, danlu.nn.Parameter) and p.requires_grad for p in md.parameters())
    for p, b in zip(md.parameters(), before):
        np.testing.assert_array_equal(p.detach().numpy(), b)


def test_convert_conv_weight_memory_format_errors():
    for which, fmt in [(2, "preserve_format"), (3, "preserve_format"), (2, "channels_last_3d"),
                       (3, "channels_last")]:
        _raises_same(lambda: getattr(danlu.nn.utils, f"convert_conv{which}d_weight_memory_format")(
                         _convs(danlu), getattr(danlu, fmt)),
                     lambda: getattr(torch.nn.utils, f"convert_conv{which}d_weight_memory_format")(
                         _convs(torch), getattr(torch, fmt)))


# -- Tensor.output_nr / module_load ---------------------------------------------------------------
def test_tensor_output_nr():
    a = np.random.default_rng(0).standard_normal((4, 3))
    cases = {
        "leaf": lambda lib, x: [x],
        "op": lambda lib, x: [x * 2, (x * 2).sum()],
        "svd": lambda lib, x: list(lib.linalg.svd(x, full_matrices=False)),
        "qr": lambda lib, x: list(lib.linalg.qr(x)),
        "max": lambda lib, x: list(x.max(0)),
        "detached": lambda lib, x: [lib.linalg.svd(x, full_matrices=False)[2].detach()],
        "no_grad": lambda lib, x: list(lib.linalg.svd(x.detach(), full_matrices=False)),
    }
    for name, f in cases.items():
        od, ot = f(danlu, to_danlu(a, True)), f(torch, to_torch(a, True))
        assert [t.output_nr for t in od] == [t.output_nr for t in ot], name
    _raises_same(lambda: setattr(danlu.ones(1), "output_nr", 1), lambda: setattr(torch.ones(1), "output_nr", 1),
                 exact=False)


def test_tensor_module_load():
    for cv in (to_danlu, to_torch):
        self_, other = cv(np.zeros(3)), cv(np.arange(3.0), True)
        r = self_.module_load(other)
        assert r is not self_ and r is not other and not r.requires_grad
        np.testing.assert_array_equal(self_.detach().numpy(), [0, 1, 2])  # copied into self
        np.testing.assert_array_equal(r.numpy(), [0, 1, 2])
        s32 = cv(np.zeros(3, np.float32))
        r = s32.module_load(other, assign=True)
        assert r is not other and not r.requires_grad and str(r.dtype).endswith("float64")
        np.testing.assert_array_equal(s32.numpy(), 0)  # assign leaves self alone
        np.testing.assert_array_equal(s32.module_load(cv(np.ones(1))).numpy(), 1)  # broadcast
    _raises_same(lambda: danlu.nn.Parameter(danlu.zeros(3)).module_load(danlu.ones(3)),
                 lambda: torch.nn.Parameter(torch.zeros(3)).module_load(torch.ones(3)))
    md, mt = danlu.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    with danlu.no_grad():
        r = md.weight.module_load(danlu.ones(2, 2))
    with torch.no_grad():
        rt = mt.weight.module_load(torch.ones(2, 2))
    assert type(r).__name__ == type(rt).__name__ == "Tensor"
    assert_close(md.weight, mt.weight)
