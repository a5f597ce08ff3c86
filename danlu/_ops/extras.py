"""torch's remaining top-level functions that are compositions of danlu's ops: ATen's legacy
norms (``nuclear_norm``, ``frobenius_norm``, ``norm_except_dim``, ``native_norm``),
``binomial`` sampling, ``nonzero_static``, function spellings of in-place methods
(``addmv_``, ``index_put_``, ``detach``, ``detach_``), and the linear-algebra functions torch 2.x
removed (``solve``, ``eig``, ``symeig``, ``lstsq``, ``matrix_rank``), which raise torch's
RuntimeError pointing at their ``torch.linalg`` replacements.
"""
from __future__ import annotations

import warnings

from .. import _backend as B
from .. import _dtype as D
from .._tensor import Tensor
from ._util import norm_dim

__all__ = ["nuclear_norm", "frobenius_norm", "norm_except_dim", "native_norm", "binomial",
           "nonzero_static", "addmv_", "index_put_", "detach", "detach_", "solve", "eig", "symeig",
           "lstsq", "matrix_rank"]

_WARNED: set = set()


def _warn_once(key: str, msg: str) -> None:
    if key not in _WARNED:  # TORCH_WARN_ONCE
        _WARNED.add(key)
        warnings.warn(msg, UserWarning, stacklevel=3)


def nuclear_norm(input: Tensor, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    """Sum of the singular values over ``dim`` (default the last two dims, batched):
    ``||A||_* = sum_i sigma_i(A)`` (deprecated in torch for ``linalg.matrix_norm(A, 'nuc')``)."""
    from .. import linalg

    if isinstance(dim, bool):  # nuclear_norm(input, keepdim)
        dim, keepdim = None, dim
    _warn_once("nuclear_norm", "at::nuclear_norm is deprecated and it is just left for JIT compatibility. "
               "It will be removed in a future PyTorch release. Please use `linalg.matrix_norm(A, 'nuc', "
               "dim, keepdim)` instead")
    return linalg.matrix_norm(input, "nuc", (-2, -1) if dim is None else tuple(dim), keepdim, dtype=dtype)


def frobenius_norm(input: Tensor, dim, keepdim: bool = False) -> Tensor:
    """``sqrt(sum x^2)`` over ``dim`` (at most two dims; empty: all), as ``linalg.vector_norm(x, 2)``."""
    from .. import linalg

    dim = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dim) > 2:
        raise RuntimeError(f"Expected at most 2 dimensions, but got {len(dim)} dimensions instead.")
    _warn_once("frobenius_norm", "at::frobenius_norm is deprecated and it is just left for JIT "
               "compatibility. It will be removed in a future PyTorch release. Please use "
               "`linalg.vector_norm(A, 2., dim, keepdim)` instead")
    return linalg.vector_norm(input, 2, dim if dim else None, keepdim)


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of each slice of ``v`` along ``dim`` (over all other dims), shaped to
    broadcast against ``v`` (size 1 except at ``dim``); ``dim=-1``: the norm of all of ``v``
    (weight normalisation's ``||v||``)."""
    from .. import linalg

    if dim == -1:
        return linalg.vector_norm(v, pow)
    d = norm_dim(dim, v.ndim)
    others = tuple(i for i in range(v.ndim) if i != d)
    return linalg.vector_norm(v, pow, others, keepdim=True) if others else v.abs()


def native_norm(input: Tensor, p=2, dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """``(sum |x|^p)^(1/p)`` over ``dim`` (all dims when None).  torch ships this kernel for
    sparse tensors only; danlu computes it for dense ones."""
    from .. import linalg

    return linalg.vector_norm(input, 2 if p is None else p, dim, keepdim, dtype=dtype)


def _float_check(t: Tensor, what: str) -> None:
    if not t.dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                 "bool": "Bool"}
        raise ValueError(f"binomial only supports floating-point dtypes for {what}, got: "
                         f"{names.get(t.dtype.name, t.dtype.name)}")


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Draw ``Binomial(count, prob)`` elementwise (broadcast); ``count`` is floored and clipped at
    0, ``prob`` clipped to [0, 1], as torch's kernel; the result has ``count``'s dtype."""
    from .._random import _rng
    from .shape import broadcast_tensors

    _float_check(count, "count")
    _float_check(prob, "prob")
    if prob.dtype is not count.dtype:
        raise RuntimeError(f"Found dtype {_tname(prob.dtype)} but expected {_tname(count.dtype)}")
    c, p = broadcast_tensors(count.detach(), prob.detach())
    n = B.to_numpy(c._data)
    q = B.to_numpy(p._data)
    xp = B.xp_of(n)
    n = xp.maximum(xp.floor(n), 0).astype("int64")
    q = xp.clip(q, 0.0, 1.0)
    draw = _rng(generator).binomial(n, q).astype(count._data.dtype)
    return Tensor._make(B.move(draw, count.device), None)


def _tname(dt) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half"}.get(dt.name, dt.name)


def nonzero_static(input: Tensor, *, size: int, fill_value: int = -1) -> Tensor:
    """``nonzero(input)`` with exactly ``size`` rows: truncated, or padded with ``fill_value``."""
    from .. import _creation as C
    from .indexing import nonzero
    from .shape import cat

    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    if input.ndim == 0:  # no coordinates to give: ``size`` empty rows
        return C.zeros((size, 0), dtype=D.int64, device=input.device)
    nz = nonzero(input)
    k = nz.shape[0]
    if k >= size:
        return nz[:size]
    pad = C.full((size - k, input.ndim), fill_value, dtype=D.int64, device=input.device)
    return cat([nz, pad], 0)


# -- function spellings of methods -------------------------------------------------------------
def addmv_(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """In place: ``input = beta input + alpha (mat @ vec)``."""
    return input.addmv_(mat, vec, beta=beta, alpha=alpha)


def index_put_(input: Tensor, indices, values: Tensor, accumulate: bool = False) -> Tensor:
    """In place: ``input[indices] = values`` (``+=`` with ``accumulate``)."""
    return input.index_put_(indices, values, accumulate)


def detach(input: Tensor) -> Tensor:
    """A new tensor sharing ``input``'s memory, outside the graph."""
    return input.detach()


def detach_(input: Tensor) -> Tensor:
    """Take ``input`` out of the graph in place."""
    return input.detach_()


# -- removed in torch 2.x: torch's errors ------------------------------------------------------
_GONE = "This function was deprecated since version 1.9 and is now removed."


def solve(*args, **kwargs):
    """Removed from torch: raises torch's RuntimeError (use ``linalg.solve(A, B)``)."""
    raise RuntimeError(
        _GONE + " `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its "
        "arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see "
        "`torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, "
        "A).solution should be replaced with:\nX = torch.linalg.solve(A, B)")


def eig(*args, **kwargs):
    """Removed from torch: raises torch's RuntimeError (use ``linalg.eig``)."""
    raise RuntimeError(
        _GONE + " `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real "
        "tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = "
        "torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced with:\n"
        "L_complex, V_complex = torch.linalg.eig(A)")


def symeig(*args, **kwargs):
    """Removed from torch: raises torch's RuntimeError (use ``linalg.eigh``)."""
    raise RuntimeError(
        _GONE + " The default behavior has changed from using the upper triangular portion of the matrix by "
        "default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be "
        "replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = "
        "torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' "
        "if upper else 'L')")


def lstsq(*args, **kwargs):
    """Removed from torch: raises torch's RuntimeError (use ``linalg.lstsq(A, B)``)."""
    raise RuntimeError(
        _GONE + " `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
        "reversed arguments and does not return the QR decomposition in the returned tuple (although it "
        "returns other information about the problem).\n\nTo get the QR decomposition consider using "
        "`torch.linalg.qr`.\n\nThe returned solution in `torch.lstsq` stored the residuals of the solution "
        "in the last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, the "
        "residuals are in the field 'residuals' of the returned named tuple.\n\nThe unpacking of the "
        "solution, as in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = "
        "torch.linalg.lstsq(A, B).solution")


def matrix_rank(*args, **kwargs):
    """Removed from torch: raises torch's RuntimeError (use ``linalg.matrix_rank``)."""
    raise RuntimeError(
        _GONE + "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was "
        "renamed in `torch.linalg.matrix_rank()` to 'hermitian'.")


