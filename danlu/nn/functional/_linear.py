"""nn.functional: linear, bilinear, identity-free helpers (embedding, embedding_bag, one_hot)."""
from __future__ import annotations

from ... import _dtype as D
from ..._backend import xp_of
from ..._tensor import Tensor
from ..._ops import _util as U
from ..._ops.blas import _VecMat
from ..._ops.shape import Reshape
from ...autograd.function import Op
from ...autograd.grad_mode import no_grad
from ...amp import _state as _amp

__all__ = ["linear", "bilinear", "embedding", "embedding_bag", "one_hot"]


def _tname(dt) -> str:
    from ..._tensor import _tn

    return _tn(dt)


class Linear(Op):
    """``y = x W^T + b`` with ``x`` of shape (*, in), ``W`` (out, in), ``b`` (out,).

    Leading dims are flattened into one GEMM.  Backward: ``gx = g W``, ``gW = g^T x``,
    ``gb = sum(g)`` over the leading dims (Tensor ops, so double backward works).
    """

    _save_in = (0, 1)

    @staticmethod
    def forward(ctx, x, w, b=None):
        # torch: addmm / mm for a matrix input, else a GEMM over the flattened rows viewed back
        ctx._tname = ("AddmmBackward0" if b is not None else "MmBackward0") if x.ndim == 2 else \
            ("ViewBackward0" if b is not None else "UnsafeViewBackward0")
        lead = x.shape[:-1]
        x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = U.gemm_acc(x2, w.T)  # float16: product and bias in float32, one rounding
        if b is not None:
            out += b
        out = out.astype(x.dtype, copy=False)
        return out.reshape(lead + (w.shape[0],)) if x.ndim != 2 else out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx.needs_input_grad
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = gw = gb = None
        if n[0]:
            gx = g @ w
        if n[1]:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.mT @ x2
        if len(n) > 2 and n[2]:
            gb = g2.sum(0)
        return (gx, gw, gb) if len(n) > 2 else (gx, gw)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` (torch.nn.functional.linear)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    input, weight, bias = _amp.lower(input, weight, bias)
    if weight.ndim != 2 or input.ndim == 0:
        from ..._ops.blas import matmul

        out = matmul(input, weight.t() if weight.ndim == 2 else weight)
        return out + bias if bias is not None else out
    in_f = input.shape[-1] if input.ndim else 1
    if in_f != weight.shape[1]:
        rows = 1
        for s in input.shape[:-1]:
            rows *= s
        if input.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({weight.shape[1]}), mat "
                               f"({weight.shape[0]}x{weight.shape[1]}), vec ({in_f})")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{in_f} and "
                           f"{weight.shape[1]}x{weight.shape[0]})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{_tname(input.dtype).lower()} != {_tname(weight.dtype).lower()}")
    if input.ndim == 1:
        out = Linear.apply(input.unsqueeze(0), weight, bias) if bias is not None and bias.ndim == 1 \
            else Linear.apply(input.unsqueeze(0), weight)
        # torch names the final squeeze a view (with bias) or an in-place squeeze (without)
        out = (Reshape if bias is not None else _VecMat).apply(out, shape=out.shape[1:])
        if bias is not None and bias.ndim != 1:
            out = out + bias
        return out
    if bias is None:
        return Linear.apply(input, weight)
    if bias.ndim == 1 and bias.shape[0] == weight.shape[0] and bias.dtype == input.dtype:
        return Linear.apply(input, weight, bias)
    return Linear.apply(input, weight) + bias


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y_o = x1^T W_o x2 + b_o`` with ``W`` of shape (out, in1, in2)."""
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError("bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-dimensional, but got {weight.ndim}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract with x2 over in2
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(lead + (out_f,))


class Embedding(Op):
    """Row lookup ``weight[idx]``; backward scatters ``g`` into the used rows (duplicates add),
    skipping ``padding_idx`` and optionally dividing by each index's batch frequency."""

    @staticmethod
    def forward(ctx, w, idx, padding_idx, scale):
        ctx.idx, ctx.shape, ctx.pad, ctx.scale = idx, w.shape, padding_idx, scale
        return w[idx]

    @staticmethod
    def backward(ctx, g):
        from ..._ops.indexing import IndexScatter

        idx = ctx.idx
        xp = xp_of(idx)
        factor = None
        if ctx.pad is not None:
            factor = (idx != ctx.pad).astype(g._data.dtype)
        if ctx.scale:
            _, inv, counts = xp.unique(idx.reshape(-1), return_inverse=True, return_counts=True)
            f = (1.0 / counts[inv.reshape(-1)]).reshape(idx.shape).astype(g._data.dtype)
            factor = f if factor is None else factor * f
        if factor is not None:
            g = g * Tensor._make(factor[..., None])
        return IndexScatter.apply(g, key=(idx,), shape=ctx.shape), None


def _renorm_rows_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """In place, under no_grad: rows of ``weight`` used by ``idx`` whose ``norm_type``-norm
    exceeds ``max_norm`` are scaled to norm ``max_norm`` (torch's embedding_renorm_)."""
    xp = xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    sub = w[rows]
    norms = xp.linalg.norm(sub, ord=norm_type, axis=1) if norm_type != 2 else \
        xp.sqrt((sub * sub).sum(1))
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sub[over] * scale[:, None]
        weight._vc[0] += 1


def _check_index(input: Tensor, num: int, fn: str = "embedding") -> None:
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got torch.{_tname(input.dtype)}Tensor "
                           f"instead (while checking arguments for {fn})")
    if input.numel():
        a = input._data
        if int(a.max()) >= num or int(a.min()) < 0:
            raise IndexError("index out of range in self")


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, dim) at integer ``input`` of any shape;
    the output has shape ``input.shape + (dim,)``."""
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= num:
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -num:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = num + padding_idx
    _check_index(input, num)
    if max_norm is not None:
        with no_grad():
            _renorm_rows_(weight, input._data, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=padding_idx, scale=bool(scale_grad_by_freq))


def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2, scale_grad_by_freq: bool = False,
                  mode: str = "mean", sparse: bool = False, per_sample_weights: Tensor | None = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sum / mean / max of the embeddings of each bag.  ``input`` is 2-D (B, N: one bag per row)
    or 1-D with ``offsets`` marking where each bag starts."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' (got "
                                  f"mode='{mode}'). Please open a feature request on GitHub.")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is "
                             "a mini-batch of fixed length sequences. However, found offsets of "
                             f"type {type(offsets)}")
        b, n = input.shape
        bounds = [(i * n, (i + 1) * n) for i in range(b)]
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = [int(o) for o in offsets.tolist()]
        total = input.shape[0]
        ends = starts[1:] + [total]
        if include_last_offset:
            starts, ends = starts[:-1], starts[1:]
        bounds = list(zip(starts, ends))
        flat = input
        psw = per_sample_weights
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    emb = embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    if psw is not None:
        emb = emb * psw.unsqueeze(-1)
    from ..._ops.shape import stack

    keep = None
    if padding_idx is not None:
        pi = padding_idx if padding_idx >= 0 else weight.shape[0] + padding_idx
        keep = flat._data != pi
    rows = []
    for s, e in bounds:
        if keep is not None:
            sel = [i for i in range(s, e) if keep[i]]
            part = emb[Tensor._make(xp_of(flat._data).asarray(sel, dtype="int64"))] if sel else None
        else:
            part = emb[s:e] if e > s else None
        if part is None:
            rows.append(weight.new_zeros(weight.shape[1]))
        elif mode == "sum":
            rows.append(part.sum(0))
        elif mode == "mean":
            rows.append(part.mean(0))
        else:
            rows.append(part.amax(0))
    if not rows:
        return weight.new_zeros((0, weight.shape[1]))
    return stack(rows)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape ``tensor.shape + (num_classes,)`` with a 1 at each index
    (``num_classes=-1``: one more than the largest index)."""
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    xp = xp_of(a)
    if a.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return Tensor._make(xp.zeros(a.shape + (num_classes,), dtype=xp.int64))
    if int(a.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(out)
