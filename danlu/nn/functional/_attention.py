"""nn.functional: scaled dot-product attention and the multi-head attention forward.

``scaled_dot_product_attention(q, k, v) = softmax(q k^T * scale + mask) v`` with
``scale = 1/sqrt(E)``.  Mask conventions differ, as in torch: for SDPA a boolean ``attn_mask``
marks the positions that TAKE PART; for ``multi_head_attention_forward`` (nn.MultiheadAttention)
a boolean mask (``attn_mask`` or ``key_padding_mask``) marks the positions to IGNORE.
"""
from __future__ import annotations

import math

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _neg_inf_where(mask, like):
    """Float mask: 0 where allowed, -inf where ``mask`` (bool) is True."""
    from ... import zeros

    z = zeros(mask.shape, dtype=like.dtype, device=like.device)
    return z.masked_fill(mask, float("-inf"))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale=None, enable_gqa: bool = False):
    """``softmax(Q K^T * scale + bias) V`` over (..., L, E), (..., S, E), (..., S, Ev).

    ``attn_mask``: bool (True = attend) or float (added); ``is_causal``: lower-triangular mask."""
    from ...amp import _state as _amp
    from ._dropout import dropout

    query, key, value, attn_mask = _amp.lower(query, key, value, attn_mask)
    L, S = query.shape[-2], key.shape[-2]
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when "
                           "is_causal=True")
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, dim=-3)
        value = value.repeat_interleave(rep, dim=-3)
    s = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    attn = query.matmul(key.transpose(-2, -1)) * s
    if is_causal:
        keep = _causal(L, S, query)
        attn = attn + _neg_inf_where(~keep, attn)
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            attn = attn + _neg_inf_where(~attn_mask, attn)
        else:
            attn = attn + attn_mask
    attn = attn.softmax(-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return attn.matmul(value)


def _causal(L, S, like):
    from ... import ones

    return ones((L, S), dtype=like.dtype, device=like.device).tril().bool()


def _canonical_mask(mask, name, target):
    """Bool masks -> float (-inf where True); float masks pass through (torch's rule for MHA)."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        return _neg_inf_where(mask, target)
    if not mask.dtype.is_floating_point:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight,
                                 in_proj_bias, bias_k, bias_v, add_zero_attn: bool, dropout_p: float,
                                 out_proj_weight, out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None, use_separate_proj_weight: bool = False,
                                 q_proj_weight=None, k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True, is_causal: bool = False):
    """torch's multi-head attention on (L, N, E) inputs (or unbatched (L, E)); returns
    ``(attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, or (N, H, L, S), or None)``."""
    from ... import cat, zeros
    from ._dropout import dropout
    from ._linear import linear

    batched = query.dim() == 3
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer "
                           "module method `generate_square_subsequent_mask` to create this mask.")
    # input projections
    if not use_separate_proj_weight:
        w_q, w_k, w_v = in_proj_weight.chunk(3, 0)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3, 0)
    q = linear(query, w_q, b_q)
    k = linear(key, w_k, b_k)
    v = linear(value, w_v, b_v)
    attn_mask = _canonical_mask(attn_mask, "attn_mask", q)
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", q)
    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")
    if bias_k is not None and bias_v is not None:
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = cat([attn_mask, zeros(attn_mask.shape[:-1] + (1,), dtype=attn_mask.dtype)], -1)
        if key_padding_mask is not None:
            key_padding_mask = cat([key_padding_mask,
                                    zeros(key_padding_mask.shape[:-1] + (1,), dtype=key_padding_mask.dtype)], -1)
    # (L, N, E) -> (N*H, L, hd)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = (static_k if static_k is not None else k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    v = (static_v if static_v is not None else v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1))
    if add_zero_attn:
        zshape = (bsz * num_heads, 1, head_dim)
        k = cat([k, zeros(zshape, dtype=k.dtype, device=k.device)], 1)
        v = cat([v, zeros(zshape, dtype=v.dtype, device=v.device)], 1)
        if attn_mask is not None:
            attn_mask = cat([attn_mask, zeros(attn_mask.shape[:-1] + (1,), dtype=attn_mask.dtype)], -1)
        if key_padding_mask is not None:
            key_padding_mask = cat([key_padding_mask,
                                    zeros(key_padding_mask.shape[:-1] + (1,), dtype=key_padding_mask.dtype)], -1)
    src_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, src_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, src_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    attn = (q * (1.0 / math.sqrt(head_dim))).matmul(k.transpose(-2, -1))
    if attn_mask is not None:
        attn = attn + attn_mask
    attn = attn.softmax(-1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    out = attn.matmul(v)  # (N*H, L, hd)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    weights = None
    if need_weights:
        weights = attn.reshape(bsz, num_heads, tgt_len, src_len)
        if average_attn_weights:
            weights = weights.mean(dim=1)
        if not batched:
            weights = weights.squeeze(0)
    if not batched:
        out = out.squeeze(1)
    return out, weights
