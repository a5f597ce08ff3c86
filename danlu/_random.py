"""Random numbers: a global generator seeded by ``manual_seed`` and ``Generator`` objects.

Streams are NumPy's PCG64 (bit-exact agreement with torch's Mersenne Twister is not a goal; the
distributions are the same).
"""
from __future__ import annotations

import numpy as np

from . import _backend as B
from . import _dtype as D
from ._creation import _kw_size
from ._tensor import Tensor


class Generator:
    """``danlu.Generator(device='cpu')`` with ``manual_seed``, ``seed``, ``initial_seed``,
    ``get_state``/``set_state``."""

    def __init__(self, device="cpu") -> None:
        self.device = B.as_device(device)
        self._seed = 67280421310721
        self._rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        self._seed = seed
        self._rng = np.random.Generator(np.random.PCG64(seed & ((1 << 64) - 1)))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> Tensor:
        st = self._rng.bit_generator.state
        s, inc = st["state"]["state"], st["state"]["inc"]
        words = [(s >> (32 * i)) & 0xFFFFFFFF for i in range(4)] + \
                [(inc >> (32 * i)) & 0xFFFFFFFF for i in range(4)] + \
                [st["has_uint32"], st["uinteger"], self._seed & 0xFFFFFFFF, (self._seed >> 32) & 0xFFFFFFFF]
        arr = np.array(words, dtype=np.uint64).astype(np.uint32).view(np.uint8)
        return Tensor._make(arr.copy(), None)

    def set_state(self, state: Tensor) -> "Generator":
        w = [int(x) for x in np.asarray(state._data, dtype=np.uint8).view(np.uint32)]
        s = sum(w[i] << (32 * i) for i in range(4))
        inc = sum(w[4 + i] << (32 * i) for i in range(4))
        bg = np.random.PCG64()
        bg.state = {"bit_generator": "PCG64", "state": {"state": s, "inc": inc},
                    "has_uint32": w[8], "uinteger": w[9]}
        self._rng = np.random.Generator(bg)
        self._seed = w[10] | (w[11] << 32)
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (and cupy's, when a GPU is in use)."""
    default_generator.manual_seed(seed)
    if B.cuda_available():  # pragma: no cover
        B._cupy.random.seed(int(seed) & 0xFFFFFFFF)
    return default_generator


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(state: Tensor) -> None:
    default_generator.set_state(state)


def _rng(generator):
    return (generator or default_generator)._rng


def _finish(arr, dtype, device, requires_grad):
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    arr = np.asarray(arr, dtype=dt.np)
    if device is not None and B.as_device(device).type != "cpu":
        arr = B.move(arr, B.as_device(device))
    t = Tensor._make(arr, None)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _size(size):
    """Sizes checked as the creation functions check them (negative -> torch's RuntimeError)."""
    from ._creation import _sz

    return _sz(size)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Uniform on [0, 1)."""
    g = _rng(generator)
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    arr = g.random(_size(_kw_size("rand", size, kw)), dtype=np.float32 if dt is D.float32 else np.float64)
    return _finish(arr, dt, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **kw) -> Tensor:
    """Standard normal."""
    g = _rng(generator)
    dt = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    arr = g.standard_normal(_size(_kw_size("randn", size, kw)), dtype=np.float32 if dt is D.float32 else np.float64)
    return _finish(arr, dt, device, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False) -> Tensor:
    """Integers uniform on [low, high); ``randint(high, size)`` and ``randint(low, high, size)``."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    arr = _rng(generator).integers(low, high, size=_size((size,)))
    return _finish(arr, dtype or D.int64, device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    return _finish(_rng(generator).permutation(int(n)), dtype or D.int64, device, requires_grad)


def _laid_like(r, input, memory_format, requires_grad):
    from . import _memory_format as MF

    r._data = MF.like(r._data, input._data, memory_format)  # default: preserve_format
    return r.requires_grad_(True) if requires_grad else r


def _check_like(fn: str, input) -> None:
    if not isinstance(input, Tensor):
        t = type(input)
        name = t.__name__ if t.__module__ == "builtins" else f"{t.__module__.split('.')[0]}.{t.__name__}"
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {name}")


def rand_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
              memory_format=None):
    _check_like("rand_like", input)
    return _laid_like(rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                           generator=generator), input, memory_format, requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, generator=None,
               memory_format=None):
    _check_like("randn_like", input)
    return _laid_like(randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                            generator=generator), input, memory_format, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False,
                 memory_format=None):
    _check_like("randint_like", input)
    if high is None:
        low, high = 0, low
    return _laid_like(randint(low, high, input.shape, dtype=dtype or input.dtype,
                              device=device or input.device), input, memory_format, False)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False) -> Tensor:
    """Samples of N(mean, std^2); ``mean``/``std`` may be tensors (broadcast)."""
    g = _rng(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = mean._data if isinstance(mean, Tensor) else mean
        s = std._data if isinstance(std, Tensor) else std
        ref = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        arr = B.to_numpy(m) + B.to_numpy(s) * g.standard_normal(shape)
        return _finish(arr, ref.dtype, ref.device, False)
    if size is None:
        raise TypeError("normal() missing required argument 'size'")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    arr = mean + std * g.standard_normal(tuple(size))
    return _finish(arr, dtype, device, requires_grad)


def bernoulli(input, p=None, *, generator=None) -> Tensor:
    """Each element is 1 with probability ``input`` (or ``p``)."""
    probs = B.to_numpy(input._data) if p is None else np.full(input.shape, p)
    if ((probs < 0) | (probs > 1)).any():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    arr = _rng(generator).random(input.shape) < probs
    return _finish(arr, input.dtype, input.device, False)


def poisson(input, generator=None) -> Tensor:
    return _finish(_rng(generator).poisson(B.to_numpy(input._data)), input.dtype, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None) -> Tensor:
    """Draw ``num_samples`` category indices per row with probabilities ∝ ``input``."""
    g = _rng(generator)
    w = B.to_numpy(input._data).astype(np.float64)
    if w.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if (w < 0).any() or not np.isfinite(w).all():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    rows = w.reshape(-1, w.shape[-1])
    n = rows.shape[1]
    if not replacement and num_samples > n:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        s = r.sum()
        if s <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if replacement:
            out[i] = g.choice(n, size=num_samples, replace=True, p=r / s)
        else:
            # Gumbel top-k: exact sampling without replacement
            with np.errstate(divide="ignore"):
                keys = np.log(r) - np.log(-np.log(g.random(n)))
            out[i] = np.argsort(-keys, kind="stable")[:num_samples]
    out = out.reshape(w.shape[:-1] + (num_samples,))
    return _finish(out, D.int64, input.device, False)


def fill_(t: Tensor, kind: str, a, b, generator=None) -> Tensor:
    """In-place random fill used by ``Tensor.uniform_``/``normal_``/... and ``nn.init``."""
    g = _rng(generator)
    shape = t.shape
    if kind == "uniform":
        arr = a + (b - a) * g.random(shape)
    elif kind == "normal":
        arr = a + b * g.standard_normal(shape)
    elif kind == "bernoulli":
        p = B.to_numpy(a._data) if isinstance(a, Tensor) else a
        arr = g.random(shape) < p
    elif kind == "exponential":
        arr = g.exponential(1.0 / a, shape)
    elif kind == "geometric":
        arr = g.geometric(a, shape)
    elif kind == "lognormal":
        arr = g.lognormal(a, b, shape)
    elif kind == "cauchy":
        arr = a + b * g.standard_cauchy(shape)
    elif kind == "randint":
        hi = b if b is not None else (2 ** 24 if t.dtype.is_floating_point else np.iinfo(t.dtype.np).max)
        arr = g.integers(a, hi, shape)
    else:  # pragma: no cover - internal misuse
        raise ValueError(kind)
    from .autograd.grad_mode import GradMode

    if GradMode.enabled and t._rg and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    t._data[...] = B.move(np.asarray(arr).astype(t.dtype.np), t.device)
    t._vc[0] += 1
    return t
