"""The benchmark workloads, written once against the torch API and run with ``lib`` = danlu or torch.

Each ``build_<name>(lib, device, quick)`` returns a zero-argument callable that performs one step
(forward + backward + optimizer step for training workloads, float32 throughout).
"""
from __future__ import annotations

import numpy as np


def _data(lib, device, *arrays):
    return [lib.from_numpy(np.ascontiguousarray(a)).to(device) for a in arrays]


def _classification_step(lib, model, opt, x, y, clip=None):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        out = model(x)
        if out.ndim == 3:  # sequence model: (N, T, C) -> (N*T, C)
            out = out.reshape(-1, out.shape[-1])
        loss = loss_fn(out, y)
        loss.backward()
        if clip is not None:
            lib.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        return loss

    return step


def _inference_step(lib, model, x):
    model.eval()

    def step():
        with lib.no_grad():
            return model(x)

    return step


def _images(n, c, h, w, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, c, h, w)).astype(np.float32), rng.integers(0, classes, n)


# ------------------------------------------------------------------------------------------
# models
# ------------------------------------------------------------------------------------------
def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def vgg_small(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def resnet18(lib, num_classes=10):
    """ResNet-18, CIFAR variant (3x3 stem, no max-pool)."""
    nn = lib.nn
    F = lib.nn.functional

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.short = None
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return F.relu(y + (x if self.short is None else self.short(x)))

    layers = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [Block(cin, cout, stride), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(512, num_classes)]
    return nn.Sequential(*layers)


def lstm_lm(lib, vocab=28, embed=32, hidden=256):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, embed)
            self.rnn = nn.LSTM(embed, hidden, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    return LM()


def mlp_bn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.BatchNorm1d(512), nn.ReLU(),
                         nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 10))


# ------------------------------------------------------------------------------------------
# workloads
# ------------------------------------------------------------------------------------------
def _seeded(lib, build):
    lib.manual_seed(0)
    return build(lib)


def build_mlp_train(lib, device, quick):
    model = _seeded(lib, mlp).to(device)
    x, y = _data(lib, device, *_images(256, 1, 28, 28))
    return _classification_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.1), x, y)


def build_mlp_infer(lib, device, quick):
    model = _seeded(lib, mlp).to(device)
    (x,) = _data(lib, device, _images(256, 1, 28, 28)[0])
    return _inference_step(lib, model, x)


def build_lenet_train(lib, device, quick):
    model = _seeded(lib, lenet).to(device)
    x, y = _data(lib, device, *_images(256, 1, 28, 28))
    return _classification_step(lib, model, lib.optim.SGD(model.parameters(), lr=0.9), x, y)


def build_lenet_infer(lib, device, quick):
    model = _seeded(lib, lenet).to(device)
    (x,) = _data(lib, device, _images(256, 1, 28, 28)[0])
    return _inference_step(lib, model, x)


def build_vgg_train(lib, device, quick):
    model = _seeded(lib, vgg_small).to(device)
    x, y = _data(lib, device, *_images(128, 1, 28, 28))
    return _classification_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


def build_resnet18_train(lib, device, quick):
    model = _seeded(lib, resnet18).to(device)
    x, y = _data(lib, device, *_images(16 if quick else 64, 3, 32, 32))  # quick: a quarter batch
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    return _classification_step(lib, model, opt, x, y)


def build_lstm_train(lib, device, quick):
    model = _seeded(lib, lstm_lm).to(device)
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 28, (32, 36))
    x, y = _data(lib, device, tokens[:, :-1], tokens[:, 1:].reshape(-1))
    return _classification_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y, clip=1.0)


def build_mlp_bn_train(lib, device, quick):
    model = _seeded(lib, mlp_bn).to(device)
    x, y = _data(lib, device, *_images(256, 1, 28, 28))
    return _classification_step(lib, model, lib.optim.Adam(model.parameters(), lr=1e-3), x, y)


def build_add10(lib, device, quick, requires_grad=False):
    a = lib.ones(10, device=device, requires_grad=requires_grad)
    b = lib.ones(10, device=device)
    return lambda: a + b


def build_add10_grad(lib, device, quick):
    return build_add10(lib, device, quick, requires_grad=True)


def build_chain20(lib, device, quick):
    x = lib.linspace(0.1, 1.0, 10, device=device).requires_grad_()

    def step():
        y = x
        for _ in range(5):
            y = ((y * 1.01 + 0.1).sin() - 0.05).exp().sqrt()  # 5 x 4 = 20 elementwise ops
        y.sum().backward()
        x.grad = None

    return step


def build_adam10m(lib, device, quick):
    n = 1_000_000 if quick else 10_000_000
    rng = np.random.default_rng(0)
    ps = [lib.nn.Parameter(lib.from_numpy(rng.standard_normal(n // 4).astype(np.float32)).to(device))
          for _ in range(4)]
    for p in ps:
        p.grad = lib.from_numpy(rng.standard_normal(n // 4).astype(np.float32)).to(device)
    opt = lib.optim.Adam(ps, lr=1e-3)
    return opt.step


def build_hvp_mlp(lib, device, quick):
    model = _seeded(lib, mlp).to(device)
    x, y = _data(lib, device, *_images(256, 1, 28, 28))
    params = list(model.parameters())
    v = [lib.randn_like(p) for p in params]
    loss_fn = lib.nn.CrossEntropyLoss()

    def step():
        loss = loss_fn(model(x), y)
        g = lib.autograd.grad(loss, params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return lib.autograd.grad(dot, params)

    return step


WORKLOADS = {
    "mlp_train": build_mlp_train,
    "mlp_infer": build_mlp_infer,
    "lenet_train": build_lenet_train,
    "lenet_infer": build_lenet_infer,
    "vgg_train": build_vgg_train,
    "resnet18_train": build_resnet18_train,
    "lstm_train": build_lstm_train,
    "mlp_bn_train": build_mlp_bn_train,
    "add10": build_add10,
    "add10_grad": build_add10_grad,
    "chain20_backward": build_chain20,
    "adam10m": build_adam10m,
    "hvp_mlp": build_hvp_mlp,
}

# the targets of the performance issue: median per-round ratio danlu / torch
TARGETS = {
    "mlp_train": 1.0, "mlp_infer": 1.1, "mlp_bn_train": 1.2, "lenet_train": 1.5, "lenet_infer": 1.5,
    "vgg_train": 1.5, "resnet18_train": 2.0, "lstm_train": 1.5, "add10_grad": 2.0, "adam10m": 1.2,
}
