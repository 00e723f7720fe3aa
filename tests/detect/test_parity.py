"""Parity mode: identical co-retweet edge set to coordination-network-toolkit 1.5.2 on the same input."""

from __future__ import annotations

import csv
import datetime as dt
import random
import sqlite3

import coordination_network_toolkit.compute_networks as cnt_compute
import coordination_network_toolkit.preprocess as cnt_pre
import pyarrow as pa
import pytest

from flockwatch.detect import cnt_co_retweet


def _data(seed=5, n=600):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        user = f"u{int(rng.paretovariate(1.2)) % 60}"
        target = f"t{int(rng.paretovariate(1.0)) % 40}"
        ts = 1_600_000_000 + rng.randrange(0, 3600)
        is_repost = rng.random() < 0.85
        rows.append((f"m{i}", user, user, target if is_repost else "", "", f"text {i}", ts))
    return rows


@pytest.mark.parametrize(("window_s", "min_weight"), [(60, 1), (10, 2), (0, 1)])
def test_identical_edges_to_coordination_network_toolkit(ws, tmp_path, window_s, min_weight):
    rows = _data()
    src = tmp_path / "in.csv"
    with src.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"])
        for r in rows:
            w.writerow([*r, ""])
    db = str(tmp_path / "cnt.db")
    cnt_pre.preprocess_csv_files(db, [str(src)])
    cnt_compute.compute_co_retweet_parallel(db, window_s, n_threads=1, min_edge_weight=min_weight)
    with sqlite3.connect(db) as con:
        theirs = {(a, b, int(wt)) for a, b, wt in con.execute("SELECT user_1, user_2, weight FROM co_retweet_network")}

    ws.engine.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": ["twitter"] * len(rows),
                "action_id": [r[0] for r in rows],
                "account_id": [r[1] for r in rows],
                "kind": ["repost" if r[3] else "post" for r in rows],
                "target_action_id": pa.array([r[3] or None for r in rows], pa.string()),
                "acted_at": pa.array(
                    [dt.datetime.fromtimestamp(r[6], dt.UTC).replace(tzinfo=None) for r in rows], pa.timestamp("us")
                ),
            }
        ),
    )
    t = cnt_co_retweet(ws.engine, window_s=window_s, min_edge_weight=min_weight)
    ours = set(
        zip(t.column("user_1").to_pylist(), t.column("user_2").to_pylist(), t.column("weight").to_pylist(), strict=True)
    )
    assert len(theirs) > 10
    assert ours == theirs
