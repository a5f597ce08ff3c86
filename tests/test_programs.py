"""danlu's first promise, checked end to end: a PyTorch program runs with ``import danlu as torch``
and reports the same numbers.

Each program below is plain PyTorch source, written as a PyTorch user writes it (``import torch``,
``import torch.nn as nn``, ``from torch.utils.data import DataLoader`` ...). It is executed twice
with ``exec`` in a fresh namespace: once with the real torch, once with every ``torch`` /
``torch.*`` import resolved to ``danlu`` / ``danlu.*``. The program calls ``report(name, value)``
(injected into its globals) for whatever it would print; the two report streams must agree:
numbers and tensors to float32 tolerance (rtol 1e-4, atol 1e-5), tensor dtypes and shapes,
Python types of scalars (``int`` vs ``float``), strings exactly, and the warnings each run raised.

The only normalisation is danlu's deliberate naming difference: reprs that name the module
(``danlu.Size([2])``, ``danlu.float32``) say ``danlu.`` where torch says ``torch.``. Random
streams also differ deliberately, so the programs initialise every weight and draw every sample
from NumPy (``np.random.default_rng``) and use dropout only in eval mode or with p=0.
"""
from __future__ import annotations

import builtins
import math
import warnings

import numpy as np
import pytest
import torch

import danlu

RTOL, ATOL = 1e-4, 1e-5


# --------------------------------------------------------------------------------------------
# running a program under either library
# --------------------------------------------------------------------------------------------

def _builtins_for(lib: str) -> dict:
    """A copy of the builtins whose ``__import__`` maps ``torch[.x]`` to ``danlu[.x]`` for danlu."""
    table = dict(vars(builtins))
    if lib == "torch":
        return table
    real_import = builtins.__import__

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and (name == "torch" or name.startswith("torch.")):
            name = "danlu" + name[len("torch"):]
        return real_import(name, globals, locals, fromlist, level)

    table["__import__"] = _import
    return table


def _normalise(value, lib: str):
    """A library-neutral, comparable form of a reported value."""
    if isinstance(value, (torch.Tensor, danlu.Tensor)):
        assert isinstance(value, danlu.Tensor if lib == "danlu" else torch.Tensor), \
            f"the {lib} run reported a {type(value)!r}"
        arr = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) \
            else value.detach().numpy()
        return ("tensor", str(value.dtype).split(".")[-1], tuple(value.shape), np.array(arr))
    if isinstance(value, (torch.dtype, danlu.dtype)):
        assert isinstance(value, danlu.dtype if lib == "danlu" else torch.dtype), value
        return ("dtype", str(value).split(".")[-1])
    if isinstance(value, str):
        return value.replace("danlu.", "torch.") if lib == "danlu" else value
    if isinstance(value, dict):
        return {k: _normalise(v, lib) for k, v in value.items()}
    if isinstance(value, tuple) and type(value).__name__ == "Size":
        return ("Size", tuple(int(s) for s in value))
    if isinstance(value, list):
        return [_normalise(v, lib) for v in value]
    if isinstance(value, tuple):  # named tuples (torch.return_types) compare as plain tuples
        return tuple(_normalise(v, lib) for v in value)
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.name, value.shape, value)
    if isinstance(value, (bool, int, float, type(None))):
        return value
    raise TypeError(f"report() of unsupported value {type(value)!r}")


def run_program(source: str, lib: str, tmp_path) -> list:
    """Execute ``source`` with ``torch`` meaning ``lib``; return its [(name, value), ...] reports."""
    reports: list = []
    out_dir = tmp_path / lib
    out_dir.mkdir(exist_ok=True)
    namespace = {
        "__builtins__": _builtins_for(lib),
        "__name__": "__main__",
        "report": lambda name, value: reports.append((name, _normalise(value, lib))),
        "TMPDIR": str(out_dir),
    }
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(source, f"<program:{lib}>", "exec"), namespace)
    reports.append(("warnings", [_normalise(f"{w.category.__name__}: {w.message}", lib)
                                 for w in caught]))
    return reports


def _same(got, want, where: str, rtol: float = RTOL, atol: float = ATOL) -> None:
    if isinstance(want, tuple) and want and want[0] == "tensor":
        assert isinstance(got, tuple) and got and got[0] == "tensor", f"{where}: {got!r} vs tensor"
        _, gdt, gshape, garr = got
        _, wdt, wshape, warr = want
        assert gdt == wdt, f"{where}: dtype {gdt} != torch {wdt}"
        assert gshape == wshape, f"{where}: shape {gshape} != torch {wshape}"
        if warr.dtype.kind in "fc":
            np.testing.assert_allclose(garr, warr, rtol=rtol, atol=atol, equal_nan=True,
                                       err_msg=where)
        else:
            np.testing.assert_array_equal(garr, warr, err_msg=where)
        return
    if isinstance(want, tuple) and want and want[0] == "ndarray":
        assert isinstance(got, tuple) and got[:3] == want[:3], f"{where}: {got[:3]} != {want[:3]}"
        np.testing.assert_allclose(got[3], want[3], rtol=rtol, atol=atol, err_msg=where)
        return
    assert type(got) is type(want), f"{where}: type {type(got).__name__} != torch {type(want).__name__}" \
        f" ({got!r} vs {want!r})"
    if isinstance(want, dict):
        assert list(got) == list(want), f"{where}: keys {list(got)} != torch {list(want)}"
        for k in want:
            _same(got[k], want[k], f"{where}[{k!r}]", rtol, atol)
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), f"{where}: length {len(got)} != torch {len(want)}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{where}[{i}]", rtol, atol)
    elif isinstance(want, float):
        assert math.isclose(got, want, rel_tol=rtol, abs_tol=atol) or (
            math.isnan(got) and math.isnan(want)), f"{where}: {got!r} != torch {want!r}"
    else:
        assert got == want, f"{where}:\n{got!r}\n!= torch\n{want!r}"


def check_program(source: str, tmp_path, rtol: float = RTOL, atol: float = ATOL) -> None:
    """Run ``source`` under torch and danlu; every report must agree (floats to ``rtol``/``atol``)."""
    want = run_program(source, "torch", tmp_path)
    got = run_program(source, "danlu", tmp_path)
    names_w = [n for n, _ in want]
    names_g = [n for n, _ in got]
    assert names_g == names_w, f"report sequence differs:\n{names_g}\n!= torch\n{names_w}"
    for i, ((name, g), (_, w)) in enumerate(zip(got, want)):
        _same(g, w, f"report #{i} {name!r}", rtol, atol)
    assert len(want) > 1, "the program reported nothing"


# --------------------------------------------------------------------------------------------
# the programs
# --------------------------------------------------------------------------------------------

QUICKSTART = r'''
import os
import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
X = rng.standard_normal((96, 2, 4)).astype(np.float32)
w_true = rng.standard_normal((8, 3)).astype(np.float32)
y = (X.reshape(96, 8) @ w_true).argmax(1)

training_data = TensorDataset(torch.from_numpy(X[:64]), torch.from_numpy(y[:64]))
test_data = TensorDataset(torch.from_numpy(X[64:]), torch.from_numpy(y[64:]))
train_dataloader = DataLoader(training_data, batch_size=16, shuffle=False)
test_dataloader = DataLoader(test_data, batch_size=16)

for X_, y_ in test_dataloader:
    report("shape of X", str(X_.shape))
    report("shape of y", f"{y_.shape} {y_.dtype}")
    break

device = "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(8, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 3),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(0.4 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
report("model", str(model))
report("n_params", sum(p.numel() for p in model.parameters()))
report("trainable", sum(p.numel() for p in model.parameters() if p.requires_grad))

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss, current = loss.item(), (batch + 1) * len(X)
        report("train loss", f"loss: {loss:>7.4f}  [{current:>5d}/{size:>5d}]")
        report("train loss value", loss)


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    report("test", f"Test Error: Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8.4f}")
    return correct, test_loss


epochs = 3
for t in range(epochs):
    report("epoch", f"Epoch {t+1}")
    train(train_dataloader, model, loss_fn, optimizer)
    acc, avg = test(test_dataloader, model, loss_fn)
    report("accuracy", acc)
    report("avg loss", avg)
    scheduler.step()
    report("lr", scheduler.get_last_lr())
    report("lr group", optimizer.param_groups[0]["lr"])

report("momentum buffer", optimizer.state[model.linear_relu_stack[0].weight]["momentum_buffer"])
for name, p in model.named_parameters():
    report("param " + name, p)
    report("checksum " + name, p.sum().item())

path = os.path.join(TMPDIR, "model.pth")
torch.save(model.state_dict(), path)
report("state_dict keys", list(model.state_dict().keys()))
report("state_dict shapes", [tuple(v.shape) for v in model.state_dict().values()])

model2 = NeuralNetwork().to(device)
model2.load_state_dict(torch.load(path, weights_only=True))
model2.eval()
model.eval()
xs = torch.from_numpy(X[64:])
with torch.no_grad():
    p1 = model(xs).argmax(1)
    p2 = model2(xs).argmax(1)
    logits = model2(xs[:4])
report("predictions", p2)
report("same after reload", bool((p1 == p2).all()))
report("logits after reload", logits)
classes = ["a", "b", "c"]
report("predicted", f'Predicted: "{classes[logits[0].argmax(0)]}", Actual: "{classes[y[64]]}"')
'''


AUTOGRAD = r'''
import numpy as np
import torch

rng = np.random.default_rng(1)


class MyExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result


class MulConstant(torch.autograd.Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


x = torch.tensor(rng.standard_normal(5), dtype=torch.float32, requires_grad=True)
y = MyExp.apply(x)
report("myexp", y)
report("myexp grad_fn is set", y.grad_fn is not None)
y.sum().backward()
report("myexp grad", x.grad)

x.grad = None
z = MulConstant.apply(x, 3.0)
(z * z).sum().backward()
report("mulconstant grad", x.grad)

inp = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32)).requires_grad_()
w = torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)).requires_grad_()
b = torch.zeros(2, requires_grad=True)
out = LinearFunction.apply(inp, w, b)
out.pow(2).sum().backward()
report("linear out", out)
report("linear grads", [inp.grad, w.grad, b.grad])
w2 = w.detach()
out2 = LinearFunction.apply(inp, w2)
report("no-grad weight", out2.requires_grad)

# higher-order derivatives
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = (x ** 3 + torch.sin(x) * x).sum()
(g,) = torch.autograd.grad(y, x, create_graph=True)
report("first derivative", g)
report("first derivative requires grad", g.requires_grad)
(h,) = torch.autograd.grad(g.sum(), x, create_graph=True)
report("second derivative", h)
(t,) = torch.autograd.grad(h.sum(), x)
report("third derivative", t)
x.grad = None
g2, = torch.autograd.grad(y, x, create_graph=True)
(g2 * g2).sum().backward()
report("grad of grad-norm via backward", x.grad)

# hooks, retain_grad
a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
seen = []
handle = a.register_hook(lambda grad: grad * 2)
b = a * a
b.retain_grad()
b.register_hook(lambda grad: seen.append(grad.clone()))
c = b.sum() * 3
c.backward()
report("hooked leaf grad", a.grad)
report("retained grad", b.grad)
report("hook saw", seen)
report("is_leaf", [a.is_leaf, b.is_leaf, c.is_leaf])
handle.remove()
a.grad.zero_()
(a * a).sum().backward()
report("after hook removed", a.grad)

# requires_grad_, detach, in-place on non-leaves
p = torch.ones(3)
report("requires_grad before", p.requires_grad)
p.requires_grad_()
q = p * 2
q.add_(1)
q.mul_(torch.tensor([1.0, 2.0, 3.0]))
q[0] = 10.0
r = q.detach()
report("detached requires_grad", r.requires_grad)
r2 = q.clamp(min=4.0)
(q.sum() + (r2 ** 2).sum()).backward()
report("in-place grad", p.grad)
report("q", q)

# no_grad / enable_grad
x = torch.tensor([2.0], requires_grad=True)
with torch.no_grad():
    y = x * 2
    with torch.enable_grad():
        z = x * 3
report("no_grad", [y.requires_grad, z.requires_grad, torch.is_grad_enabled()])


@torch.no_grad()
def doubler(t):
    return t * 2


report("decorated no_grad", doubler(x).requires_grad)
torch.set_grad_enabled(False)
report("set_grad_enabled(False)", (x * 2).requires_grad)
torch.set_grad_enabled(True)

# backward(gradient=...)
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = x ** 2 + 3 * x
y.backward(gradient=torch.tensor([[1.0, 0.5], [0.1, 2.0]]))
report("vector-Jacobian product", x.grad)
y = x.exp()
y.backward(torch.ones_like(y), retain_graph=True)
y.backward(torch.ones_like(y))
report("accumulated grad", x.grad)

try:
    torch.tensor([1.0, 2.0], requires_grad=True).pow(2).backward()
    report("non-scalar backward", "no error")
except RuntimeError as e:
    report("non-scalar backward", str(e))

# a tiny linear regression by hand (d2l style)
true_w = torch.tensor([2.0, -3.4])
true_b = 4.2
features = torch.from_numpy(rng.standard_normal((50, 2)).astype(np.float32))
labels = torch.matmul(features, true_w) + true_b
labels += torch.from_numpy(0.01 * rng.standard_normal(50).astype(np.float32))
labels = labels.reshape((-1, 1))
w = torch.zeros(size=(2, 1), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for epoch in range(5):
    for i in range(0, 50, 10):
        X, Y = features[i:i + 10], labels[i:i + 10]
        l = ((X @ w + b - Y) ** 2 / 2).sum()
        l.backward()
        with torch.no_grad():
            for param in [w, b]:
                param -= lr * param.grad / 10
                param.grad.zero_()
    with torch.no_grad():
        train_l = ((features @ w + b - labels) ** 2 / 2)
        report("epoch loss", f"epoch {epoch + 1}, loss {float(train_l.mean()):f}")
report("w", w)
report("b", b)
'''


CNN = r'''
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(2)

def make_model():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 4, kernel_size=3, padding=1)),
        ("bn1", nn.BatchNorm2d(4)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 8, 3, stride=1, padding=1, bias=False)),
        ("bn2", nn.BatchNorm2d(8)),
        ("relu2", nn.ReLU(inplace=True)),
        ("drop", nn.Dropout(p=0.5)),
        ("pool2", nn.AdaptiveAvgPool2d((1, 1))),
        ("flatten", nn.Flatten()),
        ("fc", nn.Linear(8, 5)),
    ]))


def init_(model, seed):
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "bn" in name and name.endswith("weight"):
                p.copy_(torch.from_numpy(1 + 0.1 * g.standard_normal(tuple(p.shape)).astype(np.float32)))
            else:
                p.copy_(torch.from_numpy(0.3 * g.standard_normal(tuple(p.shape)).astype(np.float32)))


model = make_model()
init_(model, 0)
report("model", str(model))
report("named_parameters", [(n, tuple(p.shape)) for n, p in model.named_parameters()])
report("state_dict", [(k, tuple(v.shape), str(v.dtype)) for k, v in model.state_dict().items()])
report("buffers", [n for n, _ in model.named_buffers()])
report("modules", [n for n, _ in model.named_modules()])
report("children", [type(m).__name__ for m in model.children()])

x = torch.from_numpy(rng.standard_normal((6, 1, 8, 8)).astype(np.float32))
target = torch.from_numpy(rng.integers(0, 5, size=6))

optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, total_steps=5)
report("initial lr", optimizer.param_groups[0]["lr"])
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
for step in range(5):
    model.train()
    model.drop.eval()          # dropout frozen while training: random masks differ by design
    optimizer.zero_grad()
    out = model(x)
    loss = criterion(out, target)
    loss.backward()
    report("grad conv1", model.conv1.weight.grad)
    optimizer.step()
    scheduler.step()
    report("loss", loss.item())
    report("lr", optimizer.param_groups[0]["lr"])
    report("betas", optimizer.param_groups[0]["betas"])

report("running_mean", model.bn1.running_mean)
report("running_var", model.bn2.running_var)
report("num_batches_tracked", model.bn1.num_batches_tracked)
report("adam step", optimizer.state[model.fc.weight]["step"])
report("adam exp_avg_sq", optimizer.state[model.fc.weight]["exp_avg_sq"])
model.eval()
report("training flags", [m.training for m in model.modules()])
with torch.no_grad():
    logits = model(x)
    probs = F.softmax(logits, dim=1)
report("eval logits", logits)
report("eval probs", probs)
report("eval pred", probs.argmax(dim=1))
report("state_dict values", model.state_dict())

# a second optimiser/schedule: SGD with SequentialLR(LinearLR, CosineAnnealingLR)
model2 = make_model()
init_(model2, 1)
opt2 = torch.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9, nesterov=True)
warm = torch.optim.lr_scheduler.LinearLR(opt2, start_factor=0.1, total_iters=2)
cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt2, T_max=4, eta_min=1e-3)
sched2 = torch.optim.lr_scheduler.SequentialLR(opt2, schedulers=[warm, cos], milestones=[2])
model2.train()
model2.drop.eval()
for step in range(6):
    opt2.zero_grad()
    loss = F.cross_entropy(model2(x), target)
    loss.backward()
    opt2.step()
    sched2.step()
    report("sgd loss", loss.item())
    report("sgd lr", opt2.param_groups[0]["lr"])
report("sgd fc.bias", model2.fc.bias)

# state_dict round trip between models, then eval outputs agree
model2.load_state_dict(model.state_dict())
model2.eval()
with torch.no_grad():
    report("copied model agrees", torch.allclose(model2(x), logits))
report("opt state_dict keys", list(optimizer.state_dict().keys()))
report("opt param_groups keys", sorted(optimizer.state_dict()["param_groups"][0].keys()))
'''


SEQUENCE = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

rng = np.random.default_rng(3)


def init_(module, scale=0.3):
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))


class Tagger(nn.Module):
    def __init__(self, vocab_size, embed_dim, hidden, n_tags):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden, num_layers=2, batch_first=True, bidirectional=True)
        self.out = nn.Linear(2 * hidden, n_tags)

    def forward(self, tokens, lengths):
        emb = self.embedding(tokens)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        packed_out, (h, c) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
        return self.out(out), out_lengths, h, c


model = Tagger(20, 6, 5, 4)
init_(model)
with torch.no_grad():
    model.embedding.weight[model.embedding.padding_idx].fill_(0)
report("model", str(model))
report("lstm params", [(n, tuple(p.shape)) for n, p in model.lstm.named_parameters()])

lengths = [3, 5, 1, 4]
seqs = [torch.from_numpy(rng.integers(1, 20, size=n)) for n in lengths]
tokens = pad_sequence(seqs, batch_first=True)
report("padded", tokens)
report("padded time-major", pad_sequence(seqs).shape)
tags = torch.from_numpy(rng.integers(0, 4, size=tokens.shape))
tags[tokens == 0] = -100

packed = pack_padded_sequence(model.embedding(tokens), torch.tensor(lengths), batch_first=True,
                              enforce_sorted=False)
report("batch_sizes", packed.batch_sizes)
report("sorted_indices", packed.sorted_indices)
report("unsorted_indices", packed.unsorted_indices)

optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
for step in range(3):
    optimizer.zero_grad()
    logits, out_lengths, h, c = model(tokens, torch.tensor(lengths))
    loss = F.cross_entropy(logits.reshape(-1, 4), tags.reshape(-1), ignore_index=-100)
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    report("loss", loss.item())
    report("grad norm", norm)
    report("clipped grad", model.lstm.weight_hh_l1_reverse.grad)
    report("padding row grad", model.embedding.weight.grad[0])
    optimizer.step()
report("logits", logits)
report("out_lengths", out_lengths)
report("h_n", h)
report("c_n", c)
nn.utils.clip_grad_value_(model.parameters(), clip_value=0.01)
report("clip value", model.out.weight.grad)

# a GRU over the same batch, with an initial state
gru = nn.GRU(6, 4, batch_first=True)
init_(gru)
h0 = torch.from_numpy(rng.standard_normal((1, 4, 4)).astype(np.float32))
emb = model.embedding(tokens).detach().requires_grad_()
gru_out, h_n = gru(emb, h0)
report("gru out", gru_out)
report("gru h_n", h_n)
gru_out.sum().backward()
report("gru input grad", emb.grad)
report("gru weight grad", gru.weight_ih_l0.grad)
cell = nn.LSTMCell(6, 3)
init_(cell)
hx = torch.zeros(4, 3)
cx = torch.zeros(4, 3)
for t in range(tokens.shape[1]):
    hx, cx = cell(emb[:, t], (hx, cx))
report("lstm cell", hx)

# a Transformer encoder layer with a key padding mask
layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0,
                                   batch_first=True)
init_(layer, 0.2)
src = torch.from_numpy(rng.standard_normal((4, 5, 8)).astype(np.float32)).requires_grad_()
key_padding_mask = torch.arange(5)[None, :] >= torch.tensor(lengths)[:, None]
report("mask", key_padding_mask)
enc = layer(src, src_key_padding_mask=key_padding_mask)
valid = ~key_padding_mask
loss = (enc * valid.unsqueeze(-1)).pow(2).sum()
loss.backward()
report("encoder out", enc[valid])
report("encoder src grad", src.grad)
report("encoder in_proj grad", layer.self_attn.in_proj_weight.grad)
report("encoder linear2 grad", layer.linear2.weight.grad)
encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True),
                                num_layers=2, enable_nested_tensor=False)
init_(encoder, 0.2)
causal = nn.Transformer.generate_square_subsequent_mask(5)
report("causal mask", causal)
enc2 = encoder(src.detach(), mask=causal)
report("encoder stack", enc2)
'''


TENSORS = r'''
import numpy as np
import torch

a = torch.arange(12)
report("arange", a)
report("arange float", torch.arange(0, 1, 0.25))
report("linspace", torch.linspace(0, 1, steps=5))
report("eye", torch.eye(3))
report("full", torch.full((2, 3), 7))
report("full float", torch.full((2,), 1.5))
report("zeros_like", torch.zeros_like(a, dtype=torch.float32))
report("ones_like", torch.ones_like(torch.eye(2)))
report("empty shape", torch.empty(2, 3).shape)
report("tensor dtypes", [torch.tensor(1).dtype, torch.tensor(1.0).dtype, torch.tensor(True).dtype,
                         torch.tensor([1, 2]).dtype, torch.from_numpy(np.zeros(2)).dtype])

x = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
report("shape", x.shape)
report("size", x.size())
report("size(1)", x.size(1))
report("dim/numel", [x.dim(), x.numel(), x.ndim])
report("index", x[1, 2, 3])
report("slice", x[:, 1:, ::2])
report("ellipsis", x[..., -1])
report("none index", x[None, 0, :, None].shape)
mask = x > 10
report("mask", mask)
report("masked", x[mask])
report("advanced", x[[0, 1, 1], [2, 0, 1]])
report("advanced tensor", x[:, torch.tensor([2, 0])])
y = x.clone()
y[y > 20] = 0
y[0, [0, 2], 1:3] = torch.tensor([[-1.0, -2.0], [-3.0, -4.0]])
y[:, 1] += 100
report("assigned", y)
y.index_put_((torch.tensor([0, 0]), torch.tensor([1, 1]), torch.tensor([0, 0])),
             torch.tensor([1.0, 2.0]), accumulate=True)
report("index_put accumulate", y[0, 1, 0])

# broadcasting
col = torch.tensor([[1.0], [2.0], [3.0]])
row = torch.tensor([10.0, 20.0])
report("broadcast", col + row)
report("broadcast shape", (x + torch.ones(4)).shape)
report("broadcast_tensors", [t.shape for t in torch.broadcast_tensors(col, row)])

# einsum, matmul
m = torch.from_numpy(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
n = torch.from_numpy(np.linspace(0, 2, 8, dtype=np.float32).reshape(4, 2))
report("einsum ij,jk", torch.einsum("ij,jk->ik", m, n))
report("einsum trace", torch.einsum("ii", torch.eye(3) * 2))
report("einsum batch", torch.einsum("bij,bjk->bik", x, x.transpose(1, 2)))
report("matmul", m @ n)
report("bmm", torch.bmm(x, x.transpose(1, 2)))
report("outer", torch.outer(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0, 5.0])))

# gather / scatter
src = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
idx = torch.tensor([[2, 0], [1, 1]])
report("gather", torch.gather(src, 1, idx))
report("scatter_add", torch.zeros(2, 4).scatter_add(1, idx, torch.ones(2, 2)))
report("scatter", torch.zeros(2, 3).scatter_(1, idx, 9.0))
report("index_select", src.index_select(1, torch.tensor([2, 0])))
report("masked_fill", src.masked_fill(src > 3, -1.0))

# sort / topk
v = torch.tensor([3.0, 1.0, 4.0, 1.5, 5.0, 9.0, 2.0, 6.0])
vals, inds = torch.sort(v, descending=True)
report("sort", [vals, inds])
report("topk", list(torch.topk(v, 3)))
report("topk smallest", torch.topk(v, 2, largest=False).indices)
report("argsort", v.argsort())
report("kthvalue", list(v.kthvalue(2)))

# cat / stack / split / chunk
p, q = torch.ones(2, 3), torch.zeros(2, 3)
report("cat0", torch.cat([p, q]).shape)
report("cat1", torch.cat((p, q), dim=1))
report("stack", torch.stack([p, q], dim=1).shape)
report("split", [t.shape for t in torch.arange(10).split(3)])
report("split sizes", [t.tolist() for t in torch.arange(10).split([2, 8])])
report("chunk", [t.tolist() for t in torch.arange(10).chunk(3)])
report("unbind", [t.tolist() for t in src.unbind(1)])

# views
report("permute", x.permute(2, 0, 1).shape)
report("is_contiguous", [x.permute(2, 0, 1).is_contiguous(), x.permute(2, 0, 1).contiguous().is_contiguous()])
report("view", x.view(6, -1))
report("reshape of permuted", x.permute(2, 0, 1).reshape(4, 6))
try:
    x.permute(2, 0, 1).view(-1)
    report("view error", "no error")
except RuntimeError as e:
    report("view error", str(e))
report("flatten", x.flatten(1).shape)
report("unsqueeze/squeeze", [x.unsqueeze(0).shape, torch.zeros(1, 3, 1).squeeze().shape,
                             torch.zeros(1, 3, 1).squeeze(0).shape])
report("transpose", x.transpose(0, 2).shape)
report("T", m.T.shape)
report("expand", torch.tensor([[1], [2]]).expand(2, 3))
report("repeat", torch.tensor([1, 2]).repeat(2, 2))
report("flip", torch.arange(4).flip(0))

# dtype promotion
report("int + float", torch.tensor([1, 2]) + 0.5)
report("int / int", torch.tensor([1, 2]) / 2)
report("int // int", torch.tensor([5, -5]) // 2)
report("int % int", torch.tensor([5, -5]) % 3)
report("int * bool", torch.tensor([1, 2]) * torch.tensor([True, False]))
report("float32 + float64 tensor", (torch.ones(2) + torch.ones(2, dtype=torch.float64)).dtype)
report("float32 + python float", (torch.ones(2) + 2.5).dtype)
report("int tensor + float 0-d", (torch.tensor([1, 2]) + torch.tensor(1.5)).dtype)
report("long", torch.tensor([1.7, -1.7]).long())
report("int", torch.tensor([1.7, -1.7]).int())
report("to float64", torch.tensor([1, 2]).to(torch.float64))
report("float()", torch.tensor([1, 2]).float())
report("double()", torch.tensor([1, 2]).double().dtype)
report("bool()", torch.tensor([0, 2]).bool())
report("half dtype", torch.tensor([1.0]).half().dtype)
report("type()", torch.tensor([1.0]).type())
report("is_floating_point", [torch.tensor(1).is_floating_point(), torch.tensor(1.0).is_floating_point()])
report("comparison dtype", (torch.tensor([1, 2]) > 1).dtype)
report("sum of bool", (torch.tensor([1, 2, 3]) > 1).sum())
try:
    torch.tensor([1, 2]).mean()
    report("mean of int", "no error")
except RuntimeError as e:
    report("mean of int", str(e))

# reductions
report("sum", x.sum())
report("sum dim", x.sum(dim=1))
report("sum keepdim", x.sum(dim=(0, 2), keepdim=True))
report("mean", x.mean(dim=-1))
report("std", x.std(dim=2))
report("var unbiased=False", x.var(dim=2, unbiased=False))
report("max", x.max())
mx = x.max(dim=1)
report("max dim", [mx.values, mx.indices])
report("min keepdim", list(x.min(dim=0, keepdim=True)))
report("prod", torch.tensor([1.0, 2.0, 3.0, 4.0]).prod())
report("norm", x.norm())
report("norm dim", x.norm(dim=1, p=1))
report("logsumexp", x.logsumexp(dim=2))
report("all/any", [bool((x >= 0).all()), bool((x > 22).any()), (x > 5).all(dim=2)])
report("argmax", x.argmax())
report("argmax dim", x.argmax(dim=1))
report("argmin keepdim", x.argmin(dim=2, keepdim=True))
report("median", torch.tensor([3.0, 1.0, 2.0, 5.0]).median())
report("count_nonzero", torch.count_nonzero(mask))

# elementwise
s = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
report("where", torch.where(s > 0, s, torch.zeros_like(s)))
report("where scalar", torch.where(s > 0, s, 0.0))
report("where nonzero", torch.where(s != 0))
report("nonzero", torch.nonzero(s > 0))
report("clamp", torch.clamp(s, min=-1, max=1))
report("clamp min", s.clamp(min=0))
report("cumsum", torch.arange(5).cumsum(0))
report("cumsum float", s.cumsum(dim=0))
report("cumprod", torch.tensor([1.0, 2.0, 3.0]).cumprod(0))
report("abs/sign", [s.abs(), s.sign()])
report("exp/log", [s.exp(), s.abs().add(1).log()])
report("sqrt/rsqrt", [s.abs().sqrt(), (s.abs() + 1).rsqrt()])
report("sigmoid/tanh", [torch.sigmoid(s), torch.tanh(s)])
report("round/floor/ceil", [torch.tensor([0.5, 1.5, 2.5, -0.5]).round(), s.floor(), s.ceil()])
report("pow", [s ** 2, 2 ** torch.tensor([1, 2, 3]), torch.tensor([2, 3]) ** 2])
report("maximum", torch.maximum(s, torch.zeros(5)))
report("isclose", torch.isclose(s, s + 1e-9))
report("allclose", torch.allclose(s, s + 1e-9))
report("equal", torch.equal(s, s.clone()))
report("isnan", torch.isnan(torch.tensor([1.0, float("nan")])))
report("softmax", torch.softmax(s, dim=0))

# unique
u = torch.tensor([3, 1, 2, 3, 1, 3])
vals, counts = torch.unique(u, return_counts=True)
report("unique", [vals, counts])
vals, inverse = torch.unique(u, sorted=True, return_inverse=True)
report("unique inverse", [vals, inverse])
report("bincount", torch.bincount(u))

# python scalars and lists
report("item int", torch.tensor([7]).item())
report("item float", torch.tensor(2.5).item())
report("item bool", torch.tensor(True).item())
report("tolist", x[0].tolist())
report("tolist int", torch.arange(4).tolist())
report("int()", int(torch.tensor(3.9)))
report("float()", float(torch.tensor(3)))
report("len", len(x))
report("iter", [t.shape for t in x])
report("numpy", x.numpy()[0, 0])

# printing
report("str int", str(torch.arange(6).reshape(2, 3)))
report("str float", str(torch.tensor([[1.0, 2.5], [-3.25, 4.0]])))
report("str small", str(torch.tensor([1e-5, 1.0, 100.0])))
report("str sci", str(torch.tensor([1e-10, 1e10])))
report("str bool", str(torch.tensor([True, False])))
report("str float64", str(torch.tensor([1.0, 2.0], dtype=torch.float64)))
report("str int32", str(torch.tensor([1, 2], dtype=torch.int32)))
report("str scalar", str(torch.tensor(3.5)))
report("str scalar int", str(torch.tensor(3)))
report("str empty", str(torch.zeros(0)))
report("str empty 2d", str(torch.zeros(2, 0)))
report("str requires_grad", str(torch.ones(2, requires_grad=True)))
report("str grad_fn", str(torch.ones(2, requires_grad=True) * 2))
report("str nan/inf", str(torch.tensor([float("nan"), float("inf"), -float("inf"), 1.0])))
report("str linspace", str(torch.linspace(0, 1, 7)))
report("repr 3d", repr(torch.arange(8.0).reshape(2, 2, 2)))
report("str long", str(torch.arange(2000)))
report("str shape", str(x.shape))
report("repr dtype", repr(torch.float32))
report("f-string item", f"{torch.tensor(0.123456).item():.3f}")
report("format tensor", f"{torch.tensor(0.5):.2f}")
'''


COURSE = r'''
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(5)


def det_init(m):
    g = np.random.default_rng(7)
    with torch.no_grad():
        for p in m.parameters(recurse=False):
            p.copy_(torch.from_numpy(0.2 * g.standard_normal(tuple(p.shape)).astype(np.float32)))


class TinyLM(nn.Module):
    """Weight tying, ModuleDict, ModuleList, a buffer, a bare Parameter."""

    def __init__(self, vocab=11, dim=6):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList([nn.Linear(dim, dim) for _ in range(2)])
        self.acts = nn.ModuleDict({"gelu": nn.GELU(), "tanh": nn.Tanh()})
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.embed.weight
        self.scale = nn.Parameter(torch.ones(1))
        self.register_buffer("pos", torch.arange(4, dtype=torch.float32).unsqueeze(1) / 4)

    def forward(self, idx):
        h = self.embed(idx) + self.pos
        for i, blk in enumerate(self.blocks):
            act = self.acts["gelu"] if i % 2 == 0 else self.acts["tanh"]
            h = h + act(blk(h))
        return self.head(self.norm(h)) * self.scale


model = TinyLM()
model.apply(det_init)
report("model", str(model))
report("tied", model.head.weight is model.embed.weight)
report("param names", [n for n, _ in model.named_parameters()])
report("state_dict keys", list(model.state_dict().keys()))
report("n params", sum(p.numel() for p in model.parameters()))

calls = []
pre = model.norm.register_forward_pre_hook(lambda mod, inp: calls.append(("pre", tuple(inp[0].shape))))
fwd = model.blocks[0].register_forward_hook(lambda mod, inp, out: calls.append(("fwd", out.sum().item())))
features = {}


def save_output(name):
    def hook(module, inputs, output):
        features[name] = output.detach()
    return hook


model.acts["tanh"].register_forward_hook(save_output("tanh"))

idx = torch.from_numpy(rng.integers(0, 11, size=(3, 4)))
target = torch.from_numpy(rng.integers(0, 11, size=(3, 4)))
opt = torch.optim.AdamW(model.parameters(), lr=0.05, weight_decay=0.01)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=0)
for step in range(4):
    opt.zero_grad(set_to_none=True)
    logits = model(idx)
    loss = F.cross_entropy(logits.view(-1, 11), target.view(-1))
    loss.backward()
    report("tied grad", model.embed.weight.grad)
    opt.step()
    plateau.step(1.0)           # a flat validation loss: the LR halves after every step
    report("loss", loss.item())
    report("lr", opt.param_groups[0]["lr"])
    if step == 1:
        pre.remove()
        fwd.remove()
report("hook calls", calls)
report("captured", features["tanh"])
opt.zero_grad(set_to_none=True)
report("grad after zero_grad", model.scale.grad is None)

# freezing, eval-only dropout, functional losses
for p in model.embed.parameters():
    p.requires_grad_(False)
report("frozen", [n for n, p in model.named_parameters() if not p.requires_grad])
drop = nn.Dropout(0.3)
drop.eval()
z = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
report("eval dropout is identity", torch.equal(drop(z), z))
report("F.dropout p=0", F.dropout(z, p=0.0, training=True))
t = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
report("mse", F.mse_loss(z, t))
report("l1 sum", F.l1_loss(z, t, reduction="sum"))
report("smooth l1", nn.SmoothL1Loss(beta=0.5)(z, t))
report("huber", nn.HuberLoss(delta=0.5)(z, t))
report("bce with logits", F.binary_cross_entropy_with_logits(z, (t > 0).float(),
                                                             pos_weight=torch.tensor([1.0, 2.0, 0.5, 1.0])))
report("bce", nn.BCELoss()(torch.sigmoid(z), (t > 0).float()))
report("nll", F.nll_loss(F.log_softmax(z, dim=1), torch.tensor([0, 3, 1])))
report("kl", F.kl_div(F.log_softmax(z, 1), F.softmax(t, 1), reduction="batchmean"))
report("cosine", F.cosine_similarity(z, t, dim=1))
report("one_hot", F.one_hot(torch.tensor([0, 2, 1]), num_classes=4))
report("normalize", F.normalize(z, dim=1))
report("pad", F.pad(torch.ones(1, 2, 2), (1, 1)).shape)
report("interpolate", F.interpolate(torch.arange(4.0).view(1, 1, 2, 2), scale_factor=2, mode="nearest"))
report("gelu", [F.gelu(z[0]), F.silu(z[0]), F.leaky_relu(z[0], 0.1), F.elu(z[0]), F.softplus(z[0])])

# double precision model, manual attention
lin = nn.Linear(4, 2).double()
det_init(lin)
report("double output", lin(z.double()))
report("double dtype", lin.weight.dtype)
q = k = v = z.unsqueeze(0)
att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(4), dim=-1)
report("attention", att @ v)
report("sdpa", F.scaled_dot_product_attention(q, k, v, is_causal=True))

# a custom learnable module with a manual parameter init, trained with RMSprop
class Affine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(torch.empty(n))
        self.b = nn.Parameter(torch.zeros(n))
        nn.init.constant_(self.w, 0.5)

    def forward(self, x):
        return x * self.w + self.b

    def extra_repr(self):
        return f"n={self.w.numel()}"


aff = Affine(4)
report("affine", str(aff))
ropt = torch.optim.RMSprop(aff.parameters(), lr=0.01, alpha=0.9)
for _ in range(3):
    ropt.zero_grad()
    l = ((aff(z) - t) ** 2).mean()
    l.backward()
    ropt.step()
report("rmsprop w", aff.w)
report("rmsprop b", aff.b)
nn.init.zeros_(aff.b)
nn.init.ones_(aff.w)
report("init", [aff.w, aff.b])
with torch.no_grad():
    nn.init.eye_(lin.weight)
report("eye_", lin.weight)
'''


DATA = r'''
import numpy as np
import torch
from torch.utils.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, SequentialSampler,
                              Subset, TensorDataset)
from torch.utils.data.dataloader import default_collate

rng = np.random.default_rng(8)


class Points(Dataset):
    def __init__(self, n):
        self.x = rng.standard_normal((n, 3)).astype(np.float32)
        self.y = rng.integers(0, 2, size=n)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": torch.from_numpy(self.x[i]), "y": int(self.y[i]), "w": float(i) / 10,
                "name": f"p{i}", "arr": self.x[i]}


ds = Points(10)
report("len", len(ds))
loader = DataLoader(ds, batch_size=4, drop_last=False)
report("n batches", len(loader))
for batch in loader:
    report("keys", sorted(batch.keys()))
    report("x", batch["x"])
    report("y", batch["y"])
    report("w", batch["w"])
    report("name", batch["name"])
    report("arr", batch["arr"])
report("drop_last", len(DataLoader(ds, batch_size=4, drop_last=True)))
report("collate tuples", default_collate([(1, 2.0, torch.tensor([1.0])), (3, 4.0, torch.tensor([2.0]))]))
report("collate numpy scalars", default_collate([np.float32(1.5), np.float32(2.5)]))
report("collate nested", default_collate([[1, 2], [3, 4]]))


def pad_collate(batch):
    xs = [b["x"][: 1 + i % 3] for i, b in enumerate(batch)]
    lens = torch.tensor([len(x) for x in xs])
    return torch.nn.utils.rnn.pad_sequence(xs, batch_first=True, padding_value=-1.0), lens


for xb, lens in DataLoader(ds, batch_size=3, collate_fn=pad_collate):
    report("padded batch", xb)
    report("lens", lens)

td = TensorDataset(torch.arange(6).float(), torch.arange(6) % 2)
report("tensordataset item", td[2])
sub = Subset(td, [5, 0, 3])
report("subset", [sub[i] for i in range(len(sub))])
cat = ConcatDataset([td, sub])
report("concat", [len(cat), cat[7]])
bs = BatchSampler(SequentialSampler(range(6)), batch_size=4, drop_last=False)
report("batch sampler", list(bs))
for xb, yb in DataLoader(td, batch_sampler=bs):
    report("batch_sampler batch", [xb, yb])
for xb in DataLoader(list(range(5)), batch_size=2):
    report("list dataset", xb)
for xb in DataLoader(td, batch_size=None):
    report("unbatched", xb)
    break
loader = DataLoader(td, batch_size=4)
it = iter(loader)
report("next", next(it))
report("next2", next(it))
'''


LAYERS = r'''
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(9)


def init_(m, scale=0.3):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(scale * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
    return m


class Residual(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(out_ch))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1)
        self.layer1 = Residual(4, 4)
        self.layer2 = Residual(4, 8, stride=2)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        x = self.layer2(self.layer1(F.relu(self.stem(x))))
        x = F.adaptive_avg_pool2d(x, 1)
        x = torch.flatten(x, 1)
        return self.fc(x)


net = init_(Net())
report("net", str(net))
x = torch.from_numpy(rng.standard_normal((4, 3, 8, 8)).astype(np.float32))
y = torch.tensor([0, 1, 2, 1])
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
for step in range(3):
    opt.zero_grad()
    loss = F.cross_entropy(net(x), y, weight=torch.tensor([1.0, 2.0, 0.5]))
    loss.backward()
    opt.step()
    report("resnet loss", loss.item())
report("resnet stem grad", net.stem.weight.grad)
report("shortcut bn running_var", net.layer2.shortcut[1].running_var)

# optimizer checkpoint / resume continues identically
ckpt = os.path.join(TMPDIR, "ckpt.pt")
torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "epoch": 3}, ckpt)
net2 = Net()
opt2 = torch.optim.SGD(net2.parameters(), lr=0.05, momentum=0.9)
state = torch.load(ckpt)
net2.load_state_dict(state["model"])
opt2.load_state_dict(state["opt"])
report("epoch", state["epoch"])
for n1, o in ((net, opt), (net2, opt2)):
    o.zero_grad()
    F.cross_entropy(n1(x), y).backward()
    o.step()
report("resumed equal", all(torch.equal(a, b) for a, b in zip(net.parameters(), net2.parameters())))
report("opt state", opt2.state_dict()["param_groups"])

# assorted layers, forward + backward
layers = {
    "conv1d": (nn.Conv1d(2, 3, 3, padding=2, dilation=2), (2, 2, 7)),
    "conv groups": (nn.Conv2d(4, 4, 3, groups=2, stride=2), (2, 4, 7, 7)),
    "convT": (nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1), (1, 2, 4, 4)),
    "convT1d": (nn.ConvTranspose1d(2, 2, 4, stride=2), (1, 2, 5)),
    "conv3d": (nn.Conv3d(1, 2, 2), (1, 1, 3, 3, 3)),
    "groupnorm": (nn.GroupNorm(2, 4), (2, 4, 3, 3)),
    "layernorm": (nn.LayerNorm([3, 3]), (2, 4, 3, 3)),
    "instancenorm": (nn.InstanceNorm2d(4, affine=True), (2, 4, 3, 3)),
    "batchnorm1d": (nn.BatchNorm1d(4), (5, 4)),
    "avgpool": (nn.AvgPool2d(2, stride=1, padding=1, count_include_pad=False), (1, 2, 4, 4)),
    "maxpool ceil": (nn.MaxPool2d(3, stride=2, ceil_mode=True), (1, 2, 6, 6)),
    "maxpool1d": (nn.MaxPool1d(2), (1, 2, 6)),
    "adaptivemax": (nn.AdaptiveMaxPool2d((2, 3)), (1, 2, 5, 7)),
    "upsample bilinear": (nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), (1, 1, 3, 3)),
    "pixelshuffle": (nn.PixelShuffle(2), (1, 4, 2, 2)),
    "bilinear": (nn.Bilinear(3, 2, 4), None),
    "prelu": (nn.PReLU(), (2, 3)),
    "softmax2d": (nn.Softmax(dim=1), (2, 3)),
    "logsoftmax": (nn.LogSoftmax(dim=-1), (2, 3)),
    "hardtanh": (nn.Hardtanh(-0.5, 0.5), (2, 3)),
    "unflatten": (nn.Unflatten(1, (2, 3)), (2, 6)),
    "identity": (nn.Identity(), (2,)),
    "zeropad": (nn.ZeroPad2d((1, 0, 2, 1)), (1, 1, 2, 2)),
    "reflectpad": (nn.ReflectionPad2d(1), (1, 1, 3, 3)),
}
for name, (layer, shape) in layers.items():
    init_(layer)
    if name == "bilinear":
        a = torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32)).requires_grad_()
        b = torch.from_numpy(rng.standard_normal((2, 2)).astype(np.float32))
        out = layer(a, b)
        inp = a
    else:
        inp = torch.from_numpy(rng.standard_normal(shape).astype(np.float32)).requires_grad_()
        out = layer(inp)
    report(name + " repr", repr(layer))
    report(name + " out", out)
    out.pow(2).sum().backward()
    report(name + " input grad", inp.grad)
    report(name + " param grads", [p.grad for p in layer.parameters()])

mha = init_(nn.MultiheadAttention(8, 2, batch_first=True))
q = torch.from_numpy(rng.standard_normal((2, 3, 8)).astype(np.float32))
kv = torch.from_numpy(rng.standard_normal((2, 4, 8)).astype(np.float32))
out, w = mha(q, kv, kv, key_padding_mask=torch.tensor([[False, False, False, True], [False] * 4]))
report("mha out", out)
report("mha weights", w)
out, w = mha(q, kv, kv, average_attn_weights=False)
report("mha per-head weights", w.shape)
(out.sum()).backward()
report("mha out_proj grad", mha.out_proj.weight.grad)
tr = init_(nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                          dim_feedforward=8, dropout=0.0, batch_first=True), 0.2)
tgt_mask = nn.Transformer.generate_square_subsequent_mask(3)
res = tr(kv, q, tgt_mask=tgt_mask)
report("transformer", res)
res.sum().backward()
report("transformer grad", tr.decoder.layers[0].multihead_attn.in_proj_weight.grad)

# old-style .data updates and functional tools
w = torch.zeros(3, requires_grad=True)
for _ in range(3):
    loss = ((w - torch.tensor([1.0, 2.0, 3.0])) ** 2).sum()
    loss.backward()
    w.data -= 0.1 * w.grad.data
    w.grad.data.zero_()
report(".data updates", w)
vec = nn.utils.parameters_to_vector(mha.parameters())
report("parameters_to_vector", [vec.shape, vec.sum()])
nn.utils.vector_to_parameters(vec * 0 + 1, mha.out_proj.parameters())
report("vector_to_parameters", mha.out_proj.bias)


def f(x):
    return (x ** 2).sum() * x[0]


xj = torch.tensor([1.0, 2.0, 3.0])
report("jacobian", torch.autograd.functional.jacobian(lambda x: x ** 2 * x.sum(), xj))
report("hessian", torch.autograd.functional.hessian(f, xj))
report("gradcheck", torch.autograd.gradcheck(lambda t: (t.sin() * t).sum(), torch.tensor([0.3, 0.7], dtype=torch.float64, requires_grad=True)))
with torch.inference_mode():
    report("inference_mode", (xj * 2).requires_grad)
net.requires_grad_(False)
report("requires_grad_(False)", any(p.requires_grad for p in net.parameters()))
'''


# reprs (modules, optimizers, tensors with a grad_fn whose name torch and danlu share), print
# options and the error messages a user sees
REPRS_AND_ERRORS = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(11)
lin = nn.Linear(3, 2)
with torch.no_grad():
    lin.weight.copy_(torch.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]))
    lin.bias.fill_(0.1)
x = torch.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
out = lin(x)
loss = F.cross_entropy(out, torch.tensor([0, 1]))
report("linear out", out)
report("sum repr", repr(out.sum()))
report("relu repr", repr(torch.relu(out)))
report("param repr", repr(lin.bias))
report("weight str", str(lin.weight))
report("softmax repr", repr(out.softmax(-1)))
report("sigmoid repr", repr(torch.sigmoid(out)))
report("pow repr", repr(out ** 2))
report("div repr", repr(out / 2))
report("sub repr", repr(out - 1))
report("neg repr", repr(-out))
report("exp repr", repr(out.exp()))
report("cat repr", repr(torch.cat([out, out])))
report("optimizer", str(torch.optim.SGD(lin.parameters(), lr=0.1, momentum=0.9)))
report("adam", str(torch.optim.Adam(lin.parameters(), lr=1e-3)))
report("modulelist", str(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])))
report("sequential repeat", str(nn.Sequential(*[nn.Linear(2, 2) for _ in range(3)], nn.ReLU())))
report("parameterlist", str(nn.ParameterList([nn.Parameter(torch.ones(2)), nn.Parameter(torch.zeros(3, 2))])))
report("parameterdict", str(nn.ParameterDict({"a": nn.Parameter(torch.ones(2))})))
report("moduledict", str(nn.ModuleDict({"conv": nn.Conv2d(1, 2, 3), "act": nn.LeakyReLU(0.2)})))
report("lstm repr", str(nn.LSTM(3, 4, num_layers=2, dropout=0.1, bidirectional=True)))
report("embedding repr", str(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)))
report("bn repr", str(nn.BatchNorm2d(3, momentum=None)))
report("transformer layer repr", str(nn.TransformerEncoderLayer(4, 2, 8)))
report("losses repr", [str(nn.CrossEntropyLoss(label_smoothing=0.1)), str(nn.MSELoss()), str(nn.NLLLoss())])
report("dropout repr", [str(nn.Dropout(0.2)), str(nn.Dropout2d()), str(nn.ReLU(inplace=True)), str(nn.GELU(approximate="tanh"))])

# printing corner cases
report("print mixed", str(torch.tensor([1.0, 1e-4, 123456.0])))
report("print tiny", str(torch.tensor([1e-5, 2e-5])))
report("print neg int", str(torch.tensor([-1, 200, -30000])))
report("print big int", str(torch.tensor([2 ** 40, 1])))
report("print 2d summary", str(torch.arange(2000.0).reshape(1000, 2)))
report("print 3d summary", str(torch.zeros(3, 1000, 3)))
report("print float64", str(torch.tensor([1 / 3, 2 / 3], dtype=torch.float64)))
report("print float16", str(torch.tensor([1 / 3, 2.0], dtype=torch.float16)))
report("print int8", str(torch.tensor([1, -2], dtype=torch.int8)))
report("print uint8", str(torch.tensor([1, 255], dtype=torch.uint8)))
report("print int16", str(torch.tensor([1, 2], dtype=torch.int16)))
report("print whole floats", str(torch.tensor([100.0, 2.0, -3.0])))
report("print large floats", str(torch.tensor([1e8, 1.0])))
report("print 0-d grad", str(torch.tensor(2.0, requires_grad=True) * 3))
report("print neg zero", str(torch.tensor([-0.0, 0.0])))
report("print nan only", str(torch.tensor([float("nan")])))
report("print empty int", str(torch.tensor([], dtype=torch.int64)))
report("print 1x0x2", str(torch.zeros(1, 0, 2)))
report("print bool 2d", str(torch.eye(2).bool()))
torch.set_printoptions(precision=2)
report("printoptions precision", str(torch.tensor([1 / 3, 2 / 3])))
torch.set_printoptions(profile="default")
report("printoptions reset", str(torch.tensor([1 / 3, 2 / 3])))
torch.set_printoptions(sci_mode=False)
report("sci_mode False", str(torch.tensor([1e-8, 1.0])))
torch.set_printoptions(profile="default")
torch.set_printoptions(threshold=5)
report("threshold", str(torch.arange(10)))
torch.set_printoptions(profile="default")
report("print after default", str(torch.arange(10)))

# autograd errors
a = torch.ones(3, requires_grad=True)
try:
    a.add_(1)
except RuntimeError as e:
    report("leaf inplace", str(e))
b = a.exp()
c = b * 2
b.mul_(2)
try:
    c.sum().backward()
    report("version", "no error")
except RuntimeError as e:
    report("version err", str(e))
b = a.sigmoid()
b.add_(1)
try:
    b.sum().backward()
    report("version2", "no error")
except RuntimeError as e:
    report("version2", str(e))
y = (a * a).sum()
y.backward()
try:
    y.backward()
except RuntimeError as e:
    report("second backward", str(e))
try:
    torch.ones(2).sum().backward()
except RuntimeError as e:
    report("no grad backward", str(e))
try:
    torch.ones(2, 3) @ torch.ones(2, 3)
except RuntimeError as e:
    report("matmul err", str(e))
try:
    torch.ones(2, 3) + torch.ones(3, 2)
except RuntimeError as e:
    report("broadcast err", str(e))
try:
    lin(torch.ones(2, 4))
except RuntimeError as e:
    report("linear err", str(e))
try:
    torch.ones(2, 3).view(4)
except RuntimeError as e:
    report("view err", str(e))
try:
    torch.ones(3)[5]
except IndexError as e:
    report("index err", str(e))
try:
    F.cross_entropy(torch.ones(2, 3), torch.tensor([0, 3]))
except (IndexError, RuntimeError) as e:
    report("ce target err", type(e).__name__ + str(e))
try:
    F.cross_entropy(torch.ones(2, 3), torch.tensor([0.0, 1.0]))
except RuntimeError as e:
    report("ce dtype err", str(e))
try:
    torch.cat([torch.ones(2, 3), torch.ones(2, 4)])
except RuntimeError as e:
    report("cat err", str(e))
try:
    a.numpy()
except RuntimeError as e:
    report("numpy err", str(e))
try:
    torch.tensor([1.0, 2.0]).item()
except RuntimeError as e:
    report("item err", str(e))
try:
    nn.Conv2d(3, 4, 3)(torch.ones(1, 2, 5, 5))
except RuntimeError as e:
    report("conv err", str(e))
'''


OPTIMIZERS = r'''
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(12)
X = torch.from_numpy(rng.standard_normal((16, 4)).astype(np.float32))
Y = torch.from_numpy(rng.standard_normal((16, 2)).astype(np.float32))
W0 = rng.standard_normal((2, 4)).astype(np.float32) * 0.5


def fresh():
    m = nn.Linear(4, 2)
    with torch.no_grad():
        m.weight.copy_(torch.from_numpy(W0))
        m.bias.zero_()
    return m


configs = {
    "sgd dampening": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1), None),
    "sgd nesterov wd": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.01), None),
    "adam amsgrad": (lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True), None),
    "adamw": (lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1), None),
    "adagrad": (lambda p: torch.optim.Adagrad(p, lr=0.1, lr_decay=0.01), None),
    "adadelta": (lambda p: torch.optim.Adadelta(p, lr=1.0), None),
    "adamax": (lambda p: torch.optim.Adamax(p, lr=0.02), None),
    "nadam": (lambda p: torch.optim.NAdam(p, lr=0.01), None),
    "radam": (lambda p: torch.optim.RAdam(p, lr=0.01), None),
    "rmsprop centered": (lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True), None),
    "rprop": (lambda p: torch.optim.Rprop(p, lr=0.01), None),
    "asgd": (lambda p: torch.optim.ASGD(p, lr=0.01), None),
    "exp": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)),
    "multistep": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=[2, 4], gamma=0.1)),
    "lambda": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e)),
    "warm restarts": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=2)),
    "cyclic": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda o: torch.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2)),
    "polynomial": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=4, power=2.0)),
    "constant": (lambda p: torch.optim.SGD(p, lr=0.1), lambda o: torch.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=2)),
    "onecycle linear": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=7, anneal_strategy="linear", pct_start=0.4)),
}
for name, (make_opt, make_sched) in configs.items():
    m = fresh()
    opt = make_opt(m.parameters())
    sched = make_sched(opt) if make_sched else None
    lrs = []
    for step in range(6):
        opt.zero_grad()
        loss = F.mse_loss(m(X), Y)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    report(name + " weight", m.weight)
    report(name + " loss", loss.item())
    report(name + " lrs", lrs)
    if sched is not None:
        report(name + " last lr", sched.get_last_lr())
        report(name + " sched state keys", sorted(k for k in sched.state_dict() if not k.startswith("_")))

# parameter groups with their own options, add_param_group, LBFGS with a closure
m = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2))
with torch.no_grad():
    for p in m.parameters():
        p.copy_(torch.from_numpy(0.5 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
opt = torch.optim.SGD([{"params": m[0].parameters()}, {"params": m[2].parameters(), "lr": 0.01}],
                      lr=0.1, momentum=0.9)
for step in range(3):
    opt.zero_grad()
    F.mse_loss(m(X), Y).backward()
    opt.step()
report("groups", [g["lr"] for g in opt.param_groups])
report("group weight", m[2].weight)
extra = nn.Parameter(torch.ones(2))
opt.add_param_group({"params": [extra], "lr": 0.5})
report("n groups", len(opt.param_groups))
report("added group options", sorted(opt.param_groups[2].keys()))
lb = torch.optim.LBFGS(m.parameters(), lr=0.5, max_iter=5, history_size=3)


def closure():
    lb.zero_grad()
    loss = F.mse_loss(m(X), Y)
    loss.backward()
    return loss


for _ in range(2):
    report("lbfgs loss", lb.step(closure).item())
report("lbfgs weight", m[0].weight)
'''


MORE_OPS = r'''
import numpy as np
import torch

rng = np.random.default_rng(13)
a = torch.from_numpy(rng.standard_normal((3, 4)).astype(np.float32))
b = torch.from_numpy(rng.standard_normal((4, 3)).astype(np.float32))
i, j = torch.meshgrid(torch.arange(3), torch.arange(2), indexing="ij")
report("meshgrid", [i, j])
report("tril/triu", [torch.tril(a), torch.triu(a, diagonal=1)])
report("diag", [torch.diag(torch.tensor([1.0, 2.0])), torch.diag(a), a.diagonal(offset=1)])
report("cdist", torch.cdist(a, b.T))
report("searchsorted", torch.searchsorted(torch.tensor([1.0, 3.0, 5.0]), torch.tensor([0.0, 3.0, 4.0, 6.0])))
report("bucketize", torch.bucketize(torch.tensor([0.5, 3.0, 9.0]), torch.tensor([1.0, 3.0, 5.0]), right=True))
report("roll", torch.roll(torch.arange(6).view(2, 3), shifts=1, dims=1))
report("diff", torch.diff(torch.tensor([1, 4, 9, 16])))
report("lerp", torch.lerp(a, torch.zeros_like(a), 0.25))
report("addmm", torch.addmm(torch.ones(3, 3), a, b, beta=0.5, alpha=2))
report("baddbmm", torch.baddbmm(torch.zeros(2, 3, 3), a.expand(2, 3, 4), b.expand(2, 4, 3)))
report("linalg", [torch.linalg.norm(a), torch.linalg.matrix_norm(a @ b), torch.det(a @ b), torch.inverse(a @ b + 3 * torch.eye(3))])
sym = a @ a.T + torch.eye(3)
report("eigh values", torch.linalg.eigh(sym).eigenvalues)
report("svd values", torch.linalg.svdvals(a))
report("solve", torch.linalg.solve(sym, torch.ones(3)))
report("cholesky", torch.linalg.cholesky(sym))
report("histc", torch.histc(a, bins=4, min=-2, max=2))
report("div rounding", [torch.div(torch.tensor([-7, 7]), 2, rounding_mode="floor"), torch.div(torch.tensor([-7.0, 7.0]), 2, rounding_mode="trunc")])
report("fmod/remainder", [torch.fmod(torch.tensor([-3.0, 3.0]), 2), torch.remainder(torch.tensor([-3.0, 3.0]), 2)])
report("bitwise", [torch.tensor([5]) & 3, torch.tensor([5]) | 2, torch.tensor([5]) ^ 1, ~torch.tensor([True, False])])
report("nan_to_num", torch.nan_to_num(torch.tensor([float("nan"), float("inf"), 1.0]), nan=0.0, posinf=9.0))
report("isin", torch.isin(torch.tensor([1, 2, 3]), torch.tensor([2, 5])))
report("new_*", [a.new_zeros(2), a.new_ones((1, 2)), a.new_tensor([1, 2]), a.new_full((2,), 3.0)])
report("type_as", torch.tensor([1, 2]).type_as(a))
report("from float64 numpy", torch.tensor(np.array([1.0, 2.0])).dtype)
report("from int32 numpy", torch.from_numpy(np.array([1, 2], dtype=np.int32)))
report("as_tensor list", torch.as_tensor([[1, 2], [3, 4]], dtype=torch.float32))
report("stride", [a.stride(), a.t().stride(), a.t().contiguous().stride(), a[:, 1:].storage_offset()])
report("mT", torch.zeros(2, 3, 4).mT.shape)
report("masked_scatter", torch.zeros(4).masked_scatter(torch.tensor([True, False, True, False]), torch.tensor([1.0, 2.0])))
report("max pair", torch.max(a, torch.zeros_like(a)))
report("topk 2d", list(torch.topk(a, 2, dim=0)))
report("sort stable", torch.sort(torch.tensor([2, 1, 2, 1, 0]), stable=True))
report("std_mean", list(torch.std_mean(a, dim=1)))
report("var_mean correction", list(torch.var_mean(a, dim=0, correction=0)))
report("quantile", torch.quantile(a, torch.tensor([0.25, 0.5]), dim=1))
report("amax", [a.amax(dim=(0, 1)), a.aminmax()])
report("nanmean", torch.tensor([1.0, float("nan"), 3.0]).nanmean())
report("cummax", list(torch.cummax(torch.tensor([1, 3, 2, 5]), dim=0)))
report("logcumsumexp", torch.logcumsumexp(a, dim=1))
report("flatten/unflatten", a.flatten().unflatten(0, (2, 6)).shape)
report("tensor_split", [t.shape for t in torch.tensor_split(torch.arange(7), 3)])
report("narrow", torch.arange(10).narrow(0, 2, 3))
report("take_along_dim", torch.take_along_dim(a, a.argmax(dim=1, keepdim=True), dim=1))
report("index_add", torch.zeros(3).index_add(0, torch.tensor([0, 2, 0]), torch.tensor([1.0, 2.0, 3.0])))
report("scatter_reduce", torch.zeros(3).scatter_reduce(0, torch.tensor([0, 2, 0]), torch.tensor([1.0, 2.0, 3.0]), reduce="amax", include_self=False))
report("einsum ellipsis", torch.einsum("...ij,...j->...i", a.expand(2, 3, 4), torch.ones(4)))
report("tensordot", torch.tensordot(a, b, dims=([1], [0])))
report("kron", torch.kron(torch.eye(2), torch.ones(2, 2)))
report("cross", torch.linalg.cross(torch.tensor([1.0, 0, 0]), torch.tensor([0.0, 1, 0])))
report("clip", a.clip(-0.5, 0.5))
report("sign of int", torch.tensor([-2, 0, 3]).sign())
report("abs int", torch.tensor([-2, 3]).abs())
report("int pow neg", torch.tensor([2, 3]) ** 2.5)
report("true_divide int", torch.true_divide(torch.tensor([3]), 2))
report("int sum dtype", torch.tensor([1, 2], dtype=torch.int32).sum().dtype)
report("bool sum dtype", torch.tensor([True, True]).sum().dtype)
report("int mean via float", torch.tensor([1, 2]).float().mean())
report("uint8 arithmetic", torch.tensor([250], dtype=torch.uint8) + 10)
report("int8 * float", (torch.tensor([2], dtype=torch.int8) * 1.5).dtype)
report("float16 promotion", (torch.ones(1, dtype=torch.float16) + torch.ones(1)).dtype)
report("0-d int * float tensor", (torch.tensor(2) * torch.ones(2)).dtype)
report("int64 + int32", (torch.ones(1, dtype=torch.int64) + torch.ones(1, dtype=torch.int32)).dtype)
report("arange float dtype", torch.arange(0.0, 2.0).dtype)
report("arange int to float", torch.arange(5) / 5)
report("rsub", 1 - torch.tensor([0.25]))
report("rdiv int", 1 / torch.tensor([2, 4]))
report("floor int tensor", torch.tensor([5]) // 2.0)
report("comparisons", [torch.eq(a, a), torch.ne(a, 0), torch.ge(a, 0).sum()])
report("logical", [torch.logical_and(a > 0, a < 1), torch.logical_not(a > 0)])
report("frac/trunc", [a.frac(), a.trunc()])
report("deg2rad", torch.deg2rad(torch.tensor([180.0])))
report("atan2", torch.atan2(a, b.T))
report("erf", [torch.erf(a), torch.special.erfinv(torch.tensor([0.5]))])
report("where 1-arg", torch.where(torch.tensor([[0, 1], [1, 0]])))
report("unique dim", torch.unique(torch.tensor([[1, 2], [1, 2], [3, 4]]), dim=0))
report("unique_consecutive", torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1])))
report("repeat_interleave", torch.repeat_interleave(torch.tensor([1, 2]), torch.tensor([2, 3])))
report("block_diag", torch.block_diag(torch.ones(1, 2), torch.ones(2, 1)))
report("cartesian_prod", torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])))
report("combinations", torch.combinations(torch.tensor([1, 2, 3]), r=2))
report("trace", torch.trace(a @ b))
report("empty max", torch.tensor([]).sum())
'''


PROGRAMS = {
    "quickstart": QUICKSTART,
    "autograd": AUTOGRAD,
    "cnn": CNN,
    "sequence": SEQUENCE,
    "tensors": TENSORS,
    "course": COURSE,
    "data": DATA,
    "layers": LAYERS,
    "reprs_and_errors": REPRS_AND_ERRORS,
    "optimizers": OPTIMIZERS,
    "more_ops": MORE_OPS,
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_program_matches_torch(name, tmp_path):
    check_program(PROGRAMS[name], tmp_path)


def test_torch_imports_resolve_to_danlu(tmp_path):
    """The harness itself: under danlu the program's ``torch`` names are danlu's modules."""
    src = ("import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
           "from torch.utils.data import DataLoader\nimport torch.optim\n"
           "report('mods', [m.split('.')[0] for m in (torch.__name__, nn.__name__, F.__name__,"
           " DataLoader.__module__, torch.optim.__name__)])\n")
    (_, mods), _ = run_program(src, "danlu", tmp_path)
    assert mods == ["danlu"] * 5
    (_, mods), _ = run_program(src, "torch", tmp_path)
    assert mods == ["torch"] * 5


def test_harness_detects_a_difference(tmp_path):
    """A program whose numbers differ between the libraries fails the comparison."""
    src = "import torch\nreport('v', torch.tensor([1.0]) + (1e-3 if torch.__name__ == 'danlu' else 0))\n"
    with pytest.raises(AssertionError):
        check_program(src, tmp_path)
    src = ("import warnings\nimport torch\nreport('v', 1)\n"
           "if torch.__name__ == 'danlu':\n    warnings.warn('only danlu warns')\n")
    with pytest.raises(AssertionError, match="only danlu warns"):
        check_program(src, tmp_path)
