"""A first oracle test so the suite always has something to run."""
import numpy as np

from tests._oracle import compare_fn


def test_mlp_expression_matches_torch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    compare_fn(lambda lib, x, w: (x @ w).tanh().exp().sum(1).log(), x, w)
