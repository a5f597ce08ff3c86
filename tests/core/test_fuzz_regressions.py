"""Regressions found by differential fuzzing against torch: each case runs in danlu and torch on
the same inputs and must agree in result (dtype, shape, values; gradients where the case says
so) or in the exception raised (type and first line of the message)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close

NAN = math.nan


def _t(lib, v, dt="float64", grad=False):
    x = lib.tensor(v, dtype=getattr(lib, dt))
    return x.requires_grad_(True) if grad else x


def _run(lib, fn):
    try:
        return "ok", fn(lib)
    except Exception as e:  # noqa: BLE001 - the exception is the result being compared
        return "err", (type(e).__name__, str(e).strip().split("\n")[0])


def _same(fn):
    kt, rt = _run(torch, fn)
    kd, rd = _run(danlu, fn)
    assert kd == kt, (rd, rt)
    if kt == "err":
        assert rd == rt
    else:
        assert_close(rd, rt)
    return rd, rt


# ---------------------------------------------------------------------------------------------
# values, dtypes and errors
# ---------------------------------------------------------------------------------------------
CASES = {
    # 0-d inputs along dim 0 / -1
    "median_0d": lambda l: tuple(l.median(_t(l, 2.5), -1, keepdim=True)),
    "mode_0d": lambda l: tuple(l.mode(_t(l, 2.5), 0, True)),
    "cummin_0d": lambda l: tuple(l.cummin(_t(l, 2.5), -1)),
    "cummax_0d": lambda l: tuple(l.cummax(_t(l, 1, "int64"), 0)),
    "flip_0d": lambda l: l.flip(_t(l, 2.5), (0,)),
    "movedim_0d": lambda l: l.movedim(_t(l, 2.5), 0, -1),
    "nanquantile_0d": lambda l: l.nanquantile(_t(l, 2.5), 0.5, dim=0, keepdim=True),
    # empty inputs
    "median_empty": lambda l: l.median(l.zeros(0, dtype=l.float64)),
    "median_empty_dim": lambda l: l.median(l.zeros(0, 3), 0),
    "mode_empty_dim": lambda l: l.mode(l.zeros(0, 2), 0),
    "quantile_empty": lambda l: l.quantile(l.zeros(0, dtype=l.int64), 0.5),
    "quantile_int": lambda l: l.quantile(_t(l, [1, 2], "int64"), 0.5),
    "quantile_q_dtype": lambda l: l.quantile(_t(l, [1.0, 2.0], "float32"), _t(l, 0.5)),
    # integer / bool activations
    "threshold_long": lambda l: l.nn.functional.threshold(_t(l, [-3, 0, 1, 2], "int64"), 0.1, 20),
    "threshold_uint8": lambda l: l.nn.functional.threshold(_t(l, [0, 1, 5], "uint8"), 1, 7),
    "threshold_bool": lambda l: l.nn.functional.threshold(_t(l, [True], "bool"), 0.5, 1),
    "hardtanh_int32": lambda l: l.nn.functional.hardtanh(_t(l, [-3, 0, 1, 2], "int32"), -1.5, 0.5),
    "relu6_uint8": lambda l: l.nn.functional.relu6(_t(l, [0, 3, 9], "uint8")),
    "hardtanh_uint8_neg": lambda l: l.nn.functional.hardtanh(_t(l, [1], "uint8")),
    "hardtanh_bool": lambda l: l.nn.functional.hardtanh(_t(l, [True], "bool")),
    "relu_bool": lambda l: l.nn.functional.relu(_t(l, [True], "bool")),
    "softsign_bool": lambda l: l.nn.functional.softsign(_t(l, [True], "bool")),
    "abs_bool": lambda l: l.abs(_t(l, [True], "bool")),
    "elu_long": lambda l: l.nn.functional.elu(_t(l, [1], "int64")),
    "leaky_relu_long": lambda l: l.nn.functional.leaky_relu(_t(l, [1], "int64")),
    "logsigmoid_int": lambda l: l.nn.functional.logsigmoid(_t(l, [1], "int32")),
    "softshrink_long": lambda l: l.nn.functional.softshrink(_t(l, [1], "int64")),
    "rrelu_long": lambda l: l.nn.functional.rrelu(_t(l, [1], "int64")),
    # NaN passes through the piecewise activations
    "threshold_nan": lambda l: l.nn.functional.threshold(_t(l, [NAN, 0.0, 1.0]), 0.5, 2.0),
    "hardshrink_nan": lambda l: l.nn.functional.hardshrink(_t(l, [NAN, 0.2, 1.0])),
    "softshrink_nan": lambda l: l.nn.functional.softshrink(_t(l, [NAN, 0.2, 1.0])),
    "hardtanh_nan": lambda l: l.nn.functional.hardtanh(_t(l, [NAN, 0.2, 3.0])),
    # torch's NotImplementedError for a missing dtype kernel
    "gcd_float": lambda l: l.gcd(_t(l, [1.0]), _t(l, [2.0])),
    "lshift_float": lambda l: l.bitwise_left_shift(_t(l, [1.0]), _t(l, [2.0])),
    "bitwise_and_float_scalar": lambda l: l.bitwise_and(_t(l, [1], "int64"), 2.5),
    "bitwise_xor_half": lambda l: l.bitwise_xor(_t(l, [1.0], "float16"), _t(l, [1], "int64")),
    "bitwise_not_float": lambda l: l.bitwise_not(_t(l, [1.0], "float32")),
    "igamma_int": lambda l: l.igamma(_t(l, [1], "int32"), _t(l, [2], "int32")),
    # clamp's result type and integer wrap-around of Python scalars
    "clamp_bool_int": lambda l: l.clamp(_t(l, [True, False], "bool"), -1, 1),
    "clamp_bool_bool": lambda l: l.clamp(_t(l, [True, False], "bool"), True),
    "clamp_uint8_neg": lambda l: l.clamp(_t(l, [1, 2], "uint8"), None, -1),
    "where_uint8_neg": lambda l: l.where(_t(l, [True, False], "bool"), _t(l, [1, 2], "uint8"), -1),
    "add_uint8_wrap": lambda l: _t(l, [1, 2], "uint8") + 300,
    "mul_int8_wrap": lambda l: _t(l, [1, 2], "int8") * -200,
    # integer alpha / beta / value
    "addmm_int_coefs": lambda l: l.addmm(*[_t(l, [[1, 2], [3, 4]], "int64")] * 3, beta=-0.5, alpha=2.7),
    "addmv_int_coefs": lambda l: l.addmv(_t(l, [1, 2], "int64"), _t(l, [[1, 2], [3, 4]], "int64"),
                                         _t(l, [3, 4], "int64"), beta=0.5, alpha=1.5),
    "baddbmm_int_coefs": lambda l: l.baddbmm(*[_t(l, [[[1, 2], [3, 4]]], "int64")] * 3, beta=1.5),
    "addcmul_int_value": lambda l: l.addcmul(*[_t(l, [1, 2], "int32")] * 3, value=-1.5),
    "addcmul_bool": lambda l: l.addcmul(*[_t(l, [True], "bool")] * 3, value=True),
    "addcdiv_int": lambda l: l.addcdiv(_t(l, [1.0]), _t(l, [1], "int64"), _t(l, [2], "int64")),
    "addr_int_float_beta": lambda l: l.addr(_t(l, [[1]], "int64"), _t(l, [1], "int64"),
                                            _t(l, [1], "int64"), beta=0.5),
    "add_int_float_alpha": lambda l: l.add(_t(l, 2, "int64"), 3, alpha=2.0),
    "add_float_alpha_scalar": lambda l: l.add(_t(l, 2.0, "float32"), 3, alpha=0.5),
    "add_bool_alpha_int": lambda l: l.add(_t(l, [2], "int64"), _t(l, [3], "int64"), alpha=True),
    "sub_int_alpha": lambda l: l.sub(_t(l, [2], "int64"), 3, alpha=2),
    # an explicit small integer dtype is kept (NumPy would widen to int64)
    "prod_dtype_int32": lambda l: l.prod(_t(l, [1, 2, 3], "int32"), 0, dtype=l.int32),
    "sum_dtype_int16": lambda l: l.sum(_t(l, [1, 2, 3], "int32"), dtype=l.int16),
    "sum_dtype_uint8_wrap": lambda l: l.sum(_t(l, [200, 100], "uint8"), dtype=l.uint8),
    "cumsum_dtype_int32": lambda l: l.cumsum(_t(l, [1, 2, 3], "int32"), 0, dtype=l.int32),
    "cumprod_dtype_int32": lambda l: l.cumprod(_t(l, [1, 2, 3], "int64"), 0, dtype=l.int32),
    "cumsum_bool": lambda l: l.cumsum(_t(l, [True, True], "bool"), 0),
    "combinations_r0": lambda l: l.combinations(_t(l, [1, 2], "int64"), 0),
    # broadcasting / promotion / empty inputs
    "cosine_similarity_bcast": lambda l: l.nn.functional.cosine_similarity(
        _t(l, [[1.0, 2.0], [3.0, -1.0]]), _t(l, [2.0, 1.0], "float32")),
    "cosine_similarity_bcast_dim0": lambda l: l.nn.functional.cosine_similarity(
        _t(l, [[1.0, 2.0], [3.0, -1.0]]), _t(l, [2.0, 1.0]), dim=0),
    "cosine_similarity_int_float": lambda l: l.nn.functional.cosine_similarity(
        _t(l, [[1, 2]], "int64"), _t(l, [2.0, 1.0], "float32")),
    "cosine_similarity_int": lambda l: l.nn.functional.cosine_similarity(
        _t(l, [[1, 2]], "int64"), _t(l, [2, 1], "int64")),
    "cosine_similarity_mismatch": lambda l: l.nn.functional.cosine_similarity(l.ones(2, 3), l.ones(4)),
    "cosine_similarity_empty": lambda l: l.nn.functional.cosine_similarity(l.ones(0, 0), l.ones(0)),
    "instance_norm_empty_spatial": lambda l: l.nn.functional.instance_norm(l.ones(2, 2, 0, 1)),
    "instance_norm_empty_running": lambda l: (lambda m, v: (
        l.nn.functional.instance_norm(l.ones(2, 2, 0), m, v), m, v))(l.zeros(2), l.ones(2)),
    "instance_norm_2d_eval": lambda l: l.nn.functional.instance_norm(
        _t(l, [[1.0, 2.0]]), l.zeros(2), l.ones(2), use_input_stats=False),
    "instance_norm_1d_eval": lambda l: l.nn.functional.instance_norm(
        l.ones(2), l.zeros(2), l.ones(2), use_input_stats=False),
    "size_0d": lambda l: l.ones(()).size(-1),
    "scatter_amin_int_empty": lambda l: l.scatter_reduce(
        _t(l, [1, 2, 3], "int64"), 0, _t(l, [], "int64"), _t(l, [], "int64"), "amin", include_self=False),
    "scatter_amax_int": lambda l: l.scatter_reduce(
        _t(l, [1, 2, 3], "int64"), 0, _t(l, [0, 0], "int64"), _t(l, [5, -7], "int64"), "amax",
        include_self=False),
    "scatter_amin_uint8": lambda l: l.scatter_reduce(
        _t(l, [1, 2, 3], "uint8"), 0, _t(l, [0, 0], "int64"), _t(l, [5, 7], "uint8"), "amin",
        include_self=False),
    "scatter_amax_bool": lambda l: l.scatter_reduce(
        _t(l, [True, False], "bool"), 0, _t(l, [0, 0], "int64"), _t(l, [False, False], "bool"), "amax",
        include_self=False),
    "index_reduce_amax_int": lambda l: l.index_reduce(
        _t(l, [1, 2, 3], "int64"), 0, _t(l, [1, 1], "int64"), _t(l, [-4, -5], "int64"), "amax",
        include_self=False),
    "cumulative_trapezoid_empty_int": lambda l: l.cumulative_trapezoid(l.zeros(0, 2, dtype=l.int64), dim=0),
    "cumulative_trapezoid_empty_x": lambda l: l.cumulative_trapezoid(l.zeros(0, dtype=l.float64), l.zeros(0)),
    "cumulative_trapezoid_bool": lambda l: l.cumulative_trapezoid(_t(l, [True, False], "bool")),
    "trapezoid_empty_int32": lambda l: l.trapezoid(l.zeros(2, 0, dtype=l.int32)),
    "trapezoid_bool_x": lambda l: l.trapezoid(l.zeros(3), l.zeros(3, dtype=l.bool)),
    "log_softmax_empty_int": lambda l: l.log_softmax(l.zeros(2, 0, dtype=l.int32), 0),
    "softmax_empty_uint8": lambda l: l.nn.functional.softmax(l.zeros(0, dtype=l.uint8), 0),
    "softmax_int_not_last": lambda l: l.nn.functional.softmax(l.ones(2, 1, dtype=l.int64), 0),
    "softmax_int_bad_dim": lambda l: l.nn.functional.softmax(l.ones(2, 0, dtype=l.int64), 5),
    "cross_entropy_int": lambda l: l.nn.functional.cross_entropy(
        l.ones(2, 3, 4, dtype=l.int64), l.zeros(2, 4, dtype=l.int64)),
    "cross_entropy_int_empty": lambda l: l.nn.functional.cross_entropy(
        l.ones(0, 3, dtype=l.int64), l.zeros(0, dtype=l.int64)),
    "cross_entropy_int_empty_probs": lambda l: l.nn.functional.cross_entropy(
        l.ones(0, 3, dtype=l.int64), l.zeros(0, 3)),
    "nll_loss_int": lambda l: l.nn.functional.nll_loss(l.ones(2, 3, dtype=l.int64), l.zeros(2, dtype=l.int64)),
    "matrix_power_int": lambda l: l.matrix_power(_t(l, [[3, 1], [2, 5]], "int64"), 3),
    "matrix_power_int32_wrap": lambda l: l.matrix_power(_t(l, [[3, 1], [2, 5]], "int32"), 30),
    "matrix_power_uint8_wrap": lambda l: l.linalg.matrix_power(_t(l, [[3, 1], [2, 5]], "uint8"), 5),
    "matrix_power_int_0": lambda l: l.matrix_power(_t(l, [[3, 1], [2, 5]], "int16"), 0),
    "matrix_power_bool_0": lambda l: l.matrix_power(_t(l, [[True, False], [True, True]], "bool"), 0),
    "matrix_power_bool_3": lambda l: l.matrix_power(_t(l, [[True, False], [True, True]], "bool"), 3),
    "matrix_power_int_neg": lambda l: l.matrix_power(_t(l, [[3, 1], [2, 5]], "int64"), -1),
    "matrix_power_int_nonsquare": lambda l: l.matrix_power(l.ones(2, 3, dtype=l.int64), 1),
    "matrix_power_half": lambda l: l.matrix_power(_t(l, [[3, 1], [2, 5]], "float16"), 2),
    "matmul_bool": lambda l: l.ones(2, 2, dtype=l.bool) @ l.ones(2, 2, dtype=l.bool),
    "matmul_bool_mv": lambda l: l.ones(3, 2, 2, dtype=l.bool) @ l.ones(2, dtype=l.bool),
    "matmul_bool_bmm": lambda l: l.ones(2, dtype=l.bool) @ l.ones(3, 2, 2, dtype=l.bool),
    "matmul_bool_dot_empty": lambda l: l.ones(0, dtype=l.bool) @ l.ones(0, dtype=l.bool),
    "matmul_bool_k0": lambda l: l.ones(2, 0, dtype=l.bool) @ l.ones(0, 2, dtype=l.bool),
    "matmul_bool_empty": lambda l: l.ones(3, 0, 2, dtype=l.bool) @ l.ones(3, 2, 2, dtype=l.bool),
    # floating-only reductions
    "std_int": lambda l: l.std(_t(l, [1, 2], "int64"), dim=5),
    "var_bool": lambda l: l.var(_t(l, [True, False], "bool"), 0),
    "std_mean_int": lambda l: l.std_mean(_t(l, [1, 2], "int64")),
    "var_mean_uint8": lambda l: l.var_mean(_t(l, [1, 2], "uint8"), 0),
    "nanmean_int": lambda l: l.nanmean(_t(l, [1, 2], "int32"), dim=4),
    "nanmean_dtype": lambda l: l.nanmean(_t(l, [1.0, NAN, 2.0], "float16"), 0, True, dtype=l.float32),
    "nanmean_int_dtype": lambda l: l.nanmean(_t(l, [1.0, 2.0], "float32"), dtype=l.int64),
    # all / any: uint8 in, uint8 out
    "all_uint8": lambda l: l.all(_t(l, [1, 2], "uint8")),
    "any_uint8_dim": lambda l: l.any(_t(l, [[0, 2], [0, 0]], "uint8"), 1, keepdim=True),
    "all_uint8_empty": lambda l: l.all(_t(l, [], "uint8")),
    "any_int8": lambda l: l.any(_t(l, [0, 2], "int8"), 0),
    # lerp: same dtypes, floating kernels only
    "lerp_end_dtype": lambda l: l.lerp(l.ones(2), l.ones(2, dtype=l.float64), 0.5),
    "lerp_end_0d_dtype": lambda l: l.lerp(l.ones(2), l.tensor(1.0, dtype=l.float64), 0.5),
    "lerp_weight_dtype": lambda l: l.lerp(l.ones(2), l.ones(2), l.ones(2, dtype=l.int64)),
    "lerp_bool_half": lambda l: l.lerp(l.ones(2, dtype=l.bool), l.ones(2, dtype=l.float16), 0.5),
    "lerp_int_scalar": lambda l: l.lerp(l.ones(2, dtype=l.int32), l.ones(2, dtype=l.int32), 0.5),
    "lerp_int_tensor": lambda l: l.lerp(*[l.ones(2, dtype=l.int8)] * 3),
    "lerp_int_0d_float": lambda l: l.lerp(l.ones(2, dtype=l.int64), l.ones(2, dtype=l.int64),
                                          l.tensor(0.5, dtype=l.float64)),
    "lerp_0d_weight_promotes": lambda l: l.lerp(l.ones(2), l.ones(2), l.tensor(0.5, dtype=l.float64)),
    # dtype checks of scatter / index_fill
    "scatter_add_dtype": lambda l: l.scatter_add(l.ones(3), 0, _t(l, [0, 1], "int64"), l.ones(2, dtype=l.float64)),
    "scatter_add_dtype_empty": lambda l: l.scatter_add(l.ones(3), 0, _t(l, [], "int64"),
                                                       l.ones(0, dtype=l.float64)),
    "scatter_reduce_dtype": lambda l: l.scatter_reduce(l.ones(3), 0, _t(l, [0, 1], "int64"),
                                                       l.ones(2, dtype=l.float64), "amax"),
    "index_fill_int32_index": lambda l: l.index_fill(l.ones(3), 0, _t(l, [0], "int32"), 2.0),
    # no bool / integer kernels
    "argmax_bool": lambda l: l.argmax(l.ones(2, 2, dtype=l.bool), 1),
    "argmin_bool": lambda l: l.argmin(l.ones(3, dtype=l.bool)),
    "trace_bool": lambda l: l.trace(l.ones(2, 2, dtype=l.bool)),
    "trunc_bool": lambda l: l.trunc(l.ones(2, dtype=l.bool)),
    "floor_bool_0d": lambda l: l.floor(l.ones((), dtype=l.bool)),
    "round_bool": lambda l: l.round(l.ones(2, dtype=l.bool)),
    "round_int": lambda l: l.round(_t(l, [1, 2], "int64")),
    "round_int_decimals0": lambda l: l.round(_t(l, [1, 2], "int64"), decimals=0),
    "round_int_decimals1": lambda l: l.round(_t(l, [1, 2], "int32"), decimals=1),
    "round_decimals": lambda l: l.round(_t(l, [1.25, 2.5, -0.35]), decimals=1),
    "special_round_int": lambda l: l.special.round(_t(l, [1, 2], "int32")),
    "frac_int": lambda l: l.frac(_t(l, [1, 2], "int64")),
    # filling values must fit the dtype (c10's checked conversion)
    "masked_fill_uint8_over": lambda l: l.masked_fill(l.ones(3, dtype=l.uint8), l.ones(3, dtype=l.bool), 300),
    "masked_fill_uint8_wrap": lambda l: l.masked_fill(l.ones(3, dtype=l.uint8), l.ones(3, dtype=l.bool), -255),
    "masked_fill_uint8_under": lambda l: l.masked_fill(l.ones(3, dtype=l.uint8), l.ones(3, dtype=l.bool), -256),
    "masked_fill_uint8_float": lambda l: l.masked_fill(l.ones(3, dtype=l.uint8), l.ones(3, dtype=l.bool), -1.5),
    "masked_fill_int8_over": lambda l: l.masked_fill(l.ones(3, dtype=l.int8), l.ones(3, dtype=l.bool), 128),
    "masked_fill_int32_over": lambda l: l.masked_fill(l.ones(3, dtype=l.int32), l.ones(3, dtype=l.bool), 2**40),
    "masked_fill_half_over": lambda l: l.masked_fill(l.ones(3, dtype=l.float16), l.ones(3, dtype=l.bool), 1e6),
    "masked_fill_half_inf": lambda l: l.masked_fill(l.ones(3, dtype=l.float16), l.ones(3, dtype=l.bool),
                                                    float("inf")),
    "masked_fill_long_nan": lambda l: l.masked_fill(l.ones(3, dtype=l.int64), l.ones(3, dtype=l.bool), NAN),
    "masked_fill_long_trunc": lambda l: l.masked_fill(l.ones(3, dtype=l.int64), l.ones(3, dtype=l.bool), -2.7),
    "masked_fill_tensor_over": lambda l: l.masked_fill(l.ones(3, dtype=l.uint8), l.ones(3, dtype=l.bool),
                                                       l.tensor(300)),
    "masked_fill_tensor_f64": lambda l: l.masked_fill(l.ones(3), l.ones(3, dtype=l.bool),
                                                      l.tensor(1e300, dtype=l.float64)),
    "fill_uint8_over": lambda l: l.ones(3, dtype=l.uint8).fill_(300),
    "fill_uint8_wrap": lambda l: l.ones(3, dtype=l.uint8).fill_(-1),
    "index_fill_over": lambda l: l.index_fill(l.ones(3, dtype=l.uint8), 0, _t(l, [0], "int64"), 300),
    "scatter_value_over": lambda l: l.scatter(l.ones(3, dtype=l.uint8), 0, _t(l, [0], "int64"), 300),
    "full_uint8_over": lambda l: l.full((2,), 300, dtype=l.uint8),
    "full_long_float": lambda l: l.full((2,), 2.5, dtype=l.int64),
    "huber_loss_input_dtype": lambda l: l.nn.functional.huber_loss(
        _t(l, [1.0, 2.5], "float32"), _t(l, [0.3, 0.0]), reduction="none"),
    "heaviside_dtypes": lambda l: l.heaviside(l.ones(2), l.ones(2, dtype=l.float64)),
    "huber_loss_half_input": lambda l: l.nn.functional.huber_loss(_t(l, [1.0, 2.5], "float16"), _t(l, [0.3, 0.0])),
    # limits are truncated to the integer dtype before the unsigned check
    "hardtanh_uint8_trunc": lambda l: l.nn.functional.hardtanh(_t(l, [0, 1, 2, 200], "uint8"), -0.5, 1.0),
    "hardtanh_uint8_both_trunc": lambda l: l.nn.functional.hardtanh(_t(l, [0, 3], "uint8"), -0.9, -0.5),
    "hardtanh_uint8_neg_float": lambda l: l.nn.functional.hardtanh(_t(l, [0, 3], "uint8"), -1.5, 1.0),
    "sign_bool": lambda l: l.sign(_t(l, [True, False], "bool")),
    "sgn_bool_0d": lambda l: l.sgn(_t(l, False, "bool")),
    "kthvalue_0d": lambda l: tuple(l.kthvalue(_t(l, 3.0), 1, -1, True)),
    "cat_legacy_empty_promotes": lambda l: l.cat([l.ones(2, 2), l.zeros(0, dtype=l.float64)], 1),
    "cat_all_legacy_empty": lambda l: l.cat([l.zeros(0, dtype=l.int32), l.zeros(0)]),
    # index_add / index_copy: torch's argument checks and index range
    "index_add_empty_self": lambda l: l.index_add(l.zeros(4, 0, 4), 1, _t(l, [0, 0], "int64"), l.ones(4, 2, 4)),
    "index_add_empty_1d": lambda l: l.index_add(l.zeros(0), 0, _t(l, [0], "int64"), l.ones(1)),
    "index_add_neg": lambda l: l.index_add(l.zeros(3), 0, _t(l, [-1], "int64"), l.ones(1)),
    "index_add_oob": lambda l: l.index_add(l.zeros(3), 0, _t(l, [3], "int64"), l.ones(1)),
    "index_add_count": lambda l: l.index_add(l.zeros(3), 0, _t(l, [0], "int64"), l.ones(2)),
    "index_add_dtype": lambda l: l.index_add(l.zeros(3), 0, _t(l, [0], "int64"), l.ones(1, dtype=l.float64)),
    "index_add_index_2d": lambda l: l.index_add(l.zeros(3), 0, _t(l, [[0]], "int64"), l.ones(1)),
    "index_add_index_float": lambda l: l.index_add(l.zeros(3), 0, _t(l, [0.0]), l.ones(1)),
    "index_add_shape": lambda l: l.index_add(l.zeros(3, 2), 0, _t(l, [0], "int64"), l.ones(1, 3)),
    "index_add_src_0d": lambda l: l.index_add(l.zeros(3), 0, _t(l, [1], "int64"), _t(l, 2.0, "float32")),
    "index_add_self_0d": lambda l: l.index_add(_t(l, 1.0), 0, _t(l, [0], "int64"), _t(l, 2.0), alpha=3),
    "index_add_src_dim": lambda l: l.index_add(l.zeros(4, 3), 1, _t(l, [0], "int64"), l.ones(4)),
    "index_copy_count": lambda l: l.index_copy(l.zeros(3), 0, _t(l, [0], "int64"), l.ones(2)),
    "index_copy_dtype": lambda l: l.index_copy(l.zeros(3), 0, _t(l, [0], "int64"), l.ones(1, dtype=l.float64)),
    "index_copy_neg": lambda l: l.index_copy(l.zeros(3), 0, _t(l, [-1], "int64"), l.ones(1)),
    "index_copy_int32": lambda l: l.index_copy(l.zeros(3), 0, _t(l, [0], "int32"), l.ones(1)),
    "index_copy_shape": lambda l: l.index_copy(l.zeros(3, 2, 4), 0, _t(l, [0], "int64"), l.ones(1, 3, 4)),
    "index_copy_ndim": lambda l: l.index_copy(l.zeros(3, 2, 4), 0, _t(l, [0], "int64"), l.ones(1, 3)),
    "index_copy_scalar_src": lambda l: l.index_copy(l.zeros(3), 0, _t(l, [0, 1], "int64"), _t(l, 1.0)),
    "index_copy_0d_index": lambda l: l.index_copy(_t(l, [1.0, 2.0]), 0, _t(l, 1, "int64"), _t(l, 3.0)),
    "sign_nan": lambda l: l.sign(_t(l, [NAN, -0.0, 2.0, -math.inf])),
    "sgn_nan_half": lambda l: l.sgn(_t(l, [NAN, -1.0], "float16")),
    # addcmul / addcdiv compute in the three operands' promoted dtype
    "addcmul_uint8_bool": lambda l: l.addcmul(_t(l, [1], "uint8"), _t(l, [False], "bool"), _t(l, [True], "bool")),
    "addcmul_bool_int32": lambda l: l.addcmul(_t(l, [True], "bool"), _t(l, [True], "bool"), _t(l, [-5], "int32")),
    "addcdiv_bool_uint8_half": lambda l: l.addcdiv(_t(l, [True], "bool"), _t(l, [3], "uint8"),
                                                   _t(l, [0.4128], "float16"), value=0.5),
    "addcdiv_long_half_f64": lambda l: l.addcdiv(_t(l, [1.0]), _t(l, [3], "int64"), _t(l, [0.3], "float16")),
    "cummax_nan": lambda l: tuple(l.cummax(_t(l, [[NAN, 0.17], [-1.6, NAN], [0.5, 0.2], [NAN, 3.0]]), 0)),
    "cummin_nan": lambda l: tuple(l.cummin(_t(l, [1.0, NAN, -1.0, NAN, -3.0], "float32"), 0)),
    # Tensor-only binary functions: a Python number is the argument parser's TypeError
    **{f"{n}_scalar_{i}": (lambda n, i: lambda l: getattr(l, n)(
        *((l.ones(2), 2.5) if i == 0 else (l.ones(2), True) if i == 1 else (3, l.ones(2)))))(n, i)
       for n in ("maximum", "minimum", "fmax", "fmin", "atan2", "arctan2", "logaddexp", "logaddexp2",
                 "logical_and", "logical_or", "logical_xor", "isclose", "allclose", "igamma", "igammac",
                 "gcd", "lcm", "dist", "ldexp", "hypot", "nextafter", "heaviside", "equal", "kron", "dot")
       for i in range(3)},
    "clamp_tensor_and_number": lambda l: l.clamp(l.ones(2), l.zeros(2), 0.5),
    "bool_and_int": lambda l: _t(l, [True, False], "bool") & 1,
    "bool_or_bool_scalar": lambda l: _t(l, [True, False], "bool") | False,
    "isclose_dtypes": lambda l: l.isclose(l.ones(2), l.ones(2, dtype=l.float64)),
    "allclose_dtypes": lambda l: l.allclose(l.ones(2, dtype=l.int32), l.ones(2, dtype=l.uint8)),
    "hypot_int": lambda l: l.hypot(_t(l, [3], "int64"), _t(l, [4], "int64")),
    "hypot_bool": lambda l: l.hypot(_t(l, [True], "bool"), _t(l, [True], "bool")),
    "hypot_int_float": lambda l: l.hypot(_t(l, [3], "int64"), _t(l, [4.0], "float32")),
    # missing dtype kernels
    "histc_int": lambda l: l.histc(_t(l, [1, 2, 3], "int32"), 3),
    "histc_bool": lambda l: l.histc(_t(l, [True], "bool"), 3),
    "histc_uint8_bound_overflow": lambda l: l.histc(_t(l, [1, 2], "uint8"), 3, min=-1, max=3),
    "histc_float_bound_overflow": lambda l: l.histc(_t(l, [1.0, 2.0], "float32"), 3, min=0, max=1e300),
    "logcumsumexp_long": lambda l: l.logcumsumexp(_t(l, [1, 2], "int64"), 0),
    "logcumsumexp_bool": lambda l: l.logcumsumexp(_t(l, [True], "bool"), 0),
    "pow_bool_bool": lambda l: l.pow(_t(l, [True], "bool"), _t(l, [True], "bool")),
    "pow_bool_int": lambda l: l.pow(_t(l, [True], "bool"), 2),
    "logaddexp_int": lambda l: l.logaddexp(_t(l, [1], "int32"), _t(l, [1], "int32")),
    "mvlgamma_bool": lambda l: l.mvlgamma(_t(l, [True], "bool"), 1),
    "glu_long": lambda l: l.nn.functional.glu(l.ones(2, dtype=l.int64)),
    "zeta_half": lambda l: l.special.zeta(l.ones(2, dtype=l.float16), l.ones(2, dtype=l.float16)),
    "median_bool": lambda l: l.median(l.ones(2, dtype=l.bool)),
    "median_bool_dim": lambda l: l.median(l.ones(2, dtype=l.bool), 0),
    "nanmedian_bool": lambda l: l.nanmedian(l.ones(2, dtype=l.bool)),
    "nanmedian_bool_dim": lambda l: l.nanmedian(l.ones(2, dtype=l.bool), 0),
    "div_trunc_bool": lambda l: l.div(l.ones(2, dtype=l.bool), l.ones(2, dtype=l.bool), rounding_mode="trunc"),
    "div_floor_bool": lambda l: l.div(l.ones(2, dtype=l.bool), l.ones(2, dtype=l.bool), rounding_mode="floor"),
    "remainder_bool": lambda l: l.remainder(l.ones(2, dtype=l.bool), l.ones(2, dtype=l.bool)),
    "fmod_bool": lambda l: l.fmod(l.ones(2, dtype=l.bool), l.ones(2, dtype=l.bool)),
    # where(): a Python number must fit the result dtype (float16 takes any float)
    "where_float_overflow": lambda l: l.where(_t(l, [True], "bool"), l.ones(1), 1e300),
    "where_half_large": lambda l: l.where(_t(l, [True], "bool"), l.ones(1, dtype=l.float16), 1e6),
    "where_int_overflow": lambda l: l.where(_t(l, [True], "bool"), l.ones(1, dtype=l.int32), 2 ** 40),
    "where_int8_overflow": lambda l: l.where(_t(l, [True], "bool"), l.ones(1, dtype=l.int8), 200),
    "where_int_float": lambda l: l.where(_t(l, [True], "bool"), l.ones(1, dtype=l.int32), 2.5e10),
    # argument checks
    "expand_no_sizes": lambda l: l.ones(2).expand(),
    "expand_size_kw": lambda l: l.ones(2).expand(size=(3, 2)),
    "rot90_1d": lambda l: l.rot90(l.ones(2)),
    "rot90_same_dims": lambda l: l.rot90(l.ones(2, 2), 1, (0, -2)),
    "rot90_one_dim": lambda l: l.rot90(l.ones(2, 2), 1, (0,)),
    # an integer-array index is index_put_: no dtype cast of the value
    "setitem_int_index_dtype": lambda l: _setitem(l, l.zeros(4, dtype=l.float64), _t(l, [0], "int64"),
                                                  _t(l, 1.0, "float32")),
    "setitem_list_index_dtype": lambda l: _setitem(l, l.zeros(4, dtype=l.int64), [0, 1], _t(l, 1, "int32")),
    "setitem_slice_int_dtype": lambda l: _setitem(l, l.zeros(4, 2), (slice(None), _t(l, [1], "int64")), _t(l, 2, "int64")),
    "setitem_mask_dtype": lambda l: _setitem(l, l.zeros(4), _t(l, [True, False, True, False], "bool"),
                                             _t(l, 2.0, "float64")),
    "setitem_int_dtype": lambda l: _setitem(l, l.zeros(4), 1, _t(l, 2.0, "float64")),
    "take_along_dim_int32": lambda l: l.take_along_dim(l.ones(3), _t(l, [0], "int32"), 0),
    "take_along_dim_int32_flat": lambda l: l.take_along_dim(l.ones(3), _t(l, [0], "int32")),
    # a 0-d tensor takes dim -1 / 0 only
    "amax_0d_dim5": lambda l: l.amax(_t(l, 1.0), 5),
    "sum_0d_dim5": lambda l: l.sum(_t(l, 1.0), 5, keepdim=True),
    "mean_0d_dim1": lambda l: l.mean(_t(l, 1.0), 1),
    "topk_0d_dim5": lambda l: l.topk(_t(l, 1.0), 0, 5),
    "sum_0d_dim_neg1": lambda l: l.sum(_t(l, 1.0), -1),
    # a float alpha with integer tensors, even 1.0
    "add_alpha_float_one_int": lambda l: l.add(l.ones(2, dtype=l.int64), l.ones(2, dtype=l.int64), alpha=1.0),
    "sub_alpha_float_one_int": lambda l: l.sub(l.ones(2, dtype=l.int64), 1, alpha=1.0),
    "add_alpha_float_one_float": lambda l: l.add(l.ones(2), l.ones(2, dtype=l.int64), alpha=1.0),
    # loss arguments torch's derivatives do not cover
    "soft_margin_target_grad": lambda l: l.nn.functional.soft_margin_loss(l.ones(2), l.ones(2, requires_grad=True)),
    "soft_margin_bcast": lambda l: l.nn.functional.soft_margin_loss(l.ones(4, 3, 1, 1), l.ones(4, 3, 3, 4)),
    "bce_logits_pos_weight_grad": lambda l: l.nn.functional.binary_cross_entropy_with_logits(
        l.ones(2), l.ones(2), pos_weight=l.ones(2, requires_grad=True)),
    "bce_logits_weight_grad": lambda l: l.nn.functional.binary_cross_entropy_with_logits(
        l.ones(2), l.ones(2), weight=l.ones(2, requires_grad=True)),
    "bce_weight_grad": lambda l: l.nn.functional.binary_cross_entropy(
        l.ones(2) * 0.5, l.ones(2), weight=l.ones(2, requires_grad=True)),
    "nll_weight_grad": lambda l: l.nn.functional.nll_loss(
        l.ones(2, 3), _t(l, [0, 1], "int64"), weight=l.ones(3, requires_grad=True)),
    "cross_entropy_weight_grad": lambda l: l.nn.functional.cross_entropy(
        l.ones(2, 3), _t(l, [0, 1], "int64"), weight=l.ones(3, requires_grad=True)),
    "multi_margin_weight_grad": lambda l: l.nn.functional.multi_margin_loss(
        l.ones(2, 3), _t(l, [0, 1], "int64"), weight=l.ones(3, requires_grad=True)),
    # torch checks shapes / dims before the dtype kernel
    "minimum_bcast": lambda l: l.minimum(l.ones(2, 3), l.ones(2)),
    "atan2_bcast": lambda l: l.atan2(l.ones(2, 3), l.ones(2)),
    "float_power_bcast": lambda l: l.float_power(l.ones(3), l.ones(2, 2)),
    "logaddexp_int_bcast": lambda l: l.logaddexp(l.ones(3, dtype=l.int64), l.ones(2, dtype=l.int64)),
    "logaddexp2_int_bcast": lambda l: l.logaddexp2(l.ones(3, dtype=l.int64), l.ones(2, dtype=l.int64)),
    "glu_long_odd": lambda l: l.nn.functional.glu(l.ones(3, dtype=l.int64)),
    "logcumsumexp_long_bad_dim": lambda l: l.logcumsumexp(l.ones(3, dtype=l.int64), 2),
    "split_0d": lambda l: l.split(_t(l, 1.0), 1),
    "split_sizes_0d": lambda l: l.split(_t(l, 1.0), [1]),
    "chunk_0d": lambda l: l.chunk(_t(l, 1.0), 2),
    "diagonal_same_dims": lambda l: l.diagonal(l.ones(3, 3), 0, 1, -1),
    "logical_and_bcast": lambda l: l.logical_and(l.ones(2), l.ones(3)),
    "tensor_split_0": lambda l: l.tensor_split(l.ones(3), 0),
    "argmin_empty": lambda l: l.argmin(l.ones(0)),
    "argmax_empty_dim": lambda l: l.argmax(l.ones(2, 0), 1),
    "argmax_empty_other_dim": lambda l: l.argmax(l.ones(2, 0), 0),
    "vector_norm_empty_inf": lambda l: l.linalg.vector_norm(l.ones(0), math.inf),
    "vector_norm_empty_dim_ninf": lambda l: l.linalg.vector_norm(l.ones(2, 0), -math.inf, dim=1),
    "vector_norm_empty_other_dim_inf": lambda l: l.linalg.vector_norm(l.ones(2, 0), math.inf, dim=0),
    "trace_bool_1d": lambda l: l.trace(l.ones(3, dtype=l.bool)),
    "bincount_float": lambda l: l.bincount(l.ones(3)),
    "bincount_bool": lambda l: l.bincount(_t(l, [True], "bool")),
    # message wording
    "inner_mismatch": lambda l: l.inner(l.ones(2, 3), l.ones(4, 2)),
    "select_0d": lambda l: l.select(_t(l, 1.0), 0, 0),
    "select_out_of_range": lambda l: l.select(l.ones(2, 3), 1, -4),
    "cov_bool": lambda l: l.cov(l.ones(2, 2, dtype=l.bool)),
    "corrcoef_bool": lambda l: l.corrcoef(l.ones(2, 2, dtype=l.bool)),
    "linalg_cross_dim_raw": lambda l: l.linalg.cross(l.ones(3, 2), l.ones(3, 3)),
    "prelu_long": lambda l: l.nn.functional.prelu(l.ones(2, dtype=l.int64), l.ones(1, dtype=l.int64)),
    "vector_norm_long": lambda l: l.linalg.vector_norm(l.ones(2, dtype=l.int64)),
    "normalize_uint8": lambda l: l.nn.functional.normalize(l.ones(2, 2, dtype=l.uint8)),
    "where_bcast_order": lambda l: l.where(l.ones(2, dtype=l.bool), l.ones(4), l.ones(2)),
    "addcmul_bcast_order": lambda l: l.addcmul(l.ones(3, 3, 1), l.ones(4, 1, 2), l.ones(3, 3, 1)),
    "mean_int_dtype_arg": lambda l: l.mean(l.ones(2, dtype=l.int64), dtype=l.int64),
    "dist_int": lambda l: l.dist(l.ones(2, dtype=l.int32), l.ones(2, dtype=l.int32)),
    "aminmax_empty": lambda l: l.aminmax(l.ones(0)),
    "aminmax_empty_dim": lambda l: l.aminmax(l.ones(2, 0), dim=1),
    "diff_bad_dim": lambda l: l.diff(l.ones(2, 2), dim=-3),
    "split_sizes_raw_dim": lambda l: l.split(l.ones(1, 2), [0, 2], dim=-2),
    "diff_n0_bad_dim": lambda l: l.diff(l.ones(2, 2), n=0, dim=3),
    # no degrees of freedom: sum of squares / 0 (inf, NaN where that sum is 0)
    "var_no_dof": lambda l: l.var(_t(l, [[1.0, 3.0], [2.0, 2.0]]), 1, correction=3),
    "var_no_dof_half": lambda l: l.var(_t(l, [1.0, 3.0], "float16"), correction=2),
    "std_no_dof": lambda l: l.std(_t(l, [1.0, 3.0]), correction=2),
    # the upper neighbour of a whole rank is the rank itself (no NaN read past the valid values)
    "nanquantile_q1_nan": lambda l: l.nanquantile(_t(l, [[-0.0, 0.29, NAN], [1.0, NAN, NAN], [NAN, NAN, NAN]]), 1.0,
                                                  dim=-1),
    # torch's evaluation order decides where inf meets inf
    "multi_dot_order_inf": lambda l: l.linalg.multi_dot([_t(l, [math.inf]), _t(l, [[-2.0, 1.0, -1.0]]),
                                                         _t(l, [[1.5], [1.5], [-0.25]])]),
    "multi_dot_chain_shapes": lambda l: l.linalg.multi_dot([l.ones(3), l.ones(3, 2), l.ones(2, 4), l.ones(4)]),
    "group_norm_one_value": lambda l: l.nn.functional.group_norm(l.ones(1, 2), 2),
    "group_norm_one_value_3d": lambda l: l.nn.functional.group_norm(l.ones(1, 2, 1), 2),
    "group_norm_empty_batch": lambda l: l.nn.functional.group_norm(l.ones(0, 2, 1), 2),
    "unique_0d_dim": lambda l: l.unique(_t(l, 1.0), dim=0),
    "unique_consecutive_0d_dim": lambda l: l.unique_consecutive(_t(l, 1.0), dim=-1),
    "linalg_norm_ord_3d": lambda l: l.linalg.norm(l.ones(2, 2, 2), "fro"),
    "take_empty": lambda l: l.take(l.ones(0), _t(l, [5], "int64")),
    "put_empty": lambda l: l.ones(0).put_(_t(l, [0], "int64"), l.ones(1)),
    "getitem_first_bad_index": lambda l: l.ones(3)[_t(l, [1, -5, 7], "int64")],
    "getitem_empty_dim": lambda l: l.ones(0, 2)[_t(l, [0], "int64")],
    "masked_fill_bcast_before_value": lambda l: l.ones(3, 4, dtype=l.uint8).masked_fill(
        l.ones(3, 3, dtype=l.bool), -2.5),
    "expand_last_bad_dim": lambda l: l.ones(1, 4, 4).expand(2, 1, 1),
    "soft_margin_grad_before_shape": lambda l: l.nn.functional.soft_margin_loss(
        l.ones(2, 1), l.ones(2, 3, requires_grad=True)),
    "local_response_norm_2d": lambda l: l.nn.functional.local_response_norm(l.ones(2, 2), 2),
    # trigamma at a pole: float32's sin(pi x) decides the huge finite value
    "polygamma1_pole_float32": lambda l: l.polygamma(1, _t(l, [-2.0, -1.0, 0.3, 3.0], "float32")),
    "polygamma1_pole_int": lambda l: l.polygamma(1, _t(l, [-2, 3], "int32")),
    "scatter_reduce_mean_bool": lambda l: l.scatter_reduce(l.ones(3, dtype=l.bool), 0, _t(l, [0, 1], "int64"),
                                                           l.ones(2, dtype=l.bool), "mean"),
    "index_reduce_amin_bool": lambda l: l.index_reduce(l.ones(3, dtype=l.bool), 0, _t(l, [0, 1], "int64"),
                                                       l.ones(2, dtype=l.bool), "amin"),
    "index_reduce_prod_bool_excl": lambda l: l.index_reduce(l.ones(3, dtype=l.bool), 0, _t(l, [0, 1], "int64"),
                                                            l.ones(2, dtype=l.bool), "prod", include_self=False),
    "matrix_norm_long": lambda l: l.linalg.matrix_norm(l.ones(2, 2, dtype=l.int64)),
    "matrix_norm_nuc_half": lambda l: l.linalg.matrix_norm(l.ones(2, 2, dtype=l.float16), "nuc"),
    "matrix_norm_2_half": lambda l: l.linalg.matrix_norm(l.ones(2, 2, dtype=l.float16), 2),
    "matrix_norm_1_half": lambda l: l.linalg.matrix_norm(l.ones(2, 2, dtype=l.float16), 1),
    "linalg_norm_fro_long": lambda l: l.linalg.norm(l.ones(2, 2, dtype=l.int64), "fro"),
    # the dim in an out-of-bounds message is the index tensor's place among the advanced indices
    "getitem_col_oob_dim": lambda l: l.ones(2, 3, 4)[:, :, _t(l, [9], "int64")],
    "getitem_second_tensor_oob_dim": lambda l: l.ones(2, 3, 4)[_t(l, [0], "int64"), :, _t(l, [9], "int64")],
    "getitem_list_col_oob_dim": lambda l: l.ones(2, 3)[:, [9]],
    # unique_consecutive along a dim: runs of equal slices
    "unique_consecutive_dim0": lambda l: l.unique_consecutive(
        _t(l, [[5, 5, 1], [4, 4, 1], [4, 4, 1], [0, 0, 2]], "uint8"), return_inverse=True, return_counts=True, dim=0),
    "unique_consecutive_dim1": lambda l: l.unique_consecutive(
        _t(l, [[5, 5, 1], [4, 4, 1]], "int64"), return_counts=True, dim=1),
    "unique_consecutive_dim_single": lambda l: l.unique_consecutive(_t(l, [[5], [4]], "uint8"), return_counts=True,
                                                                    dim=1),
    "index_reduce_amax_bool_2d": lambda l: l.index_reduce(l.ones(2, 2, dtype=l.bool), 0, _t(l, [0], "int64"),
                                                          l.zeros(1, 2, dtype=l.bool), "amax"),
    "index_reduce_mean_bool_2d": lambda l: l.index_reduce(l.ones(2, 2, dtype=l.bool), 0, _t(l, [0], "int64"),
                                                          l.zeros(1, 2, dtype=l.bool), "mean"),
    "scatter_reduce_mean_bool_no_index": lambda l: l.scatter_reduce(
        l.ones(3, dtype=l.bool), 0, l.zeros(0, dtype=l.int64), l.ones(0, dtype=l.bool), "mean"),
    "logaddexp_half_bool": lambda l: l.logaddexp(_t(l, [[[-1.0], [0.0]]], "float16"),
                                                 _t(l, [[[True, True], [False, True]]], "bool")),
    "glu_empty": lambda l: l.nn.functional.glu(l.zeros(0)),
    "fmod_by_inf": lambda l: l.fmod(_t(l, [5.0, -5.0, math.inf, 0.0, 3.0, 7.5]), _t(l, [math.inf, math.inf, 2.0,
                                                                                      math.inf, -math.inf, 2.0])),
    "fmod_uint8_by_inf": lambda l: l.fmod(_t(l, [3, 5], "uint8"), _t(l, [math.inf, 2.0], "float32")),
    "chunk_empty_dim": lambda l: l.chunk(l.zeros(0, dtype=l.int64), 2),
    "chunk_empty_dim1": lambda l: l.chunk(l.ones(2, 0), 3, 1),
    "clamp_tensor_bounds_dtype": lambda l: l.clamp(_t(l, 4.5), _t(l, [[3, -4]], "int64"), _t(l, [[0.5, 2.0]], "float16")),
    "nan_to_num_float64_limits": lambda l: l.nan_to_num(_t(l, [-math.inf, math.inf, NAN, 1.0])),
    "nanquantile_q0_nan_midpoint": lambda l: l.nanquantile(_t(l, [[1.0, NAN], [NAN, NAN]]), 0.0, dim=1,
                                                           interpolation="midpoint"),
}


def _setitem(lib, x, key, v):
    x[key] = v
    return x


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_torch(name):
    _same(CASES[name])


# ---------------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------------
def _grad_same(fn, x):
    xd, xt = danlu.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yd, yt = fn(danlu, xd), fn(torch, xt)
    assert_close(yd, yt)
    w = np.linspace(0.5, 1.5, yt.numel()).reshape(tuple(yt.shape))
    (gd,) = danlu.autograd.grad((yd * danlu.tensor(w)).sum(), xd)
    (gt,) = torch.autograd.grad((yt * torch.tensor(w)).sum(), xt)
    assert_close(gd, gt)


@pytest.mark.parametrize("fn", [
    lambda l, x: l.median(x, 0).values,
    lambda l, x: l.mode(x, -1, True).values,
    lambda l, x: l.cummax(x, 0).values,
    lambda l, x: l.flip(x, (0,)),
    lambda l, x: l.movedim(x, 0, 0),
    lambda l, x: l.quantile(x, 0.5, dim=0),
])
def test_zero_dim_grad(fn):
    _grad_same(fn, 2.5)


def test_median_grad_fn_name_0d():
    x = danlu.tensor(2.5, requires_grad=True)
    assert danlu.median(x, 0).values.grad_fn.name() == "MedianBackward1"
    assert danlu.mode(x, 0).values.grad_fn.name() == "ModeBackward0"


def test_hardswish_grad_at_kinks():
    _grad_same(lambda l, x: l.nn.functional.hardswish(x), [-3.0, 3.0, -3.5, 2.9, 0.0])


def test_relu_grad_through_nan():
    # torch's threshold_backward lets the gradient through a NaN output (out <= 0 is False)
    _grad_same(lambda l, x: l.nn.functional.relu(x), [NAN, -1.0, 0.0, 2.0])


def test_threshold_grad_through_nan():
    _grad_same(lambda l, x: l.nn.functional.threshold(x, 0.5, 2.0), [NAN, 0.0, 0.5, 1.0])


def test_matrix_power_1_is_a_copy():
    a = danlu.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert danlu.matrix_power(a, 1) is not a


def test_cross_entropy_empty_ignore_index_grad():
    # the fused op caches nothing for zero rows; its gradient is the empty zeros
    _grad_same(lambda l, x: l.nn.functional.cross_entropy(
        x.reshape(1, 2, 1, 0), l.zeros(1, 1, 0, dtype=l.int64), ignore_index=1, reduction="none"),
        np.zeros((0,)).tolist())


def test_cosine_similarity_grad_below_eps():
    # torch clamps the norms' values only: the gradient flows through the unclamped norm
    _grad_same(lambda l, x: l.nn.functional.cosine_similarity(
        x.reshape(2, 2), l.tensor([1.0, 3.0], dtype=l.float64), dim=-1), [1e-10, 0.0, 1.0, 2.0])


def test_hinge_embedding_loss_infinite_input():
    # torch's zeros are zeros_like(x), not x * 0 (NaN at inf)
    y = [1.0, 1.0, -1.0, -1.0, -1.0, 1.0]
    _grad_same(lambda l, x: l.nn.functional.hinge_embedding_loss(
        x, l.tensor(y), reduction="none"), [math.inf, -math.inf, 1.0, math.inf, -math.inf, NAN])


@pytest.mark.parametrize("name,kw", [("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {}),
                                     ("huber_loss", {"delta": 0.5}), ("huber_loss", {})])
def test_smooth_losses_grad_at_inf(name, kw):
    # the unselected quadratic branch must not turn an infinite difference into a NaN gradient
    t = [0.0, 0.0, math.inf, math.inf, 0.0, 0.0, 0.0, 0.0, 0.0]
    _grad_same(lambda l, x: getattr(l.nn.functional, name)(x, l.tensor(t), reduction="none",
                                                           **kw),
               [math.inf, -math.inf, 2.0, math.inf, 0.3, NAN, 1.0, -1.0, 0.5])


def test_nextafter_grad():
    # torch's derivative: the gradient passes to input unchanged, other gets zeros
    a = [0.0, 3.0, -3.0]
    for lib in (danlu, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor([[1.0, 0.0, 1.0]], dtype=lib.float64, requires_grad=True)
        out = lib.nextafter(x, y)
        gs = lib.autograd.grad((out * lib.tensor([2.0, 3.0, 4.0], dtype=lib.float64)).sum(), [x, y])
        if lib is danlu:
            res = (out, *gs)
        else:
            for r, t_ in zip(res, (out, *gs)):
                assert_close(r, t_)


def test_cat_legacy_empty_grad():
    # a skipped (0,) input still joins the graph: its gradient is an empty tensor
    for lib in (danlu, torch):
        x = lib.zeros(0, dtype=lib.float64, requires_grad=True)
        out = lib.cat([lib.ones(2, dtype=lib.int32), x, lib.ones(2)])
        (g,) = lib.autograd.grad(out.sum(), x)
        assert g.shape == (0,) and g.dtype == lib.float64 and out.dtype == lib.float64


def test_index_add_grad():
    def fn(lib, x):
        s = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        return lib.index_add(x.reshape(3, 2), 0, lib.tensor([2, 0]), s * x[:2].reshape(1, 2), alpha=1.5)
    _grad_same(fn, [0.5, -1.0, 2.0, 3.0, 1.0, 0.25])


@pytest.mark.parametrize("fn", [
    # every target ignored: 'mean' is 0 / 0 = NaN, the gradient of the ignored rows is 0
    lambda l, x: l.nn.functional.cross_entropy(x.reshape(2, 3), l.tensor([1, 1]), ignore_index=1),
    lambda l, x: l.nn.functional.cross_entropy(x.reshape(1, 3, 2), l.tensor([[1, 1]]), ignore_index=1,
                                               label_smoothing=0.2),
    lambda l, x: l.nn.functional.nll_loss(x.reshape(2, 3), l.tensor([1, 1]), ignore_index=1),
    lambda l, x: l.nn.functional.nll_loss(x.reshape(2, 3), l.tensor([0, 1]), ignore_index=1,
                                          weight=l.tensor([0.0, 1.0, 1.0], dtype=l.float64)),
    # NaN / inf differences: abs's gradient is sign(d), 0 at NaN
    lambda l, x: l.nn.functional.l1_loss(x, l.tensor([math.inf, 0.0, 2.0, 1.0, -1.0, 0.0], dtype=l.float64),
                                         reduction="none"),
    # where / masked_fill: a NaN gradient stays out of the branch not taken
    lambda l, x: l.where(x > 1, x, x * 2) * l.tensor([NAN, 1.0, 1.0, NAN, 1.0, 1.0], dtype=l.float64),
    lambda l, x: x.masked_fill(x > 1, 0.5) * l.tensor([NAN, 1.0, NAN, 1.0, 1.0, 1.0], dtype=l.float64),
])
def test_nan_gradient_cases(fn):
    x = [NAN, 1.0, 2.0, -1.0, 0.5, 3.0]
    xd = danlu.tensor(x, dtype=danlu.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yd, yt = fn(danlu, xd), fn(torch, xt)
    assert_close(yd, yt)
    (gd,) = danlu.autograd.grad(yd.sum(), xd)
    (gt,) = torch.autograd.grad(yt.sum(), xt)
    assert_close(gd, gt)


@pytest.mark.parametrize("a,i,s,red,inc", [
    ([1.0, 2.0], [0, 0], [1.0, 0.5], "amax", False),  # the untouched-by-include_self tie still splits
    ([2.0, -2.0, 0.0, NAN], [], [], "amax", False),  # a NaN no entry equals: 0 * (g / 0)
    ([1.0, NAN, 3.0], [0, 1], [NAN, 2.0], "amin", True),
    ([1.0, NAN, 3.0], [0, 1], [NAN, 2.0], "amin", False),
])
def test_scatter_reduce_minmax_grad(a, i, s, red, inc):
    res = []
    for lib in (danlu, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        sv = lib.tensor(s, dtype=lib.float64, requires_grad=True)
        y = lib.scatter_reduce(x, 0, lib.tensor(i, dtype=lib.int64), sv, red, include_self=inc)
        res.append((y, *lib.autograd.grad(y.sum(), [x, sv])))
    for d_, t_ in zip(*res):
        assert_close(d_, t_)


@pytest.mark.parametrize("a,b", [
    ([[0.0, NAN]], [[1.0, 1.0]]),  # a NaN difference is skipped by the max, NaN in the gradient
    ([[0.0, 0.0]], [[1.0, 1.0]]),  # ties each get the whole gradient
    ([[NAN]], [[1.0]]),
    ([[0.0, 0.0], [2.0, 3.0]], [[1.0, 1.0], [NAN, 0.0]]),
])
def test_cdist_inf_nan(a, b):
    res = []
    for lib in (danlu, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        y = lib.tensor(b, dtype=lib.float64, requires_grad=True)
        r = lib.cdist(x, y, p=math.inf)
        res.append((r, *lib.autograd.grad(r.sum(), [x, y])))
    for d_, t_ in zip(*res):
        assert_close(d_, t_)


@pytest.mark.parametrize("fn", [
    # only hinge terms > 0 count: a NaN term is dropped as in torch's kernels
    lambda l, x: l.nn.functional.multi_margin_loss(x.reshape(3, 3), l.tensor([0, 1, 2]), reduction="none"),
    lambda l, x: l.nn.functional.multi_margin_loss(x.reshape(3, 3), l.tensor([0, 1, 2]), p=2),
    lambda l, x: l.nn.functional.multilabel_margin_loss(
        x.reshape(3, 3), l.tensor([[0, -1, 1], [1, 2, -1], [2, -1, 0]]), reduction="none"),
])
def test_margin_losses_nan_terms(fn):
    x = [0.5, NAN, 1.0, math.inf, 0.0, -math.inf, 0.2, 0.3, 0.1]
    xd = danlu.tensor(x, dtype=danlu.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yd, yt = fn(danlu, xd), fn(torch, xt)
    assert_close(yd, yt)
    assert_close(danlu.autograd.grad(yd.sum(), xd)[0], torch.autograd.grad(yt.sum(), xt)[0])


@pytest.mark.parametrize("name", ["mul_", "div_", "pow_"])
def test_inplace_saves_self_when_only_other_requires_grad(name):
    # self (no grad) is overwritten in place: the op must have saved its old value
    res = []
    for lib in (danlu, torch):
        x = lib.tensor([[2.0], [3.0]], dtype=lib.float64)
        y = lib.tensor(0.5, dtype=lib.float64, requires_grad=True)
        z = getattr(x.clone(), name)(y)
        res.append((z, *lib.autograd.grad(z.sum(), y)))
    for d_, t_ in zip(*res):
        assert_close(d_, t_)


@pytest.mark.parametrize("fn", [
    lambda l, x, lo, hi: l.clamp(x, lo, hi),
    lambda l, x, lo, hi: l.clamp(x, min=lo),
    lambda l, x, lo, hi: l.clamp_max(x, lo),
])
def test_clamp_tensor_bounds_grad(fn):
    # torch's clamp_backward_min_max: ties go to the input, a bound gets the gradient only
    # where it was exceeded (lo only when lo < hi)
    res = []
    for lib in (danlu, torch):
        x = lib.tensor([[1.0, 2.0, 3.0, NAN], [0.0, 5.0, -1.0, 2.0]], dtype=lib.float64, requires_grad=True)
        lo = lib.tensor([1.0, 3.0, 4.0, 0.0], dtype=lib.float64, requires_grad=True)
        hi = lib.tensor([[2.0], [0.0]], dtype=lib.float64, requires_grad=True)
        y = fn(lib, x, lo, hi)
        w = lib.arange(8.0, dtype=lib.float64).reshape(2, 4)
        res.append((y, *lib.autograd.grad((y * w).sum(), [x, lo, hi], allow_unused=True)))
    for d_, t_ in zip(*res):
        if t_ is None:
            assert d_ is None or not bool(d_.abs().sum())
        else:
            assert_close(d_, t_)


@pytest.mark.parametrize("dt", ["int64", "bool", "int32"])
def test_segment_reduce_needs_floating_data(dt):
    _same(lambda l: l.segment_reduce(_t(l, [3, 1, 2], dt), "max", lengths=l.tensor([2, 1])))


@pytest.mark.parametrize("red", ["max", "min"])
def test_segment_reduce_extreme_equal_to_zero_takes_the_whole_gradient(red):
    """A segment whose max (min) is 0 has no tie with anything: its entry gets the whole
    gradient (danlu's index_reduce, like torch's, counts an equal base value as a tie)."""
    grads = []
    for lib in (danlu, torch):
        x = _t(lib, [0.0, -1.0, 2.0] if red == "max" else [0.0, 1.0, -2.0], grad=True)
        lib.segment_reduce(x, red, lengths=lib.tensor([2, 1])).sum().backward()
        grads.append(x.grad)
    assert_close(*grads)


@pytest.mark.parametrize("name", ["lt_", "ne_", "ge_", "greater_", "eq_"])
@pytest.mark.parametrize("other_is_tensor", [False, True])
@pytest.mark.parametrize("who", ["self", "other", "both"])
def test_inplace_comparison_passes_zero_gradient(name, other_is_tensor, who):
    """``x.lt_(y)`` on a tensor in the graph: torch records LtBackward0/1 with zero gradient
    (danlu left the old node, so the gradient flowed through the comparison unchanged)."""
    if who == "other" and not other_is_tensor:
        return
    res = []
    for lib in (danlu, torch):
        a = _t(lib, [1.0, 2.0, 3.0], grad=True)
        b = _t(lib, [2.0, 2.0, 0.5], grad=who != "self")
        x = a * 1 if who != "other" else _t(lib, [1.0, 2.0, 3.0])
        getattr(x, name)(b if other_is_tensor else 2.0)
        (x * a).sum().backward()
        res.append((x.detach(), x.grad_fn.name(), a.grad, b.grad))
    (xd, nd, ad, bd), (xt, nt, at, bt) = res
    assert_close(xd, xt)
    assert nd == nt
    assert_close(ad, at)
    assert (bd is None) == (bt is None)
    if bt is not None:
        assert_close(bd, bt)


@pytest.mark.parametrize("which", ["cummax", "cummin"])
def test_cum_extreme_result_type_name(which):
    for x in (danlu.zeros(0), danlu.tensor(2.0), danlu.tensor([3.0, 1.0])):
        assert type(getattr(x, which)(0)).__name__ == type(getattr(torch.zeros(1), which)(0)).__name__
