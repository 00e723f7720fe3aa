"""Real data from ../shared/data (skipped where absent): IRA per-author CSVs and CooRTweet share logs load fully."""

from __future__ import annotations

import csv
import gzip

import pytest

from flockwatch.ingest import ingest_paths

from fwtest import shared_data

pytestmark = pytest.mark.shared_data


def _records(path) -> int:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_ira_per_author_files_load_completely(ws):
    folder = shared_data("ira", "tweets")
    files = sorted(folder.glob("*.csv"))[:12]  # a subset for time; the full folder is measured by the benchmark
    summaries = ingest_paths(ws, files)
    assert {s.format for s in summaries} == {"ira_csv"}
    assert sum(s.rows_quarantined for s in summaries) == 0
    expected = sum(_records(f) for f in files)
    assert sum(s.rows_loaded for s in summaries) == expected
    assert ws.engine.count("actions") == expected  # every tweet its own deterministic id
    assert ws.engine.count("accounts") == len(files)
    kinds = dict(ws.engine.sql("SELECT kind, count(*) FROM actions GROUP BY kind").rows())
    assert kinds.get("repost", 0) > 0 and kinds.get("post", 0) > 0


@pytest.mark.parametrize("name", ["russian_coord_tweets.csv.gz", "german_elections.csv.gz"])
def test_coortweet_share_logs_load_completely(name, ws):
    path = shared_data("coortweet", name)
    [s] = ingest_paths(ws, [path])
    assert s.format == "coortweet_share_log"
    assert s.rows_read == _records(path)
    # The German log has 3 rows without a post_id; they are quarantined, not dropped.
    assert set(s.quarantined_by_reason) <= {"post_id: missing"}
    assert s.rows_quarantined == (3 if name.startswith("german") else 0)
    assert ws.engine.sql("SELECT count(*) FROM actions WHERE kind <> 'share'").scalar() == 0
    # One action per distinct post id (content_id / post_id): 35,085 and 194,323 in the packaged logs.
    assert ws.engine.count("actions") == (194_323 if name.startswith("german") else 35_085)
