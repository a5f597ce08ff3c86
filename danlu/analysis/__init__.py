"""``danlu.analysis``: diagnostics for "why does training stall?" that no framework ships.

* :func:`check_gradients` — autograd vs central differences for a whole model, per parameter;
* :class:`Hessian` — exact Hessian-vector products (double backward), Lanczos/power eigenvalues,
  Hutchinson trace, stochastic-Lanczos-quadrature spectral density, dense Hessian;
* :func:`classify_critical_point` — minimum / maximum / saddle / degenerate, with the escape
  direction (eigenvector of the most negative eigenvalue) at a saddle;
* :func:`interpolate`, :func:`slice_1d`, :func:`slice_2d` — loss landscapes with
  filter-normalised directions and projected trajectories;
* :class:`GradientFlowMonitor`, :func:`gradient_flow` — per-layer gradient/weight norms and
  update ratios, vanishing/exploding flags;
* :func:`lr_range_test` — the learning-rate finder.

Every tool takes ``(model, loss_fn, data)`` (``data``: a batch or an iterable of batches), and
most also a plain function with ``params=[tensors]``; results are data objects with ``plot(path)``
helpers that write PNGs (matplotlib optional).
"""
from ._objective import Objective, as_objective
from .critical import CriticalPointReport, classify_critical_point
from .gradcheck import GradientCheckReport, ParamCheck, check_gradients
from .gradflow import GradientFlowMonitor, GradientFlowReport, gradient_flow
from .hessian import Hessian, SpectralDensity, TraceEstimate, lanczos_tridiagonal
from .landscape import (
    Landscape1D,
    Landscape2D,
    interpolate,
    pca_directions,
    project_trajectory,
    random_direction,
    slice_1d,
    slice_2d,
)
from .lr_finder import LRFinderResult, lr_range_test

__all__ = [
    "Objective", "as_objective",
    "check_gradients", "GradientCheckReport", "ParamCheck",
    "Hessian", "TraceEstimate", "SpectralDensity", "lanczos_tridiagonal",
    "classify_critical_point", "CriticalPointReport",
    "Landscape1D", "Landscape2D", "random_direction", "interpolate", "slice_1d", "slice_2d",
    "pca_directions", "project_trajectory",
    "GradientFlowMonitor", "GradientFlowReport", "gradient_flow",
    "lr_range_test", "LRFinderResult",
]
