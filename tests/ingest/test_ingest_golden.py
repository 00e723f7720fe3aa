"""Golden files: each hand-written fixture loads to exactly the rows in ``<fixture>.expected.json``.

Regenerate after a deliberate change with ``FLOCKWATCH_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import json
import os

import pytest

from flockwatch.ingest import ingest_paths
from flockwatch.workspace import Workspace

from .helpers import READER_FIXTURES, dump, expected_path

CASES = [(name, f) for name, files in READER_FIXTURES.items() for f in files]


@pytest.mark.parametrize(("reader", "fixture"), CASES, ids=[f"{n}:{f.name}" for n, f in CASES])
def test_fixture_loads_to_golden_rows(reader, fixture, ws):
    [summary] = ingest_paths(ws, [fixture])
    assert summary.format == reader
    got = dump(ws)
    golden = expected_path(fixture)
    if os.environ.get("FLOCKWATCH_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(golden.read_text())


def test_archive_users_then_tweets_keeps_first_account_and_joins(ws):
    """The same account in a users file and a tweets file is one row; hashed ids stay joinable."""
    users, tweets = READER_FIXTURES["twitter_io_archive"][1], READER_FIXTURES["twitter_io_archive"][0]
    ingest_paths(ws, [users, tweets])
    e = ws.engine
    assert e.sql("SELECT count(*) FROM accounts WHERE account_id = '111'").scalar() == 1
    joined = e.sql(
        "SELECT count(*) FROM actions a JOIN accounts u USING (platform, account_id) WHERE u.id_is_pseudonymised"
    ).scalar()
    assert joined == 1  # the reply by the 64-hex hashed account


def test_canonical_parquet_loads_like_csv(tmp_path, ws):
    csv = READER_FIXTURES["canonical"][0]
    other = Workspace.memory()
    try:
        ingest_paths(other, [csv])
        other.export("actions", tmp_path / "actions.parquet")
    finally:
        other.close()
    [summary] = ingest_paths(ws, [tmp_path / "actions.parquet"])
    assert summary.format == "canonical"
    assert dump(ws) == json.loads(expected_path(csv).read_text())


def test_gzip_and_zip_inputs_load_the_same_rows(tmp_path, ws):
    import gzip
    import zipfile

    src = READER_FIXTURES["twitter_io_archive"][0]
    gz = tmp_path / "x_tweets_csv_hashed.csv.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    zp = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.write(src, "inner/tweets.csv")
    [s1] = ingest_paths(ws, [gz])
    assert s1.rows_loaded == 4 and dump(ws) == json.loads(expected_path(src).read_text())
    w2 = Workspace.memory()
    try:
        [s2] = ingest_paths(w2, [zp])
        assert s2.source_file.endswith("!inner/tweets.csv")
        assert dump(w2) == dump(ws)
    finally:
        w2.close()
