"""Model registry: every builder makes a working model of the right output shape."""
import pytest

import danlu
from danlu.train import build_model, list_models, register_model


@pytest.mark.parametrize("name", ["softmax_regression", "mlp", "lenet", "lenet-bn", "lenet-classic"])
def test_builders_forward(name):
    m = build_model(name, in_channels=1, image_size=28, num_classes=10, dropout=0.1, widths=(32, 16))
    out = m(danlu.randn(2, 1, 28, 28))
    assert tuple(out.shape) == (2, 10)


def test_lenet_variants_and_colour_input():
    classic = repr(build_model("lenet-classic"))
    modern = repr(build_model("lenet"))
    assert "Sigmoid" in classic and "AvgPool2d" in classic
    assert "ReLU" in modern and "MaxPool2d" in modern
    m = build_model("lenet", in_channels=3, image_size=32)
    assert tuple(m(danlu.randn(1, 3, 32, 32)).shape) == (1, 10)


def test_register_and_errors():
    @register_model("tiny-test-model")
    def tiny(num_classes=10):
        """A one-layer test model."""
        return danlu.nn.Linear(3, num_classes)

    assert list_models()["tiny-test-model"] == "A one-layer test model."
    assert build_model("tiny-test-model", num_classes=4, image_size=99).out_features == 4
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        build_model("nope")
