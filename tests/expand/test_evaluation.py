import numpy as np
import pyarrow as pa

from flockwatch.expand.evaluation import actions_needed, pr_curve, recall_at_precision


def test_pr_curve_and_recall_at_precision():
    ids = ["a", "b", "c", "d", "e"]
    scores = np.array([0.99, 0.98, 0.9, 0.5, 0.1])
    curve = pr_curve(ids, scores, np.zeros(5), {"a", "b", "d"})
    assert [round(p["precision"], 3) for p in curve] == [1.0, 1.0, 0.667, 0.75, 0.6]
    assert [round(p["recall"], 3) for p in curve] == [0.333, 0.667, 0.667, 1.0, 1.0]
    assert recall_at_precision(curve, 0.95) == 2 / 3
    assert recall_at_precision(curve, 0.7) == 1.0
    assert recall_at_precision(pr_curve(ids, scores, np.zeros(5), set()), 0.5) == 0.0


def test_actions_needed_grows_with_actions():
    # 'f1', 'f2' positives whose evidence grows with each action; 'o1' an organic account that ends high by luck
    rows = [
        ("f1", 1, 2.0),
        ("f1", 2, 6.0),
        ("f1", 3, 11.0),
        ("f2", 1, 1.0),
        ("f2", 2, 2.5),
        ("f2", 3, 12.0),
        ("o1", 1, 3.0),
        ("o1", 2, 3.0),
        ("o1", 3, 5.0),
        ("o2", 1, 0.0),
    ]
    t = pa.table({"account_id": [r[0] for r in rows], "n_actions": [r[1] for r in rows], "nats": [r[2] for r in rows]})
    need = actions_needed(t, {"f1", "f2"}, target_precision=0.95, max_actions=3)
    assert [r["recall"] for r in need] == [0.0, 0.5, 1.0]
    assert need[2]["threshold_nats"] == 11.0
