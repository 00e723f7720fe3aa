"""The bounded-cascade retweet log: CNT's columns, cascades capped, the planted accounts detected after ingest."""

from __future__ import annotations

import csv

import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.detect import detect
from flockwatch.evaluate.retweet_log import CNT_COLUMNS, generate, write_csv
from flockwatch.ingest.loader import ingest_paths
from flockwatch.workspace import Workspace


def test_cascades_are_bounded_and_the_file_is_cnts_format(tmp_path):
    log = generate(20_000, seed=3, max_cascade=200)
    assert tuple(log.table.column_names) == CNT_COLUMNS
    assert log.table.num_rows == 20_000
    t = log.table
    organic = pc.invert(pc.is_in(t.column("user_id"), value_set=pa.array(log.planted)))
    reposts = pc.filter(t.column("repost_id"), pc.and_(pc.not_equal(t.column("repost_id"), ""), organic))
    sizes = pc.value_counts(reposts).field("counts").to_numpy()
    # the cap, plus the few redistributed retweets that land on a capped tweet again (uniform over 6,000 tweets)
    assert 200 <= sizes.max() <= 210
    assert generate(20_000, seed=3, max_cascade=200).table.equals(log.table)
    path = write_csv(log, tmp_path / "cnt.csv")
    with path.open(newline="") as fh:
        assert tuple(next(csv.reader(fh))) == CNT_COLUMNS


def test_planted_accounts_are_found_after_ingest(tmp_path):
    log = generate(30_000, seed=5)
    path = write_csv(log, tmp_path / "cnt.csv")
    with Workspace.create(tmp_path / "ws") as ws:
        [summary] = ingest_paths(ws, [path])
        assert summary.format == "cnt_csv" and summary.rows_quarantined == 0
        run = detect(ws, ["co_repost"])
        rows = ws.engine.sql("SELECT account_a, account_b FROM edges WHERE run_id = ?", [run.run_id]).rows()
    planted = set(log.planted)
    assert rows and all(a in planted and b in planted for a, b in rows)
