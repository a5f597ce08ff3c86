"""The further distributions (StudentT, Cauchy, HalfNormal, HalfCauchy, Chi2, Gumbel, Weibull, Pareto,
VonMises, ContinuousBernoulli, Geometric, NegativeBinomial, Multinomial, LowRankMultivariateNormal)
and their kl_divergence pairs vs torch.distributions: values, gradients, shapes, validation."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as TD

import danlu
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch


@pytest.fixture(autouse=True)
def _torch_validates_by_default():
    TD.Distribution.set_default_validate_args(True)
    yield


RNG = np.random.default_rng(4321)
DT = [np.float64, np.float32]


def pos(*shape, lo=0.5, hi=2.5):
    return RNG.uniform(lo, hi, shape)


def real(*shape):
    return RNG.standard_normal(shape)


def unit(*shape):
    return RNG.uniform(0.1, 0.9, shape)


def simplex(*shape):
    p = RNG.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


M_ALL = ("log_prob", "entropy", "mean", "variance", "stddev", "mode")
CASES = {
    "studentt": (lambda L, df, a, b: L.distributions.StudentT(df, a, b), [pos(3, lo=2.5, hi=5), real(3), pos(3)],
                 real(2, 3), M_ALL),
    "studentt_df": (lambda L, df: L.distributions.StudentT(df), [np.array([0.7, 1.5, 3.0])], real(2, 3),
                    ("log_prob", "entropy", "mean", "variance")),
    "cauchy": (lambda L, a, b: L.distributions.Cauchy(a, b), [real(3), pos(3)], real(2, 3),
               M_ALL + ("cdf", "icdf")),
    "halfnormal": (lambda L, s: L.distributions.HalfNormal(s), [pos(3)], pos(2, 3), M_ALL + ("cdf", "icdf")),
    "halfcauchy": (lambda L, s: L.distributions.HalfCauchy(s), [pos(3)], pos(2, 3), M_ALL + ("cdf", "icdf")),
    "chi2": (lambda L, df: L.distributions.Chi2(df), [pos(3, lo=2.5, hi=5)], pos(2, 3), M_ALL),
    "gumbel": (lambda L, a, b: L.distributions.Gumbel(a, b), [real(3), pos(3)], real(2, 3),
               M_ALL + ("cdf", "icdf")),
    "weibull": (lambda L, s, k: L.distributions.Weibull(s, k), [pos(3), pos(3, lo=1.2)], pos(2, 3),
                M_ALL + ("cdf", "icdf")),
    "pareto": (lambda L, s, a: L.distributions.Pareto(s, a), [pos(3, lo=0.2, hi=0.5), pos(3, lo=2.5, hi=4)],
               pos(2, 3, lo=0.6, hi=3), M_ALL + ("cdf", "icdf")),
    "vonmises": (lambda L, a, k: L.distributions.VonMises(a, k), [real(4), np.array([0.3, 2.0, 3.75, 9.0])],
                 real(2, 4), ("log_prob", "mean", "mode", "variance")),
    "contbern": (lambda L, p: L.distributions.ContinuousBernoulli(p), [np.array([0.2, 0.4995, 0.7])],
                 unit(2, 3), M_ALL[:-1] + ("cdf", "icdf")),
    "contbern_l": (lambda L, lg: L.distributions.ContinuousBernoulli(logits=lg), [real(3)], unit(2, 3),
                   ("log_prob", "entropy", "mean", "variance", "cdf")),
    "geometric": (lambda L, p: L.distributions.Geometric(p), [unit(3)], RNG.integers(0, 6, (2, 3)).astype(float),
                  M_ALL),
    "geometric_l": (lambda L, lg: L.distributions.Geometric(logits=lg), [real(3)],
                    RNG.integers(0, 6, (2, 3)).astype(float), ("log_prob", "entropy", "mean", "variance")),
    "negbin": (lambda L, n, p: L.distributions.NegativeBinomial(n, p), [pos(3, lo=1, hi=5), unit(3)],
               RNG.integers(0, 6, (2, 3)).astype(float), ("log_prob", "mean", "variance", "mode")),
    "negbin_l": (lambda L, lg: L.distributions.NegativeBinomial(3.0, logits=lg), [real(3)],
                 RNG.integers(0, 6, (2, 3)).astype(float), ("log_prob", "mean", "variance")),
    "multinomial": (lambda L, p: L.distributions.Multinomial(4, p), [simplex(2, 3)],
                    np.array([[[1.0, 2.0, 1.0], [0.0, 0.0, 4.0]]]), ("log_prob", "entropy", "mean", "variance")),
    "multinomial_l": (lambda L, lg: L.distributions.Multinomial(3, logits=lg), [real(3)],
                      np.array([[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]]), ("log_prob", "entropy", "mean")),
    "lowrank": (lambda L, m, w, d: L.distributions.LowRankMultivariateNormal(m, w, d),
                [real(2, 3), real(3, 2), pos(3)], real(4, 2, 3), ("log_prob", "entropy", "mean", "variance", "mode")),
}


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name", list(CASES))
def test_methods_match_torch(name, dt):
    build, params, value, methods = CASES[name]
    params = [np.asarray(p, dtype=dt) for p in params]
    value = np.asarray(value).astype(dt)
    if "icdf" in methods:
        probs = RNG.uniform(0.05, 0.95, (2,) + tuple(np.broadcast_shapes(*[p.shape for p in params]))).astype(dt)
    tol = {} if dt == np.float64 else dict(rtol=2e-4, atol=2e-5)
    if dt == np.float64 and name in ("chi2", "studentt", "studentt_df", "weibull", "multinomial"):
        tol = dict(rtol=1e-9, atol=1e-10)
    for m in methods:
        def fn(L, *ts, m=m):
            d = build(L, *ts)
            if m in ("log_prob", "cdf"):
                return getattr(d, m)(to_danlu(value) if L is danlu else to_torch(value))
            if m == "icdf":
                return d.icdf(to_danlu(probs) if L is danlu else to_torch(probs))
            if m == "entropy":
                return d.entropy()
            return getattr(d, m)
        compare_fn(fn, *params, **tol)


@pytest.mark.parametrize("name", list(CASES))
def test_shapes_and_sampling(name):
    build, params, _, _ = CASES[name]
    d, t = build(danlu, *[to_danlu(p) for p in params]), build(torch, *[to_torch(p) for p in params])
    assert tuple(d.batch_shape) == tuple(t.batch_shape) and tuple(d.event_shape) == tuple(t.event_shape)
    assert d.has_rsample == t.has_rsample
    for ss in [(), (5,), (2, 3)]:
        s = d.sample(ss)
        assert tuple(s.shape) == tuple(t.sample(ss).shape)
        assert bool(d.support.check(s).all())
        if t.has_rsample:
            assert tuple(d.rsample(ss).shape) == tuple(t.rsample(ss).shape)
    new_batch = (4,) + tuple(t.batch_shape)
    de, te = d.expand(new_batch), t.expand(new_batch)
    assert type(de) is type(d)
    assert tuple(de.batch_shape) == tuple(te.batch_shape)
    assert tuple(de.sample((2,)).shape) == tuple(te.sample((2,)).shape)
    assert repr(d.support) == repr(t.support).replace("torch.", "danlu.")


@pytest.mark.parametrize("name, stat", [("studentt", "loc"), ("cauchy", None), ("gumbel", "mean"),
                                        ("weibull", "mean"), ("pareto", "mean"), ("vonmises", "circ"),
                                        ("geometric", "mean"), ("negbin", "mean"), ("multinomial", "mean"),
                                        ("lowrank", "mean"), ("halfnormal", "mean"), ("contbern", "mean"),
                                        ("chi2", "mean")])
def test_sample_moments(name, stat):
    build, params, _, _ = CASES[name]
    danlu.manual_seed(0)
    d = build(danlu, *[to_danlu(np.asarray(p, dtype=np.float64)) for p in params])
    s = d.sample((20000,)).numpy()
    if stat == "mean":
        np.testing.assert_allclose(s.mean(0), d.mean.numpy(), rtol=0.05, atol=0.05)
        np.testing.assert_allclose(s.var(0), d.variance.numpy(), rtol=0.15, atol=0.05)
    elif stat == "loc":  # heavy tails: only the mean
        np.testing.assert_allclose(s.mean(0), d.mean.numpy(), atol=0.1)
    elif stat == "circ":  # circular mean and variance
        loc = d.loc.numpy()
        np.testing.assert_allclose(np.angle(np.exp(1j * s).mean(0) * np.exp(-1j * loc)), 0, atol=0.06)
        np.testing.assert_allclose(1 - np.abs(np.exp(1j * s).mean(0)), d.variance.numpy(), atol=0.02)
        assert s.min() >= -np.pi and s.max() < np.pi
    else:  # Cauchy: the median and quartiles
        q = np.quantile(s, [0.25, 0.5, 0.75], axis=0)
        np.testing.assert_allclose(q, d.icdf(danlu.tensor([[0.25], [0.5], [0.75]], dtype=danlu.float64)).numpy(),
                                   atol=0.2)


def test_rsample_gradients_flow():
    for name in ("studentt", "cauchy", "halfnormal", "gumbel", "weibull", "pareto", "contbern", "lowrank", "chi2"):
        build, params, _, _ = CASES[name]
        ps = [to_danlu(np.asarray(p, dtype=np.float64), requires_grad=True) for p in params]
        build(danlu, *ps).rsample((3,)).sum().backward()
        assert all(p.grad is not None and np.isfinite(p.grad.numpy()).all() for p in ps), name


def _msg(fn_d, fn_t):
    with pytest.raises(Exception) as ed:
        fn_d()
    with pytest.raises(Exception) as et:
        fn_t()
    assert type(ed.value) is type(et.value)
    assert str(ed.value) == str(et.value).replace("torch.", "danlu."), (str(ed.value), str(et.value))


@pytest.mark.parametrize("case", [
    lambda L: L.distributions.StudentT(L.tensor([-1.0])),
    lambda L: L.distributions.Cauchy(L.tensor([0.0]), L.tensor([0.0])),
    lambda L: L.distributions.HalfNormal(L.tensor([-1.0])),
    lambda L: L.distributions.HalfNormal(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.HalfCauchy(L.tensor([1.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.Chi2(L.tensor([-1.0])),
    lambda L: L.distributions.Gumbel(L.tensor([0.0]), L.tensor([-1.0])),
    lambda L: L.distributions.Weibull(L.tensor([1.0]), L.tensor([-1.0])),
    lambda L: L.distributions.Weibull(L.tensor([1.0]), L.tensor([2.0])).log_prob(L.tensor([-1.0])),
    lambda L: L.distributions.Pareto(L.tensor([1.0]), L.tensor([2.0])).log_prob(L.tensor([0.5])),
    lambda L: L.distributions.VonMises(L.tensor([0.0]), L.tensor([-1.0])),
    lambda L: L.distributions.Geometric(L.tensor([1.5])),
    lambda L: L.distributions.Geometric(L.tensor([0.0, 0.5])),
    lambda L: L.distributions.Geometric(L.tensor([0.5])).log_prob(L.tensor([1.5])),
    lambda L: L.distributions.NegativeBinomial(L.tensor([2.0]), L.tensor([1.0])),
    lambda L: L.distributions.NegativeBinomial(L.tensor([-2.0]), L.tensor([0.5])),
    lambda L: L.distributions.Multinomial(3, L.tensor([0.5, -0.5])),
    lambda L: L.distributions.Multinomial(3, L.tensor([0.5, 0.5])).log_prob(L.tensor([-1.0, 1.0])),
    lambda L: L.distributions.ContinuousBernoulli(L.tensor([1.5]), validate_args=True),
    lambda L: L.distributions.LowRankMultivariateNormal(L.tensor(0.0), L.ones(1, 1), L.ones(1)),
    lambda L: L.distributions.LowRankMultivariateNormal(L.zeros(2), L.ones(2), L.ones(2)),
    lambda L: L.distributions.LowRankMultivariateNormal(L.zeros(2), L.ones(3, 1), L.ones(2)),
    lambda L: L.distributions.LowRankMultivariateNormal(L.zeros(2), L.ones(2, 1), L.ones(3)),
])
def test_validation_errors_match_torch(case):
    _msg(lambda: case(danlu), lambda: case(torch))


KL_CASES = {
    "geometric": (lambda L, a, b: (L.distributions.Geometric(a), L.distributions.Geometric(b)), [unit(3), unit(3)]),
    "halfnormal": (lambda L, a, b: (L.distributions.HalfNormal(a), L.distributions.HalfNormal(b)), [pos(3), pos(3)]),
    "cauchy": (lambda L, a, b, c, e: (L.distributions.Cauchy(a, b), L.distributions.Cauchy(c, e)),
               [real(3), pos(3), real(3), pos(3)]),
    "gumbel": (lambda L, a, b, c, e: (L.distributions.Gumbel(a, b), L.distributions.Gumbel(c, e)),
               [real(3), pos(3), real(3), pos(3)]),
    "pareto": (lambda L, a, b, c, e: (L.distributions.Pareto(a, b), L.distributions.Pareto(c, e)),
               [pos(4), pos(4), pos(4), pos(4)]),
    "contbern": (lambda L, a, b: (L.distributions.ContinuousBernoulli(a), L.distributions.ContinuousBernoulli(b)),
                 [unit(3), unit(3)]),
    "lowrank": (lambda L, m, w, d, m2, w2, d2: (L.distributions.LowRankMultivariateNormal(m, w, d),
                                                L.distributions.LowRankMultivariateNormal(m2, w2, d2)),
                [real(2, 3), real(3, 2), pos(3), real(3), real(2, 3, 1), pos(3)]),
    "mvn_lowrank": (lambda L, m, a, m2, w2, d2: (
        L.distributions.MultivariateNormal(m, covariance_matrix=a @ a.mT + L.eye(3, dtype=a.dtype)),
        L.distributions.LowRankMultivariateNormal(m2, w2, d2)),
        [real(2, 3), real(3, 3), real(3), real(3, 2), pos(3)]),
    "lowrank_mvn": (lambda L, m2, w2, d2, m, a: (
        L.distributions.LowRankMultivariateNormal(m2, w2, d2),
        L.distributions.MultivariateNormal(m, covariance_matrix=a @ a.mT + L.eye(3, dtype=a.dtype))),
        [real(3), real(3, 2), pos(3), real(2, 3), real(3, 3)]),
    "beta_cb": (lambda L, a, b, p: (L.distributions.Beta(a, b), L.distributions.ContinuousBernoulli(p)),
                [pos(3), pos(3), unit(3)]),
    "unif_cb": (lambda L, a, p: (L.distributions.Uniform(a, a + 0.05), L.distributions.ContinuousBernoulli(p)),
                [np.array([0.1, 0.5, 0.97]), unit(3)]),
    "cb_exp": (lambda L, p, r: (L.distributions.ContinuousBernoulli(p), L.distributions.Exponential(r)),
               [unit(3), pos(3)]),
    "cb_normal": (lambda L, p, a, b: (L.distributions.ContinuousBernoulli(p), L.distributions.Normal(a, b)),
                  [unit(3), real(3), pos(3)]),
    "cb_unif": (lambda L, p, a, b: (L.distributions.ContinuousBernoulli(p), L.distributions.Uniform(a, b)),
                [unit(3), np.array([-1.0, -0.5, 0.0]), np.array([2.0, 1.0, 1.5])]),
    "exp_gumbel": (lambda L, r, a, b: (L.distributions.Exponential(r), L.distributions.Gumbel(a, b)),
                   [pos(3), real(3), pos(3)]),
    "gamma_gumbel": (lambda L, c, r, a, b: (L.distributions.Gamma(c, r), L.distributions.Gumbel(a, b)),
                     [pos(3), pos(3), real(3), pos(3)]),
    "normal_gumbel": (lambda L, m, s, a, b: (L.distributions.Normal(m, s), L.distributions.Gumbel(a, b)),
                      [real(3), pos(3), real(3), pos(3)]),
    "unif_gumbel": (lambda L, lo, w, a, b: (L.distributions.Uniform(lo, lo + w), L.distributions.Gumbel(a, b)),
                    [real(3), pos(3), real(3), pos(3)]),
    "gumbel_normal": (lambda L, a, b, m, s: (L.distributions.Gumbel(a, b), L.distributions.Normal(m, s)),
                      [real(3), pos(3), real(3), pos(3)]),
    "pareto_exp": (lambda L, s, a, r: (L.distributions.Pareto(s, a), L.distributions.Exponential(r)),
                   [pos(3), np.array([0.5, 1.5, 3.0]), pos(3)]),
    "pareto_gamma": (lambda L, s, a, c, r: (L.distributions.Pareto(s, a), L.distributions.Gamma(c, r)),
                     [pos(3), np.array([0.5, 1.5, 3.0]), pos(3), pos(3)]),
    "pareto_normal": (lambda L, s, a, m, sd: (L.distributions.Pareto(s, a), L.distributions.Normal(m, sd)),
                      [pos(3), np.array([1.5, 2.5, 4.0]), real(3), pos(3)]),
    "unif_pareto": (lambda L, lo, w, s, a: (L.distributions.Uniform(lo, lo + w), L.distributions.Pareto(s, a)),
                    [np.array([0.5, 1.0, 2.0]), pos(3), np.array([0.4, 1.5, 1.0]), pos(3)]),
    "inf_gumbel_beta": (lambda L, a, b, c, e: (L.distributions.Gumbel(a, b), L.distributions.Beta(c, e)),
                        [real(3), pos(3), pos(3), pos(3)]),
    "inf_normal_pareto": (lambda L, a, b, c, e: (L.distributions.Normal(a, b), L.distributions.Pareto(c, e)),
                          [real(3), pos(3), pos(3), pos(3)]),
}


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name", list(KL_CASES))
def test_kl_divergence_matches_torch(name, dt):
    build, params = KL_CASES[name]
    tol = dict(rtol=1e-9, atol=1e-10) if dt == np.float64 else dict(rtol=5e-4, atol=5e-5)
    compare_fn(lambda L, *ts: L.distributions.kl_divergence(*build(L, *ts)),
               *[np.asarray(p, dtype=dt) for p in params], grad=not name.startswith("inf"), **tol)


def test_kl_registry_covers_torch_pairs():
    import torch.distributions.kl as tkl

    import danlu.distributions.kl as dkl

    ours = {(p.__name__, q.__name__) for p, q in dkl._KL_REGISTRY}
    names = {"LowRankMultivariateNormal", "Cauchy", "HalfNormal", "Geometric", "Gumbel", "Pareto",
             "ContinuousBernoulli"}
    theirs = {(p.__name__, q.__name__) for p, q in tkl._KL_REGISTRY if p.__name__ in names or q.__name__ in names}
    assert theirs <= ours, theirs - ours


def test_lowrank_matrices_match_torch():
    m, w, d = real(2, 3), real(3, 2), pos(3)
    dd = danlu.distributions.LowRankMultivariateNormal(to_danlu(m), to_danlu(w), to_danlu(d))
    tt = TD.LowRankMultivariateNormal(to_torch(m), to_torch(w), to_torch(d))
    for attr in ("covariance_matrix", "precision_matrix", "scale_tril"):
        assert_close(getattr(dd, attr), getattr(tt, attr))
