"""``gradcheck`` / ``gradgradcheck``: analytic gradients vs central differences in float64."""
from __future__ import annotations

import numpy as np

from .grad_mode import no_grad


class GradcheckError(RuntimeError):
    pass


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _numerical_jacobian(fn, inputs, eps):
    """J[i][:, k]: d vec(outputs) / d input_i[k] by (f(x+eps) - f(x-eps)) / 2 eps."""
    from .._tensor import Tensor

    jac = []
    for inp in inputs:
        if not (isinstance(inp, Tensor) and inp._rg):
            jac.append(None)
            continue
        data = inp._data  # perturbed in place, element by element in row-major order (any strides:
        cols = []         # a reshape(-1) of a non-contiguous input would be a copy)
        for k in range(data.size):
            idx = np.unravel_index(k, data.shape)
            orig = data[idx].item()
            data[idx] = orig + eps
            with no_grad():
                plus = _flat_out(fn(*inputs))
            data[idx] = orig - eps
            with no_grad():
                minus = _flat_out(fn(*inputs))
            data[idx] = orig
            cols.append((plus - minus) / (2 * eps))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def _flat_out(out):
    from .._backend import to_numpy

    outs = _as_tuple(out)
    return np.concatenate([to_numpy(o._data).astype(np.float64).reshape(-1) for o in outs]) \
        if outs else np.zeros(0)


def _analytic_jacobian(fn, inputs):
    from .. import _creation
    from . import grad

    out = _as_tuple(fn(*inputs))
    diff_in = [i for i in inputs if hasattr(i, "_rg") and i._rg]
    sizes = [o.numel() for o in out]
    total = sum(sizes)
    jac = [np.zeros((total, i.numel())) for i in diff_in]
    row = 0
    for oi, o in enumerate(out):
        for k in range(o.numel()):
            go = [_creation.zeros_like(x) for x in out]
            go[oi]._data[np.unravel_index(k, tuple(o.shape))] = 1.0  # any strides (zeros_like keeps them)
            if not o._rg:
                row += 1
                continue
            gs = grad([x for x in out if x._rg], diff_in, [g for g, x in zip(go, out) if x._rg],
                      retain_graph=True, allow_unused=True)
            for j, gj in enumerate(gs):
                if gj is not None:
                    jac[j][row] = np.asarray(gj._data, dtype=np.float64).reshape(-1)
            row += 1
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None) -> bool:
    """True when analytic and numerical Jacobians agree: ``|a - n| <= atol + rtol * |n|``.

    On failure raises naming the input, the worst element and both values."""
    inputs = _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if hasattr(t, "_rg") and t._rg and t.dtype.name != "float64":
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision floating point. ")
    numeric = [j for j in _numerical_jacobian(func, inputs, eps) if j is not None]
    analytic = _analytic_jacobian(func, inputs)
    for idx, (a, n) in enumerate(zip(analytic, numeric)):
        if a.shape != n.shape:
            n = n.reshape(a.shape) if n.size == a.size else n
        bad = np.abs(a - n) > atol + rtol * np.abs(n)
        if bad.any():
            err = np.abs(a - n) - (atol + rtol * np.abs(n))
            w = np.unravel_index(np.argmax(err), err.shape)
            msg = (f"Jacobian mismatch for output 0 with respect to input {idx},\n"
                   f"numerical:{n}\nanalytical:{a}\n"
                   f"worst element (output {w[0]}, input element {w[1]}): analytic "
                   f"{a[w]:.8g} vs numeric {n[w]:.8g}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False) -> bool:
    """gradcheck of the map (inputs, grad_outputs) -> d<outputs, grad_outputs>/d inputs."""
    from .. import _random
    from . import grad

    inputs = _as_tuple(inputs)
    outs = _as_tuple(func(*inputs))
    if grad_outputs is None:
        gen = _random.Generator().manual_seed(0)
        grad_outputs = tuple(
            _random.randn(o.shape, dtype=o.dtype, generator=gen).requires_grad_(True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff_idx = [i for i, t in enumerate(inputs) if hasattr(t, "_rg") and t._rg]

    def first_grad(*args):
        ins, gos = args[:n_in], args[n_in:]
        from .grad_mode import enable_grad

        with enable_grad():  # the numerical Jacobian calls this under no_grad
            out = _as_tuple(func(*ins))
            diff = [ins[i] for i in diff_idx]
            gs = grad(out, diff, gos, create_graph=True, allow_unused=True)
        from .. import _creation

        return tuple(g if g is not None else _creation.zeros_like(d) for g, d in zip(gs, diff))

    return gradcheck(first_grad, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
