"""Course models written once for ``lib`` in {danlu, torch}: torch's weights copied into danlu,
then outputs, input gradients and every parameter gradient must agree (and one training step)."""
import numpy as np
import pytest
import torch

import danlu
from tests._oracle import assert_close
from tests.nn._models import compare_models, twin

rng = np.random.default_rng(0)


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Dropout(0.5),
                         nn.Linear(32, 16), nn.GELU(), nn.Linear(16, 10))


def softmax_regression(lib):
    nn = lib.nn
    return nn.Sequential(nn.Flatten(), nn.Linear(16, 10), nn.LogSoftmax(dim=1))


def lenet(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), nn.Sigmoid(), nn.Linear(120, 84), nn.Sigmoid(),
        nn.Linear(84, 10))


def alexnet_small(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, kernel_size=5, stride=2, padding=1), nn.ReLU(),
        nn.LocalResponseNorm(3), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(8, 12, kernel_size=3, padding=2), nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(12, 12, kernel_size=3, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(12 * 4 * 4, 20), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(20, 10))


def vgg(lib):
    nn = lib.nn

    def vgg_block(num_convs, in_channels, out_channels):
        layers = []
        for _ in range(num_convs):
            layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1))
            layers.append(nn.ReLU())
            in_channels = out_channels
        layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        return nn.Sequential(*layers)

    return nn.Sequential(vgg_block(1, 1, 4), vgg_block(2, 4, 8), nn.Flatten(),
                         nn.Linear(8 * 4 * 4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 10))


def nin(lib):
    nn = lib.nn

    def nin_block(in_channels, out_channels, kernel_size, strides, padding):
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size, strides, padding), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())

    return nn.Sequential(
        nin_block(1, 8, kernel_size=5, strides=2, padding=1), nn.MaxPool2d(3, stride=2),
        nin_block(8, 10, kernel_size=3, strides=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten())


def googlenet_inception(lib):
    nn, F = lib.nn, lib.nn.functional

    class Inception(nn.Module):
        def __init__(self, in_channels, c1, c2, c3, c4, **kwargs):
            super().__init__(**kwargs)
            self.p1_1 = nn.Conv2d(in_channels, c1, kernel_size=1)
            self.p2_1 = nn.Conv2d(in_channels, c2[0], kernel_size=1)
            self.p2_2 = nn.Conv2d(c2[0], c2[1], kernel_size=3, padding=1)
            self.p3_1 = nn.Conv2d(in_channels, c3[0], kernel_size=1)
            self.p3_2 = nn.Conv2d(c3[0], c3[1], kernel_size=5, padding=2)
            self.p4_1 = nn.MaxPool2d(kernel_size=3, stride=1, padding=1)
            self.p4_2 = nn.Conv2d(in_channels, c4, kernel_size=1)

        def forward(self, x):
            p1 = F.relu(self.p1_1(x))
            p2 = F.relu(self.p2_2(F.relu(self.p2_1(x))))
            p3 = F.relu(self.p3_2(F.relu(self.p3_1(x))))
            p4 = F.relu(self.p4_2(self.p4_1(x)))
            return lib.cat((p1, p2, p3, p4), dim=1)

    return nn.Sequential(nn.Conv2d(1, 6, kernel_size=3, stride=2, padding=1), nn.ReLU(),
                         Inception(6, 4, (3, 5), (2, 3), 3), Inception(15, 3, (4, 4), (2, 2), 2),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(11, 10))


def resnet(lib):
    nn, F = lib.nn, lib.nn.functional

    class Residual(nn.Module):
        def __init__(self, input_channels, num_channels, use_1x1conv=False, strides=1):
            super().__init__()
            self.conv1 = nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1, stride=strides)
            self.conv2 = nn.Conv2d(num_channels, num_channels, kernel_size=3, padding=1)
            if use_1x1conv:
                self.conv3 = nn.Conv2d(input_channels, num_channels, kernel_size=1, stride=strides)
            else:
                self.conv3 = None
            self.bn1 = nn.BatchNorm2d(num_channels)
            self.bn2 = nn.BatchNorm2d(num_channels)

        def forward(self, X):
            Y = F.relu(self.bn1(self.conv1(X)))
            Y = self.bn2(self.conv2(Y))
            if self.conv3:
                X = self.conv3(X)
            Y += X
            return F.relu(Y)

    b1 = nn.Sequential(nn.Conv2d(1, 8, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(8),
                       nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return nn.Sequential(b1, Residual(8, 8), Residual(8, 12, use_1x1conv=True, strides=2),
                         nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(12, 10))


def densenet(lib):
    nn = lib.nn

    def conv_block(input_channels, num_channels):
        return nn.Sequential(nn.BatchNorm2d(input_channels), nn.ReLU(),
                             nn.Conv2d(input_channels, num_channels, kernel_size=3, padding=1))

    class DenseBlock(nn.Module):
        def __init__(self, num_convs, input_channels, num_channels):
            super().__init__()
            layer = []
            for i in range(num_convs):
                layer.append(conv_block(num_channels * i + input_channels, num_channels))
            self.net = nn.Sequential(*layer)

        def forward(self, X):
            for blk in self.net:
                Y = blk(X)
                X = lib.cat((X, Y), dim=1)
            return X

    def transition_block(input_channels, num_channels):
        return nn.Sequential(nn.BatchNorm2d(input_channels), nn.ReLU(),
                             nn.Conv2d(input_channels, num_channels, kernel_size=1),
                             nn.AvgPool2d(kernel_size=2, stride=2))

    return nn.Sequential(nn.Conv2d(1, 6, kernel_size=3, padding=1), DenseBlock(2, 6, 4),
                         transition_block(14, 7), DenseBlock(2, 7, 3), nn.BatchNorm2d(13), nn.ReLU(),
                         nn.AdaptiveMaxPool2d((1, 1)), nn.Flatten(), nn.Linear(13, 10))


def unet(lib):
    nn = lib.nn

    class UNetHead(nn.Module):
        def __init__(self, n_classes=3):
            super().__init__()
            self.enc1 = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
            self.pool = nn.MaxPool2d(2)
            self.enc2 = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
            self.up = nn.ConvTranspose2d(8, 4, kernel_size=2, stride=2)
            self.up2 = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
            self.dec = nn.Sequential(nn.Conv2d(12, 4, 3, padding=1), nn.ReLU())
            self.head = nn.Conv2d(4, n_classes, kernel_size=1)

        def forward(self, x):
            e1 = self.enc1(x)
            e2 = self.enc2(self.pool(e1))
            d = lib.cat([self.up(e2), e1, self.up2(e2)[:, :4]], dim=1)
            return self.head(self.dec(d))

    return UNetHead()


MODELS = {"mlp": (mlp, (3, 1, 4, 4)), "softmax_regression": (softmax_regression, (3, 16)),
          "lenet": (lenet, (2, 1, 28, 28)), "alexnet": (alexnet_small, (2, 1, 32, 32)),
          "vgg": (vgg, (2, 1, 16, 16)), "nin": (nin, (2, 1, 20, 20)),
          "googlenet": (googlenet_inception, (2, 1, 12, 12)), "resnet": (resnet, (3, 1, 16, 16)),
          "densenet": (densenet, (2, 1, 8, 8)), "unet": (unet, (2, 1, 8, 8))}


def _x(shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("name", list(MODELS))
def test_model_forward_backward_float64(name):
    build, shape = MODELS[name]
    dm, tm = twin(build, "float64")
    assert list(dm.state_dict()) == list(tm.state_dict())
    assert repr(dm).replace("danlu", "torch") == repr(tm)
    dm.eval(), tm.eval()  # eval mode: dropout off, BatchNorm on running stats
    compare_models(dm, tm, _x(shape, "float64"))
    dm.train(), tm.train()
    if any(isinstance(m, torch.nn.Dropout) for m in tm.modules()):
        for m in list(dm.modules()) + list(tm.modules()):
            if type(m).__name__ == "Dropout":
                m.p = 0.0
    dm.zero_grad(), tm.zero_grad()
    compare_models(dm, tm, _x(shape, "float64"))
    for (_k, a), (_, b) in zip(dm.state_dict().items(), tm.state_dict().items()):
        assert_close(a, b)  # BatchNorm running stats and num_batches_tracked too


@pytest.mark.parametrize("name", ["lenet", "resnet", "densenet", "unet"])
def test_model_forward_backward_float32(name):
    build, shape = MODELS[name]
    dm, tm = twin(build, "float32")
    compare_models(dm, tm, _x(shape, "float32"), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", ["mlp", "resnet", "unet"])
def test_one_training_step_matches_torch(name):
    build, shape = MODELS[name]
    dm, tm = twin(build, "float64")
    for m in list(dm.modules()) + list(tm.modules()):
        if type(m).__name__ == "Dropout":
            m.p = 0.0
    x = _x(shape, "float64")
    n = shape[0]
    with torch.no_grad():
        out_shape = tuple(tm.eval()(torch.from_numpy(x)).shape)  # eval: leave BN stats alone
    tm.train()
    if len(out_shape) == 4:  # segmentation: per-pixel class targets
        y = rng.integers(0, out_shape[1], (n,) + out_shape[2:])
    else:
        y = rng.integers(0, out_shape[1], n)
    od = danlu.optim.SGD(dm.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    ot = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    for _ in range(2):
        ld = danlu.nn.functional.cross_entropy(dm(danlu.from_numpy(x)), danlu.from_numpy(y))
        lt = torch.nn.functional.cross_entropy(tm(torch.from_numpy(x)), torch.from_numpy(y))
        assert_close(ld, lt)
        od.zero_grad(), ot.zero_grad()
        ld.backward(), lt.backward()
        nd = danlu.nn.utils.clip_grad_norm_(dm.parameters(), 1.0)
        nt = torch.nn.utils.clip_grad_norm_(tm.parameters(), 1.0)
        assert_close(nd, nt)
        od.step(), ot.step()
    for (_k, a), (_, b) in zip(dm.state_dict().items(), tm.state_dict().items()):
        assert_close(a, b)


def test_saved_course_model_roundtrip(tmp_path):
    dm, _ = twin(resnet, "float32")
    dm(danlu.randn(2, 1, 16, 16))  # update running stats
    danlu.save(dm.state_dict(), tmp_path / "resnet.pt")
    fresh = resnet(danlu)
    fresh.load_state_dict(danlu.load(tmp_path / "resnet.pt"))
    dm.eval(), fresh.eval()
    x = danlu.randn(2, 1, 16, 16)
    np.testing.assert_array_equal(dm(x).detach().numpy(), fresh(x).detach().numpy())
