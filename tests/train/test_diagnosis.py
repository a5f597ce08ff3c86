"""Bias/variance diagnosis picks the dominant problem; learning and validation curves are read right."""
import pytest

from danlu.train import diagnose, learning_curve
from danlu.train.diagnosis import RECOMMENDATIONS, read_learning_curve, read_validation_curve
from danlu.utils.data import TensorDataset

from ._util import blobs, ce, mlp


@pytest.mark.parametrize("errors, dominant", [
    (dict(train_error=0.08, dev_error=0.10, human_error=0.01), "avoidable bias"),   # course example 1
    (dict(train_error=0.08, dev_error=0.10, human_error=0.075), "variance"),       # course example 2
    (dict(train_error=0.01, train_dev_error=0.09, dev_error=0.10, human_error=0.0), "variance"),
    (dict(train_error=0.01, train_dev_error=0.015, dev_error=0.10, human_error=0.0), "data mismatch"),
    (dict(train_error=0.10, train_dev_error=0.11, dev_error=0.12, human_error=0.0), "avoidable bias"),
    (dict(train_error=0.02, dev_error=0.025, test_error=0.09, human_error=0.01), "overfitting to dev"),
    (dict(train_error=0.012, train_dev_error=0.015, dev_error=0.018, test_error=0.02, human_error=0.01),
     "good fit"),
])
def test_dominant_problem(errors, dominant):
    d = diagnose(**errors)
    assert d.dominant == dominant
    assert d.recommendations == RECOMMENDATIONS[dominant]
    assert dominant in d.report()


def test_gaps_and_notes():
    d = diagnose(0.08, 0.10, train_dev_error=0.09, test_error=0.11, human_error=0.01)
    assert d.gaps == pytest.approx({"avoidable bias": 0.07, "variance": 0.01, "data mismatch": 0.01,
                                    "overfitting to dev": 0.01})
    assert d.problems == ["avoidable bias"]
    assert any("bigger model" in r for r in d.recommendations)
    d2 = diagnose(0.05, 0.2)
    assert d2.dominant == "variance" and any("measured against 0" in n for n in d2.notes)
    assert any("more training data" in r for r in d2.recommendations)
    with pytest.raises(ValueError, match="non-negative"):
        diagnose(-0.1)


def test_read_learning_curve():
    v, details = read_learning_curve([100, 200, 400], [0.30, 0.31, 0.31], [0.33, 0.32, 0.32], human_error=0.02)
    assert v.startswith("high bias") and any("more data will not help" in d for d in details)
    v, details = read_learning_curve([100, 200, 400], [0.0, 0.01, 0.02], [0.30, 0.22, 0.15])
    assert v.startswith("high variance") and any("more data should help" in d for d in details)
    v, _ = read_learning_curve([100, 200], [0.03, 0.03], [0.035, 0.04], human_error=0.025)
    assert v == "good fit"


def test_read_validation_curve():
    # complexity 1..5: under-fit at 1-2, best at 3, over-fit at 5
    v, details, best = read_validation_curve([1, 2, 3, 4, 5], [0.4, 0.2, 0.08, 0.05, 0.01],
                                             [0.42, 0.22, 0.10, 0.11, 0.2])
    assert best == 3 and "best value 3" in v
    assert details[0] == "under-fitting (high bias) at 1, 2"
    assert details[1] == "over-fitting (high variance) at 5"


def test_learning_curve_runs(tmp_path):
    X, y = blobs(120)
    Xv, yv = blobs(60, seed=2)
    res = learning_curve(lambda: mlp(), TensorDataset(X, y), TensorDataset(Xv, yv), sizes=(0.25, 1.0), loss=ce,
                         optimizer="sgd", lr=0.3, epochs=2, batch_size=16)
    assert res.x == [30, 120] and len(res.val_error) == 2
    assert all(0 <= e <= 1 for e in res.train_error + res.val_error)
    assert "verdict" in res.report()
    res.plot(str(tmp_path / "lc.png"))
