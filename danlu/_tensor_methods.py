"""Binds the functional ops to ``Tensor`` as methods, operators and in-place variants."""
from __future__ import annotations

from . import _dtype as D
from ._ops import blas, elementwise as E, indexing as I, reduction as R, shape as S
from ._tensor import Tensor


def _bind(name, fn):
    setattr(Tensor, name, fn)


def _bool_t(b) -> bool:
    """``b`` is a bool tensor (a bool tensor with a Python number goes to torch's bitwise op)."""
    return isinstance(b, Tensor) and b.dtype is D.bool_


# -- operators -------------------------------------------------------------------------------
_bind("__add__", lambda a, b: E.add(a, b))
_bind("__radd__", lambda a, b: E.add(b, a))
_bind("__sub__", lambda a, b: E.sub(a, b))
_bind("__rsub__", lambda a, b: E.sub(b, a))
_bind("__mul__", lambda a, b: E.mul(a, b))
_bind("__rmul__", lambda a, b: E.mul(b, a))
_bind("__truediv__", lambda a, b: E.div(a, b))
_bind("__rtruediv__", lambda a, b: E.div(b, a))
_bind("__floordiv__", lambda a, b: E.floor_divide(a, b))
_bind("__rfloordiv__", lambda a, b: E.floor_divide(b, a))
_bind("__mod__", lambda a, b: E.remainder(a, b))
_bind("__rmod__", lambda a, b: E.remainder(b, a))
_bind("__pow__", lambda a, b: E.pow(a, b))
_bind("__rpow__", lambda a, b: E.pow(b, a))
_bind("__matmul__", lambda a, b: blas.matmul(a, b))
_bind("__rmatmul__", lambda a, b: blas.matmul(b, a))
_bind("__neg__", lambda a: E.neg(a))
_bind("__pos__", lambda a: a)
_bind("__abs__", lambda a: E.abs(a))
_bind("__invert__", lambda a: E.logical_not(a) if a.dtype is D.bool_ else E.bitwise_not(a))
_bind("__and__", lambda a, b: E.logical_and(a, b) if a.dtype is D.bool_ and _bool_t(b) else E.bitwise_and(a, b))
_bind("__or__", lambda a, b: E.logical_or(a, b) if a.dtype is D.bool_ and _bool_t(b) else E.bitwise_or(a, b))
_bind("__xor__", lambda a, b: E.logical_xor(a, b) if a.dtype is D.bool_ and _bool_t(b) else E.bitwise_xor(a, b))
_bind("__rand__", lambda a, b: Tensor.__and__(a, b))
_bind("__ror__", lambda a, b: Tensor.__or__(a, b))
_bind("__rxor__", lambda a, b: Tensor.__xor__(a, b))
_bind("__eq__", lambda a, b: E.eq(a, b) if _cmp_ok(b) else NotImplemented)
_bind("__ne__", lambda a, b: E.ne(a, b) if _cmp_ok(b) else NotImplemented)
_bind("__lt__", lambda a, b: E.lt(a, b))
_bind("__le__", lambda a, b: E.le(a, b))
_bind("__gt__", lambda a, b: E.gt(a, b))
_bind("__ge__", lambda a, b: E.ge(a, b))


def _cmp_ok(b) -> bool:
    return isinstance(b, (Tensor, int, float, bool)) or hasattr(b, "__array__")


# -- methods with the same signature as the function -----------------------------------------
_SAME = {
    E: ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod", "pow",
        "float_power", "maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "lerp", "hypot",
        "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan",
        "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sigmoid",
        "erf", "erfc", "erfinv", "neg", "negative", "abs", "absolute", "sign", "floor", "ceil",
        "trunc", "fix", "relu", "round", "square", "reciprocal", "frac", "exp2", "logaddexp",
        "xlogy", "sinc", "nan_to_num", "clamp", "clip", "where", "masked_fill", "eq", "ne", "lt",
        "le", "gt", "ge", "not_equal", "less", "less_equal", "greater", "greater_equal",
        "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
        "bitwise_xor", "bitwise_not", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
        "isclose", "allclose", "equal"],
    R: ["sum", "nansum", "mean", "nanmean", "prod", "amax", "amin", "max", "min", "argmax",
        "argmin", "var", "std", "logsumexp", "cumsum", "cumprod", "cummax", "cummin",
        "logcumsumexp", "all", "any", "count_nonzero", "median", "mode", "aminmax"],
    S: ["reshape", "view", "flatten", "unflatten", "permute", "transpose", "swapaxes", "swapdims",
        "t", "adjoint", "movedim", "moveaxis", "expand", "expand_as", "broadcast_to", "squeeze",
        "unsqueeze", "narrow", "split", "chunk", "tensor_split", "unbind", "flip", "fliplr",
        "flipud", "roll", "rot90", "repeat", "tile", "repeat_interleave", "tril", "triu",
        "diagonal", "diag", "diag_embed", "trace"],
    I: ["gather", "take_along_dim", "scatter", "scatter_add", "scatter_reduce", "index_select",
        "index_add", "index_copy", "index_fill", "index_put", "masked_select", "masked_scatter",
        "nonzero", "argwhere", "sort", "argsort", "msort", "topk", "kthvalue", "unique",
        "unique_consecutive", "bincount", "histc"],
    blas: ["matmul", "mm", "bmm", "mv", "dot", "vdot", "inner", "outer", "ger", "addmm", "addmv",
           "baddbmm", "addbmm", "addcmul", "addcdiv", "kron"],
}
for mod, names in _SAME.items():
    for n in names:
        _bind(n, getattr(mod, n))


def _where_method(self, condition, other):
    return E.where(condition, self, other)


_bind("where", _where_method)
_bind("new_tensor", lambda self, data, dtype=None, device=None, requires_grad=False:
      __import__("danlu._creation", fromlist=["tensor"]).tensor(
          data, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad))


def _new_factory(kind):
    def fn(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        from . import _creation as C

        size = S._shape_args(size)
        f = getattr(C, kind)
        if kind == "full":
            size, value = size[0] if isinstance(size[0], (tuple, list)) else size[:-1], size[-1]
            if "fill_value" in kw:
                value = kw["fill_value"]
            return C.full(tuple(size), value, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)
        return f(size, dtype=dtype or self.dtype, device=device or self.device,
                 requires_grad=requires_grad)

    return fn


for _k in ("zeros", "ones", "empty"):
    _bind("new_" + _k, _new_factory(_k))


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    from . import _creation as C

    return C.full(tuple(size), fill_value, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)


_bind("new_full", _new_full)


# -- norms -----------------------------------------------------------------------------------
def _norm(self, p="fro", dim=None, keepdim=False, dtype=None):
    from ._ops import norms as functional_norm

    return functional_norm.norm(self, p, dim, keepdim, dtype=dtype)


_bind("norm", _norm)


def _dist(self, other, p=2):
    from ._ops import norms as functional_norm

    return functional_norm.norm(self - other, p)


_bind("dist", _dist)


# -- linear algebra ---------------------------------------------------------------------------
def _bind_linalg():
    from ._ops import linalg as L

    for name, fn in (("det", L.det), ("logdet", L.logdet), ("slogdet", L.slogdet),
                     ("inverse", L.inv), ("pinverse", L.pinverse), ("svd", L.svd_legacy),
                     ("qr", L.qr_legacy), ("cholesky", L.cholesky_legacy),
                     ("matrix_power", L.matrix_power), ("matrix_exp", L.matrix_exp),
                     ("cholesky_solve", L.cholesky_solve), ("cholesky_inverse", L.cholesky_inverse),
                     ("lu", L.lu_legacy), ("lu_solve", L.lu_solve_legacy),
                     ("triangular_solve", L.triangular_solve), ("geqrf", L.geqrf),
                     ("orgqr", L.orgqr), ("ormqr", L.ormqr)):
        _bind(name, fn)


_bind_linalg()


# -- in-place variants -----------------------------------------------------------------------
def _inplace_of(fn):
    def method(self, *args, **kwargs):
        return self._inplace(fn, *args, **kwargs)

    method.__name__ = fn.__name__ + "_"
    return method


_INPLACE = {
    "add_": E.add, "sub_": E.sub, "mul_": E.mul, "div_": E.div, "pow_": E.pow,
    "clamp_": E.clamp, "clip_": E.clamp, "exp_": E.exp, "log_": E.log, "sqrt_": E.sqrt,
    "rsqrt_": E.rsqrt, "neg_": E.neg, "abs_": E.abs, "sigmoid_": E.sigmoid, "tanh_": E.tanh,
    "relu_": E.relu, "floor_": E.floor, "ceil_": E.ceil, "round_": E.round, "trunc_": E.trunc,
    "sign_": E.sign, "reciprocal_": E.reciprocal, "square_": E.square, "sin_": E.sin,
    "cos_": E.cos, "log1p_": E.log1p, "expm1_": E.expm1, "masked_fill_": E.masked_fill,
    "lerp_": E.lerp, "addcmul_": blas.addcmul, "addcdiv_": blas.addcdiv, "maximum_": E.maximum,
    "minimum_": E.minimum, "remainder_": E.remainder, "fmod_": E.fmod, "erf_": E.erf,
    "floor_divide_": E.floor_divide, "nan_to_num_": E.nan_to_num,
    "scatter_": I.scatter, "scatter_add_": I.scatter_add, "index_add_": I.index_add,
    "index_copy_": I.index_copy, "index_fill_": I.index_fill, "index_put_": I.index_put,
    "masked_scatter_": I.masked_scatter, "tril_": S.tril, "triu_": S.triu,
    "logical_not_": E.logical_not, "logical_and_": E.logical_and, "logical_or_": E.logical_or,
}
for _n, _f in _INPLACE.items():
    _bind(_n, _inplace_of(_f))


# -- more elementwise ops: inverse hyperbolics, aliases, integer ops, special functions ------
def _float_power_(self, exponent):
    if self.dtype is not D.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {E._tn(self.dtype)} but the "
                           "operation's result requires dtype Double")
    return self._inplace(E.float_power, exponent)


def _bind_more_elementwise():
    from ._ops import composite as C, special as SP

    for n in ("asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "divide", "multiply",
              "subtract", "positive", "clamp_min", "clamp_max", "copysign", "ldexp", "frexp",
              "nextafter", "gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift", "angle",
              "conj", "conj_physical", "resolve_conj", "resolve_neg", "is_conj", "is_neg",
              "isreal", "logaddexp2"):
        _bind(n, getattr(E, n))
    for n in ("lgamma", "digamma", "i0", "igamma", "igammac", "mvlgamma"):
        _bind(n, getattr(SP, n))
    _bind("polygamma", lambda self, n: SP.polygamma(n, self))
    Tensor.real = property(E.real, doc="The real part (the tensor itself for real dtypes).")
    Tensor.imag = property(E.imag, doc="The imaginary part (an error for real dtypes).")
    _bind("__lshift__", lambda a, b: E.bitwise_left_shift(a, b))
    _bind("__rlshift__", lambda a, b: E.bitwise_left_shift(b, a))
    _bind("__rshift__", lambda a, b: E.bitwise_right_shift(a, b))
    _bind("__rrshift__", lambda a, b: E.bitwise_right_shift(b, a))
    _bind("__ilshift__", lambda a, b: a._inplace(E.bitwise_left_shift, b))
    _bind("__irshift__", lambda a, b: a._inplace(E.bitwise_right_shift, b))
    same = {n + "_": getattr(E, n) for n in (
        "acos", "arccos", "asin", "arcsin", "atan", "arctan", "atan2", "arctan2", "cosh", "sinh",
        "tan", "asinh", "arcsinh", "acosh", "arccosh", "atanh", "arctanh", "erfc", "erfinv", "exp2",
        "fix", "frac", "log2", "log10", "sinc", "hypot", "copysign", "xlogy", "bitwise_and",
        "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
        "logical_xor", "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
        "less_equal", "not_equal", "true_divide", "divide", "multiply", "subtract", "negative",
        "absolute", "ldexp", "gcd", "lcm", "nextafter", "clamp_min", "clamp_max")}
    same.update({n + "_": getattr(SP, n) for n in (
        "lgamma", "digamma", "i0", "igamma", "igammac", "mvlgamma")})
    same.update({n + "_": getattr(C, n) for n in ("deg2rad", "rad2deg", "logit", "sgn", "heaviside")})
    same["polygamma_"] = lambda x, n: SP.polygamma(n, x)
    for n, f in same.items():
        _bind(n, _inplace_of(f))
    _bind("float_power_", _float_power_)
    _bind("conj_physical_", lambda self: self)


def _top_inplace(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = f"``input.{name}(...)``: the in-place variant, as a function."
    return fn


_bind_more_elementwise()
# torch's top-level in-place functions (``torch.abs_(x)`` is ``x.abs_()``), exported by danlu
TOP_INPLACE = {n: _top_inplace(n) for n in (
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
    "conj_physical_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp2_", "exp_", "expm1_",
    "fix_", "floor_", "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
    "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
    "xlogy_")}


def _iop(fn):
    def method(self, other):
        return self._inplace(fn, other)

    return method


_bind("__iadd__", _iop(E.add))
_bind("__isub__", _iop(E.sub))
_bind("__imul__", _iop(E.mul))
_bind("__itruediv__", _iop(E.div))
_bind("__ipow__", _iop(E.pow))
_bind("__ifloordiv__", _iop(E.floor_divide))
_bind("__imod__", _iop(E.remainder))
_bind("__imatmul__", _iop(blas.matmul))
_bind("__iand__", _iop(lambda a, b: a & b))
_bind("__ior__", _iop(lambda a, b: a | b))
_bind("__ixor__", _iop(lambda a, b: a ^ b))


def _overwrite(s, v):
    """``v`` broadcast over ``s`` as a graph op: the gradient to ``s``'s history is zero."""
    from . import _backend as B

    if isinstance(v, Tensor):
        v = v.to(device=s.device, dtype=s.dtype)
    mask = Tensor._make(B.xp_of(s._data).ones(s._data.shape, bool), None)
    return E.where(mask, v, s)


def zero_(self):
    return self.fill_(0)


def fill_(self, value):
    """Set every element to ``value`` (a number or a 0-d tensor)."""
    self._check_inplace()
    from .autograd.grad_mode import GradMode

    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions.")
    from . import _backend as B
    from ._ops._util import checked_scalar_array

    v = checked_scalar_array(B.xp_of(self._data), value, self._data.dtype)  # torch's overflow error
    if GradMode.enabled and (self._rg or (isinstance(value, Tensor) and value._rg)):
        return self._inplace(_overwrite, value)
    self._data[...] = value._data if isinstance(value, Tensor) else v
    self._vc[0] += 1
    return self


def copy_(self, src, non_blocking=False):
    """Copy ``src`` (broadcast, cast, moved across devices) into self's memory."""
    from . import _backend as B
    from .autograd.grad_mode import GradMode

    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not {type(src).__name__}")
    self._check_inplace()
    if tuple(src.shape) != tuple(self.shape):
        from ._ops._util import broadcast_shapes

        full = broadcast_shapes(self.shape, src.shape)  # torch's message when they do not broadcast
        if full != tuple(self.shape):
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the broadcast shape "
                               f"{list(full)}")
    if GradMode.enabled and (self._rg or src._rg):
        return self._inplace(_overwrite, src)
    arr = B.move(src._data, self.device)
    self._data[...] = arr
    self._vc[0] += 1
    return self


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    from . import _random

    return _random.fill_(self, "uniform", a, b, generator=generator)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    from . import _random

    return _random.fill_(self, "normal", mean, std, generator=generator)


def bernoulli_(self, p=0.5, *, generator=None):
    from . import _random

    return _random.fill_(self, "bernoulli", p, None, generator=generator)


def exponential_(self, lambd=1.0, *, generator=None):
    from . import _random

    return _random.fill_(self, "exponential", lambd, None, generator=generator)


def random_(self, from_=0, to=None, *, generator=None):
    from . import _random

    return _random.fill_(self, "randint", from_, to, generator=generator)


def geometric_(self, p, *, generator=None):
    from . import _random

    return _random.fill_(self, "geometric", p, None, generator=generator)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    from . import _random

    return _random.fill_(self, "lognormal", mean, std, generator=generator)


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    from . import _random

    return _random.fill_(self, "cauchy", median, sigma, generator=generator)


def bernoulli(self, p=None, *, generator=None):
    from . import _random

    return _random.bernoulli(self if p is None else self.new_full(self.shape, p), generator=generator)


def multinomial(self, num_samples, replacement=False, *, generator=None):
    from . import _random

    return _random.multinomial(self, num_samples, replacement, generator=generator)


for _f in (zero_, fill_, copy_, uniform_, normal_, bernoulli_, exponential_, random_,
           geometric_, log_normal_, cauchy_, bernoulli, multinomial):
    _bind(_f.__name__, _f)


def squeeze_(self, dim=None):
    self._data = self._data.reshape(S.squeeze(self.detach(), dim).shape)
    return self


def unsqueeze_(self, dim):
    self._data = self._data.reshape(S.unsqueeze(self.detach(), dim).shape)
    return self


def t_(self):
    self._data = self._data.T
    return self


def transpose_(self, d0, d1):
    self._data = S.transpose(self.detach(), d0, d1)._data
    return self


for _f in (squeeze_, unsqueeze_, t_, transpose_):
    _bind(_f.__name__, _f)


def _apply_(self, fn):
    import numpy as np

    flat = self._data.reshape(-1)
    for i in range(flat.size):
        flat[i] = fn(flat[i].item())
    del np
    return self


_bind("apply_", _apply_)
_bind("map_", lambda self, other, fn: self.copy_(Tensor._make(
    __import__("numpy").vectorize(fn)(self._data, other._data).astype(self._data.dtype), None)))


# -- more shape / view / statistics methods (danlu._ops.views, danlu._ops.stats) ----------------
def _bind_views_stats():
    from ._ops import stats as ST, views as V

    for n in ("vsplit", "hsplit", "dsplit", "as_strided", "diagonal_scatter", "select_scatter",
              "slice_scatter", "put", "index_reduce", "unsafe_chunk", "unsafe_split",
              "split_with_sizes", "unsafe_split_with_sizes", "is_same_size", "is_signed",
              "is_inference", "get_device", "narrow_copy", "unfold", "storage_offset",
              "sum_to_size", "resize_", "resize_as_", "new", "fill_diagonal_"):
        _bind(n, getattr(V, n))
    for n in ("nanmedian", "histogram", "cov", "corrcoef", "renorm"):
        _bind(n, getattr(ST, n))
    _bind("swapaxes_", V.swapaxes_)
    _bind("swapdims_", V.swapaxes_)
    _bind("view_as", lambda self, other: S.view(self, other.shape))
    _bind("reshape_as", lambda self, other: S.reshape(self, other.shape))
    _bind("put_", lambda self, index, source, accumulate=False: self._inplace(V.put, index, source, accumulate))
    _bind("index_reduce_", lambda self, dim, index, source, reduce, *, include_self=True: self._inplace(
        V.index_reduce, dim, index, source, reduce, include_self=include_self))
    _bind("scatter_reduce_", lambda self, dim, index, src, reduce, *, include_self=True: self._inplace(
        I.scatter_reduce, dim, index, src, reduce, include_self=include_self))
    _bind("renorm_", lambda self, p, dim, maxnorm: self._inplace(ST.renorm, p, dim, maxnorm))
    Tensor.nbytes = property(V._nbytes, doc="Bytes taken by the elements: numel * itemsize.")
    Tensor.itemsize = property(V._itemsize, doc="Bytes per element.")
    Tensor.is_cpu = property(V._is_cpu, doc="True for tensors in host memory.")
    _bind("as_strided_", V.as_strided_)
    _bind("as_strided_scatter", V.as_strided_scatter)
    _bind("new_empty_strided", lambda self, size, stride, *, dtype=None, device=None, requires_grad=False:
          V.empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad))


_bind_views_stats()


# -- more in-place BLAS / scans, legacy resize, activations as methods --------------------------
def _cum_inplace(fn, name):
    def method(self, dim, dtype=None):
        if dtype is not None and dtype is not self.dtype:
            raise RuntimeError(f"Bad in-place call: input tensor dtype {E._tn(self.dtype).lower()} and "
                               f"output tensor dtype {E._tn(dtype).lower()} should match")
        return self._inplace(fn, dim)

    method.__name__ = name
    method.__doc__ = f"In-place version of ``{name[:-1]}``."
    return method


def _resize_legacy(self, *sizes):
    """Out-of-place ``resize`` (deprecated in torch): a differentiable reshape that must keep
    the number of elements."""
    import math
    import warnings

    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    sizes = tuple(int(s) for s in S._shape_args(sizes))
    n = math.prod(sizes)
    if n != self.numel():
        raise RuntimeError(
            f"requested resize to {'x'.join(map(str, sizes))} ({n} elements in total), but the given "
            f"tensor has a size of {'x'.join(map(str, self.shape))} ({self.numel()} elements). autograd's "
            "resize can only change the shape of a given tensor, while preserving the number of elements. ")
    return S.reshape(self, sizes)


def _resize_as_legacy(self, tensor):
    import warnings

    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _resize_legacy(self, tuple(tensor.shape))


def _dlpack(self, **kwargs):
    """DLPack export of the tensor's memory (torch refuses tensors that require grad)."""
    if self._rg:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    return self._data.__dlpack__(**kwargs)


def _bind_more_api():
    from .nn import functional as F

    for n, f in (("addmm_", blas.addmm), ("addmv_", blas.addmv), ("addbmm_", blas.addbmm),
                 ("baddbmm_", blas.baddbmm)):
        _bind(n, _inplace_of(f))
    from ._ops import composite as C

    _bind("addr_", _inplace_of(C.addr))
    _bind("cumsum_", _cum_inplace(R.cumsum, "cumsum_"))
    _bind("cumprod_", _cum_inplace(R.cumprod, "cumprod_"))
    _bind("hardshrink", lambda self, lambd=0.5: F.hardshrink(self, lambd))
    _bind("prelu", lambda self, weight: F.prelu(self, weight))
    _bind("resize", _resize_legacy)
    _bind("resize_as", _resize_as_legacy)
    if not hasattr(Tensor, "__dlpack__"):  # DLPack producer protocol (torch.from_dlpack(x) works)
        _bind("__dlpack__", _dlpack)
        _bind("__dlpack_device__", lambda self: self._data.__dlpack_device__())


_bind_more_api()
