"""Per-class precision, recall, F1 and the confusion matrix, against direct counting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqbucket.train.classmetrics import (
    confusion_matrix,
    format_class_table,
    macro_f1,
    per_class_metrics,
)


def test_a_worked_example():
    # 3 classes; truth and predictions chosen so that every ratio is a simple fraction.
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    cm = confusion_matrix(y_true, y_pred, 3)
    assert cm.tolist() == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    rows = per_class_metrics(cm, ["a", "b", "c"])
    assert [r["label"] for r in rows] == ["a", "b", "c"]
    assert [r["support"] for r in rows] == [3, 2, 1]
    assert np.allclose([r["precision"] for r in rows], [1.0, 1 / 2, 1 / 2])
    assert np.allclose([r["recall"] for r in rows], [2 / 3, 1 / 2, 1.0])
    assert np.allclose([r["f1"] for r in rows], [0.8, 0.5, 2 / 3])
    assert np.isclose(macro_f1(rows), (0.8 + 0.5 + 2 / 3) / 3)


def test_a_class_never_predicted_or_absent_scores_zero_not_nan():
    cm = confusion_matrix(np.array([0, 0]), np.array([0, 0]), 3)
    rows = per_class_metrics(cm)
    assert [r["label"] for r in rows] == ["0", "1", "2"]  # ids as names without label names
    assert rows[1] == {"label": "1", "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert macro_f1(rows) == 1.0  # the mean over classes present in the data only


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda c: st.tuples(
            st.just(c),
            st.lists(st.tuples(st.integers(0, c - 1), st.integers(0, c - 1)), max_size=40),
        )
    )
)
def test_matches_counting_pairs_one_by_one(case):
    num_classes, pairs = case
    y_true = np.array([t for t, _ in pairs], dtype=np.int64)
    y_pred = np.array([p for _, p in pairs], dtype=np.int64)
    cm = confusion_matrix(y_true, y_pred, num_classes)
    # Invariant: every pair is counted once, in its (true, predicted) cell.
    expected = np.zeros((num_classes, num_classes), dtype=np.int64)
    for t, p in pairs:
        expected[t, p] += 1
    assert (cm == expected).all()
    for c, row in enumerate(per_class_metrics(cm)):
        tp = sum(1 for t, p in pairs if t == c and p == c)
        predicted = sum(1 for _, p in pairs if p == c)
        actual = sum(1 for t, _ in pairs if t == c)
        assert row["support"] == actual
        assert np.isclose(row["precision"], tp / predicted if predicted else 0.0)
        assert np.isclose(row["recall"], tp / actual if actual else 0.0)
        assert 0.0 <= row["f1"] <= 1.0


def test_table_lists_every_class_and_the_matrix():
    cm = confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    text = format_class_table(per_class_metrics(cm, ["cat", "dog"]), cm.tolist())
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["#", "class", "precision"]
    assert lines[1].split()[:2] == ["0", "cat"] and lines[2].split()[:2] == ["1", "dog"]
    assert "macro F1" in text
    assert lines[-2].split() == ["0", "1", "0"]  # true class 0: one right, none wrong
    assert lines[-1].split() == ["1", "1", "1"]  # true class 1: one taken for 0, one right
