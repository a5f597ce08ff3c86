"""Streaming metrics equal the batch-free computation; values against hand computations."""
import math

import numpy as np
import pytest

import danlu
from danlu.train import metrics as M


def _cls_data(n=103, c=4, seed=0):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(n, c))
    y = rng.integers(0, c, n)
    scores[np.arange(n), y] += 1.0  # better than chance
    return scores, y


@pytest.mark.parametrize("make", [M.Accuracy, lambda: M.TopKAccuracy(2), M.ConfusionMatrix,
                                  lambda: M.Precision("macro"), lambda: M.Recall("weighted"),
                                  lambda: M.F1Score("micro"), lambda: M.F1Score(None)])
def test_streaming_equals_whole(make):
    s, y = _cls_data()
    whole = make()
    whole.update(danlu.tensor(s), danlu.tensor(y))
    stream = make()
    for a, b in [(0, 10), (10, 11), (11, 60), (60, 103)]:  # uneven batches, one of size 1
        stream.update(danlu.tensor(s[a:b]), danlu.tensor(y[a:b]))
    np.testing.assert_allclose(np.asarray(stream.compute()), np.asarray(whole.compute()), rtol=0, atol=1e-12)


def test_streaming_regression_exact():
    rng = np.random.default_rng(1)
    t = rng.normal(3, 2, 101) + 5
    p = t + rng.normal(0, 0.5, 101)
    for make, ref in [(M.MeanSquaredError, np.mean((p - t) ** 2)), (M.MeanAbsoluteError, np.mean(np.abs(p - t))),
                      (M.RootMeanSquaredError, np.sqrt(np.mean((p - t) ** 2))),
                      (M.R2Score, 1 - np.sum((p - t) ** 2) / np.sum((t - t.mean()) ** 2)),
                      (M.LogRMSE, np.sqrt(np.mean((np.log(np.maximum(p, 1)) - np.log(t)) ** 2)))]:
        m = make()
        for a, b in [(0, 1), (1, 40), (40, 101)]:
            m.update(danlu.tensor(p[a:b]), danlu.tensor(t[a:b]))
        assert m.compute() == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_batch_average_would_differ():
    # the average of per-batch accuracies is not the accuracy: the accumulator must not do that
    acc = M.Accuracy()
    acc.update([1, 1, 1], [1, 1, 1])      # 3/3
    acc.update([0], [1])                  # 0/1
    assert acc.compute() == 0.75


def test_hand_values():
    pred = np.array([0, 1, 1, 2, 2, 2, 0])
    true = np.array([0, 1, 2, 2, 2, 1, 1])
    cm = M.confusion_matrix(pred, true)
    assert cm.tolist() == [[1, 0, 0], [1, 1, 1], [0, 1, 2]]
    # per class: precision tp/predicted = [1/2, 1/2, 2/3]; recall tp/true = [1, 1/3, 2/3]
    p, r, f = M.precision_recall_f1(pred, true, average=None)
    np.testing.assert_allclose(p, [0.5, 0.5, 2 / 3])
    np.testing.assert_allclose(r, [1, 1 / 3, 2 / 3])
    np.testing.assert_allclose(f, [2 * 0.5 / 1.5, 2 * (0.5 / 3) / (0.5 + 1 / 3), 2 / 3])
    assert M.precision(pred, true, "macro") == pytest.approx((0.5 + 0.5 + 2 / 3) / 3)
    assert M.f1_score(pred, true, "micro") == pytest.approx(4 / 7)  # micro F1 = accuracy (single label)
    w = np.array([1, 3, 3]) / 7
    assert M.recall(pred, true, "weighted") == pytest.approx(float((np.array([1, 1 / 3, 2 / 3]) * w).sum()))
    assert M.accuracy(pred, true) == pytest.approx(4 / 7)


def test_binary_and_probabilities():
    prob = np.array([0.9, 0.2, 0.6, 0.4, 0.7])
    true = np.array([1, 0, 0, 1, 1])
    # predicted labels 1,0,1,0,1 -> tp=2 fp=1 fn=1
    p, r, f = M.precision_recall_f1(prob, true, average="binary")
    assert (p, r) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert f == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="two classes"):
        M.precision_recall_f1([0, 1, 2], [0, 1, 2], average="binary")


def test_topk_and_logits_layout():
    s = np.array([[0.1, 0.5, 0.4], [0.8, 0.15, 0.05], [0.3, 0.3, 0.4]])
    y = np.array([2, 2, 0])
    assert M.top_k_accuracy(s, y, k=1) == 0.0
    assert M.top_k_accuracy(s, y, k=2) == pytest.approx(2 / 3)
    assert M.top_k_accuracy(s, y, k=3) == 1.0
    # (N, C, L) scores: argmax over axis 1, like torch's layout
    s3 = np.zeros((2, 3, 2))
    s3[0, 1, 0] = s3[0, 2, 1] = s3[1, 0, 0] = s3[1, 0, 1] = 1
    assert M.accuracy(s3, np.array([[1, 2], [0, 1]])) == 0.75


def test_regression_hand_values():
    p, t = np.array([1.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    assert M.mse(p, t) == pytest.approx(5 / 3)
    assert M.mae(p, t) == pytest.approx(1.0)
    assert M.rmse(p, t) == pytest.approx(math.sqrt(5 / 3))
    assert M.r2_score(p, t) == pytest.approx(1 - 5 / 2)
    assert M.log_rmse(np.array([0.5, 4.0]), np.array([1.0, 2.0])) == pytest.approx(math.sqrt(np.log(2) ** 2 / 2))


def test_errors_and_registry():
    with pytest.raises(ValueError, match="does not match"):
        M.accuracy(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="unknown metric"):
        M.get_metric("nope")
    assert isinstance(M.get_metric("top3"), M.TopKAccuracy) and M.get_metric("top3").k == 3
    assert M.get_metric("f1").name == "f1"
    assert math.isnan(M.Accuracy().compute())
    m = M.Mean()
    m.update(2.0, 3)
    m.update(danlu.tensor([1.0, 1.0]))
    assert m.compute() == pytest.approx(8 / 5)
