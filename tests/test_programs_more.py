"""More complete programs run under torch and under ``import danlu as torch`` (see
``tests/test_programs.py`` for the harness and the rules): the namespaces course code reaches for
beyond the basics -- ``torch.distributions`` in a VAE step and a REINFORCE loss, ``torch.func``,
``torch.utils.checkpoint``, ``torch.amp``, ``torch.special``, ``torch.autograd.forward_ad``,
``torch.nn.utils.parametrizations`` and ``torch.linalg``.

Every random number is drawn from NumPy (``rng.standard_normal``), never from a library stream.
"""
from __future__ import annotations

import warnings

import pytest

from tests.test_programs import check_program

# torch's first forward-mode call (torch.func.jvp / jacfwd) imports
# torch._decomp.decompositions_for_jvp, which raises a batch of one-time "torch.jit.script is
# deprecated" warnings from inside torch. They are torch's import-time noise, not the program's,
# so the module is imported here, before any program runs, to keep the warning streams comparable.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import torch._decomp.decompositions_for_jvp  # noqa: F401

DISTRIBUTIONS = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import (Normal, Independent, MultivariateNormal, Categorical, Bernoulli,
                                 Beta, Gamma, kl_divergence)

rng = np.random.default_rng(21)


def init_(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


class VAE(nn.Module):
    def __init__(self, d=6, h=8, z=2):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(d, h), nn.ReLU())
        self.mu = nn.Linear(h, z)
        self.logvar = nn.Linear(h, z)
        self.dec = nn.Sequential(nn.Linear(z, h), nn.Tanh(), nn.Linear(h, d))

    def forward(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        std = torch.exp(0.5 * logvar)
        q = Normal(mu, std)
        z = mu + std * eps                      # rsample with NumPy noise
        return self.dec(z), q, z


model = init_(VAE())
x = torch.from_numpy(rng.standard_normal((5, 6)).astype(np.float32))
eps = torch.from_numpy(rng.standard_normal((5, 2)).astype(np.float32))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(3):
    opt.zero_grad()
    recon, q, z = model(x, eps)
    prior = Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
    kl = kl_divergence(q, prior).sum()
    rec = F.mse_loss(recon, x, reduction="sum")
    loss = rec + kl
    loss.backward()
    report("vae loss", loss.item())
    report("vae kl", kl)
    report("vae mu grad", model.mu.weight.grad)
    opt.step()
report("vae dec weight", model.dec[2].weight)

# the pieces one by one, values and gradients
mu = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
raw = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
std = F.softplus(raw) + 0.1
q = Normal(mu, std)
v = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
report("normal batch/event", [q.batch_shape, q.event_shape])
report("normal log_prob", q.log_prob(v))
report("normal entropy", q.entropy())
report("normal mean/stddev/variance", [q.mean, q.stddev, q.variance])
report("normal cdf/icdf", [q.cdf(v), q.icdf(torch.full((4, 3), 0.3))])
kl = kl_divergence(q, Normal(0.0, 1.0)).sum()
report("kl to standard normal", kl)
total = q.log_prob(v).sum() + q.entropy().sum() + kl
g_mu, g_raw = torch.autograd.grad(total, [mu, raw])
report("normal grads", [g_mu, g_raw])
report("rsample shape", q.rsample((2,)).shape)
report("sample requires_grad", [q.sample().requires_grad, q.rsample().requires_grad])

ind = Independent(Normal(mu, std), 1)
report("independent shapes", [ind.batch_shape, ind.event_shape])
report("independent log_prob", ind.log_prob(v))
report("independent entropy", ind.entropy())
report("independent kl", kl_divergence(ind, Independent(Normal(torch.zeros(4, 3), torch.ones(4, 3)), 1)))

A = rng.standard_normal((3, 3)).astype(np.float32)
L = torch.from_numpy(np.tril(A, -1) + np.diag(np.abs(np.diag(A)) + 0.5)).requires_grad_()
loc = torch.from_numpy(rng.standard_normal(3).astype(np.float32)).requires_grad_()
mvn = MultivariateNormal(loc, scale_tril=L)
lp = mvn.log_prob(v)
report("mvn log_prob", lp)
report("mvn entropy", mvn.entropy())
report("mvn covariance", mvn.covariance_matrix)
report("mvn shapes", [mvn.batch_shape, mvn.event_shape])
report("mvn grads", list(torch.autograd.grad(lp.sum(), [loc, L])))
cov = torch.from_numpy((A @ A.T + 3 * np.eye(3)).astype(np.float32))
mvn2 = MultivariateNormal(torch.zeros(3), covariance_matrix=cov)
report("mvn cov scale_tril", mvn2.scale_tril)
report("mvn kl", kl_divergence(MultivariateNormal(loc.detach(), scale_tril=L.detach()), mvn2))

# REINFORCE with fixed actions
policy = init_(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)))
states = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
actions = torch.tensor([0, 2, 1, 1, 0, 2])
returns = torch.from_numpy(rng.standard_normal(6).astype(np.float32))
popt = torch.optim.SGD(policy.parameters(), lr=0.1)
for step in range(2):
    popt.zero_grad()
    dist = Categorical(logits=policy(states))
    logp = dist.log_prob(actions)
    ent = dist.entropy()
    loss = -(logp * returns).mean() - 0.01 * ent.mean()
    loss.backward()
    report("reinforce logp", logp)
    report("reinforce entropy", ent)
    report("reinforce probs", dist.probs)
    report("reinforce grad", policy[2].weight.grad)
    popt.step()
report("categorical shapes", [dist.batch_shape, dist.event_shape, dist.param_shape])
cat_p = Categorical(probs=torch.tensor([0.2, 0.3, 0.5]))
report("categorical probs", [cat_p.logits, cat_p.log_prob(torch.tensor([2, 0])), cat_p.entropy()])
report("categorical kl", kl_divergence(cat_p, Categorical(logits=torch.zeros(3))))

lg = torch.from_numpy(rng.standard_normal(5).astype(np.float32)).requires_grad_()
bern = Bernoulli(logits=lg)
tgt = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
blp = bern.log_prob(tgt)
report("bernoulli log_prob", blp)
report("bernoulli probs/entropy/mean/variance", [bern.probs, bern.entropy(), bern.mean, bern.variance])
report("bernoulli grad", torch.autograd.grad(blp.sum() + bern.entropy().sum(), lg)[0])

ca = torch.tensor([0.5, 2.0, 3.0], requires_grad=True)
cb = torch.tensor([1.5, 0.7, 3.0], requires_grad=True)
beta = Beta(ca, cb)
bx = torch.tensor([0.2, 0.6, 0.9])
blp = beta.log_prob(bx)
report("beta log_prob", blp)
report("beta mean/variance/entropy", [beta.mean, beta.variance, beta.entropy()])
report("beta grads", list(torch.autograd.grad(blp.sum() + beta.entropy().sum(), [ca, cb])))
gc = torch.tensor([0.5, 2.0, 4.0], requires_grad=True)
gr = torch.tensor([1.0, 0.5, 2.0], requires_grad=True)
gamma = Gamma(gc, gr)
gx = torch.tensor([0.3, 1.7, 2.5])
glp = gamma.log_prob(gx)
report("gamma log_prob", glp)
report("gamma mean/variance/entropy", [gamma.mean, gamma.variance, gamma.entropy()])
report("gamma grads", list(torch.autograd.grad(glp.sum() + gamma.entropy().sum(), [gc, gr])))
report("gamma kl", kl_divergence(gamma, Gamma(torch.ones(3), torch.ones(3))))
try:
    Normal(torch.zeros(2), -torch.ones(2))
except ValueError as e:
    report("invalid scale", type(e).__name__)
'''


FUNC = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, vmap, grad, jacrev, jacfwd, hessian, jvp, vjp

rng = np.random.default_rng(22)
model = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
params = {k: v.detach() for k, v in model.named_parameters()}
X = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
Y = torch.tensor([0, 2, 1, 1, 0, 2])


def loss_fn(params, x, y):
    logits = functional_call(model, params, (x.unsqueeze(0),))
    return F.cross_entropy(logits, y.unsqueeze(0))


per_example = vmap(grad(loss_fn), in_dims=(None, 0, 0))(params, X, Y)
report("per-example grad keys", list(per_example.keys()))
for k, g in per_example.items():
    report("per-example grad " + k, g)
# the mean of per-example gradients is the batch gradient
model.zero_grad()
F.cross_entropy(model(X), Y).backward()
report("mean per-example == batch grad",
       [torch.allclose(per_example[k].mean(0), p.grad, atol=1e-6) for k, p in model.named_parameters()])
report("functional_call out", functional_call(model, params, (X,)))
report("vmap of model", vmap(model)(X))
report("vmap in_dims 1", vmap(torch.dot, in_dims=(1, None))(X.T, torch.ones(4)))


def f(x):
    return torch.stack([x[0] * x[1] ** 2, torch.sin(x[2]) * x[0], (x ** 3).sum()])


x0 = torch.tensor([0.5, -1.2, 2.0])
report("jacrev", jacrev(f)(x0))
report("jacfwd", jacfwd(f)(x0))


def g(x):
    return (x[0] ** 2 * x[1] + torch.exp(x[1] * x[2]) - torch.log1p(x[2] ** 2)).sum()


report("hessian", hessian(g)(x0))
report("grad", grad(g)(x0))
out, tangent = jvp(f, (x0,), (torch.tensor([1.0, 0.5, -2.0]),))
report("jvp", [out, tangent])
out, vjp_fn = vjp(f, x0)
report("vjp", vjp_fn(torch.tensor([1.0, -1.0, 0.5])))
report("jacrev argnums", jacrev(lambda a, b: a * b.sum(), argnums=(0, 1))(x0, x0 + 1))
report("vmap grad batch", vmap(grad(lambda v: (v.sin() ** 2).sum()))(X))
'''


CHECKPOINT = r'''
import numpy as np
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

rng = np.random.default_rng(23)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.lin1 = nn.Linear(d, d)
        self.ln = nn.LayerNorm(d)
        self.lin2 = nn.Linear(d, d)

    def forward(self, x):
        return x + self.lin2(torch.relu(self.ln(self.lin1(x))))


class Net(nn.Module):
    def __init__(self, use_ckpt):
        super().__init__()
        self.use_ckpt = use_ckpt
        self.blocks = nn.ModuleList([Block(6) for _ in range(3)])
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        for b in self.blocks:
            x = checkpoint(b, x, use_reentrant=False) if self.use_ckpt else b(x)
        return self.head(x)


plain, ckpt = Net(False), Net(True)
with torch.no_grad():
    for p in plain.parameters():
        p.copy_(torch.from_numpy(0.4 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
ckpt.load_state_dict(plain.state_dict())
x = torch.from_numpy(rng.standard_normal((4, 6)).astype(np.float32)).requires_grad_()
x2 = x.detach().clone().requires_grad_()
y = torch.from_numpy(rng.standard_normal((4, 2)).astype(np.float32))
for net, inp, tag in ((plain, x, "plain"), (ckpt, x2, "checkpoint")):
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for step in range(2):
        opt.zero_grad()
        inp.grad = None
        loss = ((net(inp) - y) ** 2).mean()
        loss.backward()
        report(tag + " loss", loss.item())
        report(tag + " input grad", inp.grad)
        report(tag + " grads", [p.grad for p in net.parameters()])
        opt.step()
report("same grads", all(torch.allclose(a.grad, b.grad) for a, b in zip(plain.parameters(), ckpt.parameters())))
seq = nn.Sequential(*[nn.Linear(6, 6) for _ in range(4)])
with torch.no_grad():
    for p in seq.parameters():
        p.copy_(torch.from_numpy(0.4 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
xs = x.detach().clone().requires_grad_()
out = checkpoint_sequential(seq, 2, xs, use_reentrant=False)
out.sum().backward()
report("checkpoint_sequential out", out)
report("checkpoint_sequential grad", [xs.grad, seq[0].weight.grad])
with torch.no_grad():
    report("checkpoint under no_grad", checkpoint(seq, xs, use_reentrant=False).requires_grad)
'''


AMP = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(24)
lin = nn.Linear(8, 4)
conv = nn.Conv2d(2, 3, 3, padding=1)
with torch.no_grad():
    for p in list(lin.parameters()) + list(conv.parameters()):
        p.copy_(torch.from_numpy(0.3 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
x = torch.from_numpy(rng.standard_normal((5, 8)).astype(np.float32))
img = torch.from_numpy(rng.standard_normal((2, 2, 5, 5)).astype(np.float32))
report("autocast enabled before", torch.is_autocast_enabled("cpu"))
with torch.autocast("cpu", dtype=torch.float16):
    report("autocast enabled inside", torch.is_autocast_enabled("cpu"))
    report("autocast dtype", torch.get_autocast_dtype("cpu"))
    y = lin(x)
    c = conv(img)
    s = y.sum()
    r = torch.relu(c)
    m = x @ x.T
    loss = F.mse_loss(y, torch.zeros(5, 4))
report("linear out", y)
report("conv out", c)
report("sum/relu dtypes", [s.dtype, r.dtype])
report("matmul", m)
report("loss dtype", loss.dtype)
report("weights stay float32", lin.weight.dtype)
with torch.autocast("cpu", dtype=torch.float16, enabled=False):
    report("disabled", lin(x).dtype)
with torch.autocast("cpu", dtype=torch.float16):
    with torch.autocast("cpu", enabled=False):
        report("nested off", lin(x).dtype)

# GradScaler over a few SGD steps, one with an injected inf gradient
net = nn.Linear(8, 1)
with torch.no_grad():
    net.weight.copy_(torch.from_numpy(0.3 * rng.standard_normal((1, 8)).astype(np.float32)))
    net.bias.zero_()
opt = torch.optim.SGD(net.parameters(), lr=0.05)
scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=2)
target = torch.from_numpy(rng.standard_normal((5, 1)).astype(np.float32))
for step in range(5):
    opt.zero_grad()
    loss = F.mse_loss(net(x), target)
    scaler.scale(loss).backward()
    report("scaled grad", net.weight.grad)
    if step == 2:
        net.weight.grad[0, 0] = float("inf")
    scaler.unscale_(opt)
    report("unscaled grad", net.weight.grad)
    scaler.step(opt)
    scaler.update()
    report("scale", scaler.get_scale())
    report("weight", net.weight)
    report("bias", net.bias)
report("scaler state", {k: v for k, v in scaler.state_dict().items() if k != "_growth_tracker"})
report("growth tracker", scaler.state_dict()["_growth_tracker"])
'''


MISC = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.autograd.forward_ad as fwAD
from torch.nn.utils import parametrizations, parametrize

rng = np.random.default_rng(25)
x = torch.from_numpy(rng.uniform(0.05, 0.95, 6).astype(np.float32))
y = torch.from_numpy(rng.standard_normal(6).astype(np.float32))
S = torch.special
report("erf/erfc/erfinv", [S.erf(y), S.erfc(y), S.erfinv(x * 2 - 1)])
report("expit/logit", [S.expit(y), S.logit(x), S.logit(torch.tensor([0.0, 1e-8]), eps=1e-6)])
report("gammaln/digamma/polygamma", [S.gammaln(x * 5), S.digamma(x * 5), S.polygamma(1, x * 5)])
report("i0/i0e/i1/i1e", [S.i0(y), S.i0e(y), S.i1(y), S.i1e(y)])
report("ndtr/ndtri/log_ndtr", [S.ndtr(y), S.ndtri(x), S.log_ndtr(y)])
report("xlogy/xlog1py", [S.xlogy(torch.tensor([0.0, 2.0, 3.0]), torch.tensor([0.0, 3.0, 0.5])),
                         S.xlog1py(torch.tensor([0.0, 2.0]), torch.tensor([-1.0, 3.0]))])
report("bessel_j0/j1", [S.bessel_j0(y * 3), S.bessel_j1(y * 3)])
report("chebyshev_t", [S.chebyshev_polynomial_t(y.clamp(-1, 1), 3),
                       S.chebyshev_polynomial_t(torch.tensor([0.5, 2.0]), torch.tensor([4, 5]))])
report("misc special", [S.sinc(y), S.entr(x), S.log_softmax(y, 0), S.softmax(y, 0), S.logsumexp(y, 0),
                        S.multigammaln(x + 2, 2), S.round(y * 3), S.exp2(y), S.expm1(y), S.log1p(x)])
yg = y.clone().requires_grad_()
xg = x.clone().requires_grad_()
tot = (S.erf(yg) + S.expit(yg) + S.gammaln(xg * 5) + S.logit(xg) + S.xlogy(xg, xg + 1) + S.i0(yg)).sum()
report("special grads", list(torch.autograd.grad(tot, [yg, xg])))

# forward-mode AD through an MLP
mlp = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2))
with torch.no_grad():
    for p in mlp.parameters():
        p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
inp = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
tan = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
with fwAD.dual_level():
    dual = fwAD.make_dual(inp, tan)
    out = mlp(dual)
    primal, tangent = fwAD.unpack_dual(out)
    report("fwad primal", primal)
    report("fwad tangent", tangent)
    report("fwad unpack plain", fwAD.unpack_dual(inp).tangent is None)
jac_t = torch.autograd.functional.jvp(mlp, inp, tan)[1]
report("fwad tangent equals jvp", torch.allclose(tangent, jac_t, atol=1e-6))

# parametrizations
lin = nn.Linear(4, 4)
W = torch.from_numpy(rng.standard_normal((4, 4)).astype(np.float32))
orth = parametrizations.orthogonal(nn.Linear(4, 4))
with torch.no_grad():
    orth.weight = W.clone()
report("orthogonal registered", parametrize.is_parametrized(orth, "weight"))
report("orthogonal WtW", orth.weight.T @ orth.weight)
report("orthogonal state keys", sorted(orth.state_dict().keys()))
sn_lin = nn.Linear(4, 3)
with torch.no_grad():
    sn_lin.weight.copy_(W[:3])
    sn_lin.bias.zero_()
sn = parametrizations.spectral_norm(sn_lin, n_power_iterations=30)
sn.eval()
report("spectral_norm original", sn.parametrizations.weight.original)
report("spectral_norm sigma", torch.linalg.matrix_norm(sn.weight, ord=2))
report("spectral_norm out", sn(inp))
report("spectral_norm keys", sorted(sn.state_dict().keys()))


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


parametrize.register_parametrization(lin, "weight", Symmetric())
with torch.no_grad():
    lin.parametrizations.weight.original.copy_(W)
report("custom parametrization", lin.weight)
parametrize.remove_parametrizations(lin, "weight")
report("removed", [parametrize.is_parametrized(lin), lin.weight])

# linalg
A = torch.from_numpy(rng.standard_normal((3, 3)).astype(np.float32))
report("matrix_exp", torch.linalg.matrix_exp(0.5 * A))
Ag = A.clone().requires_grad_()
report("matrix_exp grad", torch.autograd.grad(torch.linalg.matrix_exp(0.5 * Ag).sum(), Ag)[0])
M = A + 4 * torch.eye(3)
B = torch.from_numpy(rng.standard_normal((3, 2)).astype(np.float32))
LU, piv = torch.linalg.lu_factor(M)
report("lu_factor", [LU, piv])
report("lu_solve", torch.linalg.lu_solve(LU, piv, B))
P, L, U = torch.linalg.lu(M)
report("lu", [P, L, U])
T = torch.tril(M)
report("solve_triangular", torch.linalg.solve_triangular(T, B, upper=False))
report("solve_triangular left=False", torch.linalg.solve_triangular(T.T, B.T, upper=True, left=False))
Tg = T.clone().requires_grad_()
report("solve_triangular grad", torch.autograd.grad(torch.linalg.solve_triangular(Tg, B, upper=False).sum(), Tg)[0])
report("qr", list(torch.linalg.qr(M)))
report("slogdet", list(torch.linalg.slogdet(M)))
report("pinv", torch.linalg.pinv(B))
report("lstsq", torch.linalg.lstsq(B, torch.ones(3, 1)).solution)
report("vector_norm", torch.linalg.vector_norm(A, ord=3, dim=1))
report("matrix_power", torch.linalg.matrix_power(M, 3))
report("inv_ex", torch.linalg.inv_ex(M).info)
try:
    torch.linalg.cholesky(-torch.eye(2))
except torch.linalg.LinAlgError as e:
    report("cholesky error", str(e))
    report("LinAlgError is RuntimeError", isinstance(e, RuntimeError))
try:
    torch.linalg.inv(torch.zeros(2, 2))
except torch.linalg.LinAlgError as e:
    report("singular inverse", str(e))
report("cholesky_ex info", torch.linalg.cholesky_ex(-torch.eye(2)).info)
'''


PROGRAMS = {
    "distributions": DISTRIBUTIONS,
    "func": FUNC,
    "checkpoint": CHECKPOINT,
    "misc": MISC,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_matches_torch(name, tmp_path):
    check_program(PROGRAMS[name], tmp_path)


def test_amp_program_matches_torch(tmp_path):
    """float16 outputs of autocast regions hold ~3 significant decimal digits (10-bit mantissa:
    one ulp is up to 2**-10 ~ 1e-3 relative). torch and danlu both accumulate a half GEMM in
    float32 and round once, but in different summation orders, so a value sitting on a rounding
    tie can come out one float16 ulp apart (seen for conv2d): compare at rtol 2e-3 / atol 2e-3
    instead of the float32 tolerance."""
    check_program(AMP, tmp_path, rtol=2e-3, atol=2e-3)
