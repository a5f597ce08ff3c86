"""The structured transforms (softmax, stick breaking, Cholesky, corr-Cholesky, cat/stack, reshape,
independent, CDF), biject_to/transform_to, and LogisticNormal, Kumaraswamy, FisherSnedecor,
InverseGamma, GeneralizedPareto, Wishart, LKJCholesky vs torch.distributions."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.distributions as TD

import danlu
import danlu.distributions as DD
from tests._oracle import assert_close, compare_fn, to_danlu, to_torch


@pytest.fixture(autouse=True)
def _torch_validates_by_default():
    TD.Distribution.set_default_validate_args(True)
    yield


RNG = np.random.default_rng(97)
DT = [np.float64, np.float32]


def _tol(dt):
    return {} if dt == np.float64 else dict(rtol=2e-4, atol=2e-5)


def _spd(*batch, n=3):
    a = RNG.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def _corr_chol(*batch, n=3):
    x = torch.from_numpy(RNG.standard_normal(batch + (n * (n - 1) // 2,)))
    return TD.transforms.CorrCholeskyTransform()(x).numpy()


def _simplex(*shape):
    p = RNG.uniform(0.2, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


# name -> (build(L), x in the domain, y in the codomain)
TRANSFORMS = {
    "softmax": (lambda L: L.distributions.SoftmaxTransform(), RNG.standard_normal((2, 4)), _simplex(2, 4)),
    "stickbreaking": (lambda L: L.distributions.StickBreakingTransform(), RNG.standard_normal((2, 3)),
                      _simplex(2, 4)),
    "lowerchol": (lambda L: L.distributions.LowerCholeskyTransform(), RNG.standard_normal((2, 3, 3)),
                  np.linalg.cholesky(_spd(2))),
    "posdef": (lambda L: L.distributions.PositiveDefiniteTransform(), RNG.standard_normal((2, 3, 3)), _spd(2)),
    "corrchol": (lambda L: L.distributions.CorrCholeskyTransform(), RNG.standard_normal((2, 6)), _corr_chol(2, n=4)),
    "reshape": (lambda L: L.distributions.ReshapeTransform((2, 3), (6,)), RNG.standard_normal((4, 2, 3)),
                RNG.standard_normal((4, 6))),
    "independent": (lambda L: L.distributions.IndependentTransform(L.distributions.ExpTransform(), 1),
                    RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2, (2, 3))),
    "cat": (lambda L: L.distributions.CatTransform([L.distributions.ExpTransform(),
                                                    L.distributions.AffineTransform(1.0, 2.0)], dim=-1,
                                                   lengths=[2, 3]),
            RNG.standard_normal((2, 5)), RNG.uniform(0.5, 2, (2, 5))),
    "cat0": (lambda L: L.distributions.CatTransform([L.distributions.ExpTransform(),
                                                     L.distributions.SigmoidTransform()], dim=0, lengths=[1, 2]),
             RNG.standard_normal((3, 2)), RNG.uniform(0.2, 0.8, (3, 2))),
    "stack": (lambda L: L.distributions.StackTransform([L.distributions.ExpTransform(),
                                                        L.distributions.SigmoidTransform()], dim=1),
              RNG.standard_normal((3, 2)), RNG.uniform(0.2, 0.8, (3, 2))),
    "cdf": (lambda L: L.distributions.CumulativeDistributionTransform(
        L.distributions.Normal(L.tensor(0.5, dtype=L.float64), L.tensor(2.0, dtype=L.float64))),
        RNG.standard_normal((2, 3)), RNG.uniform(0.1, 0.9, (2, 3))),
}


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_transform_matches_torch(name, dt):
    build, x, y = TRANSFORMS[name]
    if name == "cdf":
        dt = np.float64
    x, y = x.astype(dt), y.astype(dt)
    tol = _tol(dt)
    compare_fn(lambda L, a: build(L)(a), x, **tol)
    if name != "posdef":  # the inverse goes through a Cholesky; compared without gradient
        compare_fn(lambda L, b: build(L).inv(b), y, **tol)
    else:
        compare_fn(lambda L, b: build(L).inv(b), y, grad=False, **tol)
    if name not in ("softmax", "lowerchol", "posdef"):  # torch has no log-Jacobian for these
        compare_fn(lambda L, a: build(L).log_abs_det_jacobian(a, build(L)(a)), x, **tol)
        compare_fn(lambda L, b: build(L).inv.log_abs_det_jacobian(b, build(L).inv(b)), y, **tol)
    td, tt = build(danlu), build(torch)
    assert td.bijective == tt.bijective
    assert (td.domain.event_dim, td.codomain.event_dim) == (tt.domain.event_dim, tt.codomain.event_dim)
    assert repr(td.domain) == repr(tt.domain).replace("torch.", "danlu.")
    assert repr(td.codomain) == repr(tt.codomain).replace("torch.", "danlu.")
    assert tuple(td.forward_shape(x.shape)) == tuple(tt.forward_shape(torch.Size(x.shape)))
    assert tuple(td.inverse_shape(y.shape)) == tuple(tt.inverse_shape(torch.Size(y.shape)))
    assert bool(td.codomain.check(td(to_danlu(x))).all())
    if tt.bijective:
        assert_close(td.inv(td(to_danlu(x))), x, **({} if dt == np.float64 else dict(rtol=1e-3, atol=1e-4)))
    try:
        sign = tt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            _ = td.sign
    else:
        assert td.sign == sign


def test_tril_vec_helpers():
    from torch.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix
    a = RNG.standard_normal((2, 4, 4))
    for diag in (-2, -1, 0, 1):
        compare_fn(lambda L, m, d=diag: (DD.transforms.tril_matrix_to_vec(m, d) if L is danlu
                                         else tril_matrix_to_vec(m, d)), a)
        v = tril_matrix_to_vec(torch.from_numpy(a), diag).numpy()
        compare_fn(lambda L, w, d=diag: (DD.transforms.vec_to_tril_matrix(w, d) if L is danlu
                                         else vec_to_tril_matrix(w, d)), v)
    with pytest.raises(ValueError, match="cannot be expressed"):
        DD.transforms.vec_to_tril_matrix(danlu.zeros(5))
    with pytest.raises(ValueError, match="outside"):
        DD.transforms.tril_matrix_to_vec(danlu.zeros(3, 3), 3)


def test_transform_errors_and_cache():
    with pytest.raises(ValueError, match="different numbers of elements"):
        DD.ReshapeTransform((2, 3), (5,))
    with pytest.raises(ValueError, match="flattened lower-diagonal"):
        DD.CorrCholeskyTransform().forward_shape((4,))
    with pytest.raises(AssertionError, match="must equal length"):
        DD.CatTransform([DD.ExpTransform()], dim=0, lengths=[2])(danlu.zeros(3))
    with pytest.raises(AssertionError, match="lengths"):
        DD.CatTransform([DD.ExpTransform()], lengths=[1, 2])
    t = DD.StickBreakingTransform()
    assert t == DD.StickBreakingTransform() and t != DD.SoftmaxTransform()
    c = DD.CatTransform([DD.ExpTransform(), DD.ExpTransform()], dim=0).with_cache(1)
    x = danlu.randn(2)
    assert c.inv(c(x)) is x


CONSTRAINTS = [
    lambda C: C.real, lambda C: C.positive, lambda C: C.nonnegative, lambda C: C.unit_interval,
    lambda C: C.interval(-1.0, 2.0), lambda C: C.half_open_interval(0.0, 3.0), lambda C: C.greater_than(2.0),
    lambda C: C.greater_than_eq(-1.0), lambda C: C.less_than(1.0), lambda C: C.simplex, lambda C: C.real_vector,
    lambda C: C.independent(C.positive, 1), lambda C: C.corr_cholesky, lambda C: C.lower_cholesky,
    lambda C: C.positive_definite, lambda C: C.positive_semidefinite,
    lambda C: C.cat([C.positive, C.real], dim=-1, lengths=[2, 2]), lambda C: C.stack([C.positive, C.real], dim=-1),
]


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("i", range(len(CONSTRAINTS)))
def test_registries_match_torch(registry, i):
    cd, ct = CONSTRAINTS[i](DD.constraints), CONSTRAINTS[i](TD.constraints)
    reg_d, reg_t = getattr(DD, registry), getattr(TD, registry)
    try:
        tt = reg_t(ct)
    except NotImplementedError as e:
        with pytest.raises(NotImplementedError, match=str(e)):
            reg_d(cd)
        return
    td = reg_d(cd)
    assert repr(td).replace("danlu.", "torch.") == repr(tt)
    assert td.bijective == tt.bijective
    shape = {1: (2, 6), 2: (2, 3, 3)}.get(ct.event_dim, (2, 4))
    if isinstance(tt, TD.CorrCholeskyTransform):
        shape = (2, 3)
    if isinstance(tt, TD.StackTransform):
        shape = (3, 2)
    x = RNG.standard_normal(shape)
    assert_close(td(to_danlu(x)), tt(to_torch(x)))
    assert bool(cd.check(td(to_danlu(x))).all())


def _probs(shape):
    return RNG.uniform(0.05, 0.95, shape)


# name -> (build(L, *params), params, value, methods)
DISTS = {
    "logisticnormal": (lambda L, m, s: L.distributions.LogisticNormal(m, s),
                       [RNG.standard_normal((2, 3)), RNG.uniform(0.5, 1.5, (2, 3))], _simplex(3, 2, 4),
                       ("log_prob",)),
    "kumaraswamy": (lambda L, a, b: L.distributions.Kumaraswamy(a, b),
                    [RNG.uniform(1.2, 3, 3), RNG.uniform(1.2, 3, 3)], RNG.uniform(0.1, 0.9, (2, 3)),
                    ("log_prob", "entropy", "mean", "variance", "mode", "cdf", "icdf")),
    "fisher": (lambda L, a, b: L.distributions.FisherSnedecor(a, b),
               [RNG.uniform(2.5, 6, 3), np.array([1.5, 3.0, 7.0])], RNG.uniform(0.2, 3, (2, 3)),
               ("log_prob", "mean", "variance", "mode")),
    "invgamma": (lambda L, a, b: L.distributions.InverseGamma(a, b),
                 [np.array([0.8, 1.5, 3.0]), RNG.uniform(0.5, 2, 3)], RNG.uniform(0.2, 3, (2, 3)),
                 ("log_prob", "entropy", "mean", "variance", "mode", "cdf")),
    "genpareto": (lambda L, a, s, c: L.distributions.GeneralizedPareto(a, s, c),
                  [np.zeros(4), RNG.uniform(0.5, 2, 4), np.array([0.0, 0.3, -0.2, 0.7])],
                  RNG.uniform(0.05, 1.5, (2, 4)),
                  ("log_prob", "entropy", "mean", "variance", "mode", "cdf", "icdf")),
    "wishart": (lambda L, df, c: L.distributions.Wishart(df, covariance_matrix=c),
                [np.array([4.0, 6.5]), _spd(2)], _spd(5, 1), ("log_prob", "entropy", "mean", "variance")),
    "wishart_tril": (lambda L, df, t: L.distributions.Wishart(df, scale_tril=t),
                     [np.array([3.5]), np.linalg.cholesky(_spd(2))], _spd(3, 2), ("log_prob", "entropy", "mode")),
    "wishart_prec": (lambda L, df, p: L.distributions.Wishart(df, precision_matrix=p),
                     [np.array([5.0, 4.0]), _spd(2)], _spd(2), ("log_prob", "mean")),
    "lkj": (lambda L, c: L.distributions.LKJCholesky(4, c), [np.array([0.5, 1.0, 2.5])], _corr_chol(2, 3, n=4),
            ("log_prob",)),
}


@pytest.mark.parametrize("dt", DT)
@pytest.mark.parametrize("name", list(DISTS))
def test_distribution_matches_torch(name, dt):
    build, params, value, methods = DISTS[name]
    params = [np.asarray(p, dtype=dt) for p in params]
    value = np.asarray(value).astype(dt)
    probs = _probs((2,) + tuple(build(torch, *[to_torch(p) for p in params]).batch_shape)).astype(dt)
    tol = _tol(dt)
    if dt == np.float32 and name.startswith("wishart"):
        tol = dict(rtol=1e-3, atol=1e-3)
    for m in methods:
        if name == "genpareto" and dt == np.float64 and m in ("log_prob", "cdf"):
            continue  # torch's isclose against a float32 zero fails for float64 there
        def fn(L, *ts, m=m):
            d = build(L, *ts)
            conv = to_danlu if L is danlu else to_torch
            if m in ("log_prob", "cdf"):
                return getattr(d, m)(conv(value))
            if m == "icdf":
                return d.icdf(conv(probs))
            if m == "entropy":
                return d.entropy()
            return getattr(d, m)
        # torch has no derivative of igamma w.r.t. its first argument (InverseGamma.cdf)
        # (torch's Fisher variance leaks NaN into the df1 gradient where df2 <= 4: values only there)
        grad = not (name == "invgamma" and m == "cdf") and not (name == "fisher" and m == "variance")
        compare_fn(fn, *params, grad=grad, **tol)


@pytest.mark.parametrize("name", list(DISTS))
def test_shapes_support_and_expand(name):
    build, params, _, _ = DISTS[name]
    d, t = build(danlu, *[to_danlu(p) for p in params]), build(torch, *[to_torch(p) for p in params])
    assert tuple(d.batch_shape) == tuple(t.batch_shape) and tuple(d.event_shape) == tuple(t.event_shape)
    assert d.has_rsample == t.has_rsample
    for ss in [(), (3,)]:
        s = d.sample(ss)
        assert tuple(s.shape) == tuple(t.sample(ss).shape)
        assert bool(d.support.check(s).all())
    new_batch = (2,) + tuple(t.batch_shape)
    de, te = d.expand(new_batch), t.expand(new_batch)
    assert type(de) is type(d) and tuple(de.batch_shape) == tuple(te.batch_shape)
    assert tuple(de.sample((2,)).shape) == tuple(te.sample((2,)).shape)
    if name != "genpareto":  # support depends on parameters there
        assert repr(d.support) == repr(t.support).replace("torch.", "danlu.")


@pytest.mark.parametrize("name", ["kumaraswamy", "fisher", "invgamma", "genpareto", "wishart", "logisticnormal"])
def test_sample_moments(name):
    build, params, _, _ = DISTS[name]
    if name in ("fisher", "invgamma", "genpareto"):  # finite variances
        params = {"fisher": [np.array([4.0, 6.0]), np.array([12.0, 15.0])],
                  "invgamma": [np.array([5.0, 7.0]), np.array([1.0, 2.0])],
                  "genpareto": [np.zeros(3), np.array([1.0, 2.0, 0.5]), np.array([0.0, 0.1, -0.3])]}[name]
    danlu.manual_seed(0)
    d = build(danlu, *[to_danlu(np.asarray(p, dtype=np.float64)) for p in params])
    s = d.sample((20000,)).numpy()
    if name == "logisticnormal":
        ref = build(torch, *[to_torch(np.asarray(p, dtype=np.float64)) for p in params])
        torch.manual_seed(0)
        np.testing.assert_allclose(s.mean(0), ref.sample((20000,)).mean(0).numpy(), atol=0.02)
        return
    np.testing.assert_allclose(s.mean(0), d.mean.numpy(), rtol=0.05, atol=0.05)
    np.testing.assert_allclose(s.var(0), d.variance.numpy(), rtol=0.2, atol=0.05)


def test_lkj_sample_marginals():
    danlu.manual_seed(0)
    eta = 2.0
    d = DD.LKJCholesky(3, danlu.tensor(eta, dtype=danlu.float64))
    L = d.sample((20000,)).numpy()
    corr = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(corr, axis1=-2, axis2=-1), 1.0, atol=1e-10)
    # the same onion construction as torch: compare the off-diagonal moments with torch's sampler
    torch.manual_seed(0)
    Lt = TD.LKJCholesky(3, torch.tensor(eta, dtype=torch.float64)).sample((20000,)).numpy()
    ct = Lt @ np.swapaxes(Lt, -1, -2)
    r, rt = corr[:, [1, 2, 2], [0, 0, 1]], ct[:, [1, 2, 2], [0, 0, 1]]
    np.testing.assert_allclose(r.mean(0), 0.0, atol=0.02)
    np.testing.assert_allclose(r.var(0), rt.var(0), rtol=0.05)


def test_wishart_rsample_grad():
    danlu.manual_seed(1)
    cov = to_danlu(_spd(n=2), requires_grad=True)
    W = DD.Wishart(danlu.tensor(5.0, dtype=danlu.float64), covariance_matrix=cov)
    s = W.rsample((4,))
    s.sum().backward()
    assert cov.grad is not None and np.isfinite(cov.grad.numpy()).all()


def test_validation_errors():
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        DD.LKJCholesky(3, danlu.tensor(-1.0))
    with pytest.raises(ValueError, match="greater than or equal to 2"):
        DD.LKJCholesky(1)
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1"):
        DD.Wishart(danlu.tensor(1.0), covariance_matrix=danlu.eye(3))
    with pytest.raises(AssertionError, match="Exactly one of"):
        DD.Wishart(danlu.tensor(4.0))
    with pytest.raises(ValueError, match="Expected parameter concentration"):
        DD.FisherSnedecor(danlu.tensor([-1.0]), danlu.tensor([1.0]))
    with pytest.raises(ValueError, match="Expected parameter scale"):
        DD.GeneralizedPareto(0.0, danlu.tensor([-1.0]), 0.1)
    with pytest.raises(ValueError, match="within the support"):
        DD.Kumaraswamy(danlu.tensor([1.0]), danlu.tensor([2.0])).log_prob(danlu.tensor([1.5]))
    with pytest.raises(ValueError, match="within the support"):
        DD.InverseGamma(danlu.tensor([1.0]), danlu.tensor([2.0])).log_prob(danlu.tensor([-1.5]))
    with pytest.raises(ValueError, match="within the support"):
        DD.LKJCholesky(2).log_prob(danlu.eye(2) * 2)


def test_kl_pairs_follow_torch():
    # torch registers nothing specific for these; Wishart pairs go through the exponential-family KL,
    # InverseGamma/Kumaraswamy pairs through TransformedDistribution (same transforms -> base KL).
    p = (np.array(5.0), _spd(n=2))
    q = (np.array(4.0), _spd(n=2))
    compare_fn(lambda L, a, b, c, e: L.distributions.kl_divergence(
        L.distributions.Wishart(a, covariance_matrix=b), L.distributions.Wishart(c, covariance_matrix=e)),
        *p, *q, rtol=1e-8, atol=1e-9)
    with pytest.raises(NotImplementedError):
        DD.kl_divergence(DD.LKJCholesky(3), DD.LKJCholesky(3))
