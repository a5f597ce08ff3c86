"""``danlu.backends``: torch's backend switches (``torch.backends.cudnn.deterministic = True``
and friends), so that set-up code runs unchanged.

danlu computes with NumPy on the CPU and CuPy on a GPU; it has no cuDNN, MPS or TF32 paths and
its kernels are deterministic.  The switches are therefore flags that keep the value set and
report it back (type-checked as in torch), and the availability queries answer for danlu:
no cuDNN, no MPS, CUDA built in when CuPy is importable.

* ``cudnn``: ``enabled``, ``benchmark``, ``deterministic``, ``allow_tf32``, ``benchmark_limit``,
  ``flags(...)``, ``is_available()``, ``version()``;
* ``cuda``: ``matmul.allow_tf32`` (tied to ``set_float32_matmul_precision`` as in torch),
  ``matmul.allow_fp16/bf16_reduced_precision_reduction``, the scaled-dot-product-attention
  kernel switches, ``is_built()``;
* ``mps``: ``is_available()``, ``is_built()``.
"""
from __future__ import annotations

from . import cuda, cudnn, mps  # noqa: F401

__all__ = ["cuda", "cudnn", "mps"]
