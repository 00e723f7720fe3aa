"""Workspace: creation, schema versions and migrations, export, info."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from flockwatch import schema
from flockwatch.engine import DuckDBEngine
from flockwatch.engine.migrations import MIGRATIONS, SCHEMA_VERSION
from flockwatch.errors import UnknownNameError, WorkspaceError
from flockwatch.workspace import Workspace


def _actions(n: int) -> pa.Table:
    base = dt.datetime(2019, 8, 1, 12, 0)
    return pa.table(
        {
            "platform": ["twitter"] * n,
            "action_id": [str(100 + i) for i in range(n)],
            "account_id": [str(i % 3) for i in range(n)],
            "kind": ["post"] * n,
            "acted_at": [base + dt.timedelta(minutes=i) for i in range(n)],
        }
    )


def test_create_makes_all_canonical_tables_at_current_version(tmp_path):
    with Workspace.create(tmp_path / "w") as ws:
        assert ws.schema_version == SCHEMA_VERSION == len(MIGRATIONS)
        assert {t.name for t in ws.tables()} == set(schema.CANONICAL_TABLES)
    assert (tmp_path / "w" / "warehouse.duckdb").exists()
    assert (tmp_path / "w" / "runs").is_dir()


def test_open_missing_workspace_says_how_to_create(tmp_path):
    with pytest.raises(WorkspaceError, match="flockwatch init"):
        Workspace.open(tmp_path / "nope")


def test_newer_workspace_fails_with_instructions(tmp_path):
    Workspace.create(tmp_path / "w").close()
    e = DuckDBEngine(tmp_path / "w" / "warehouse.duckdb")
    e.sql("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 5)])
    e.close()
    with pytest.raises(WorkspaceError, match=r"newer flockwatch.*Upgrade"):
        Workspace.open(tmp_path / "w")


def test_older_workspace_read_only_asks_for_migrate_and_rw_open_migrates(tmp_path):
    Workspace.create(tmp_path / "w").close()
    e = DuckDBEngine(tmp_path / "w" / "warehouse.duckdb")
    # Pretend the last migration never ran: roll the recorded version back by one.
    last = MIGRATIONS[-1].name
    e.sql("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION - 1)])
    e.sql("DELETE FROM migrations WHERE name = ?", [last])
    e.close()
    if SCHEMA_VERSION - 1 == 0:
        # With a single migration, version 0 means "not a workspace yet"; re-running it must be idempotent.
        pass
    with pytest.raises(WorkspaceError, match="flockwatch migrate"):
        Workspace.open(tmp_path / "w", read_only=True)
    with Workspace.open(tmp_path / "w") as ws:
        assert ws.schema_version == SCHEMA_VERSION
        assert last in [r[0] for r in ws.engine.sql("SELECT name FROM migrations").rows()]


def test_export_parquet_and_csv_roundtrip(ws, tmp_path):
    ws.engine.insert_arrow("actions", _actions(5))
    out = ws.export("actions", tmp_path / "a.parquet")
    t = pq.read_table(out)
    assert t.num_rows == 5
    assert t.column_names == schema.ACTIONS.column_names
    csv = ws.export("actions", tmp_path / "a.csv", fmt="csv")
    assert csv.read_text().splitlines()[0].split(",") == schema.ACTIONS.column_names
    with pytest.raises(UnknownNameError):
        ws.export("no_such_table", tmp_path / "x.parquet")


def test_info_reports_counts_span_and_quarantine(ws):
    ws.engine.insert_arrow("actions", _actions(4))
    ws.engine.sql("INSERT INTO quarantine VALUES ('i1', 'f.csv', 3, 'tweet_time: cannot parse', 'x')")
    info = ws.info()
    assert info["tables"]["actions"] == 4
    assert info["actions_by_kind"] == {"post": 4}
    assert info["time_span"]["first_action_at"] == "2019-08-01T12:00:00"
    assert info["time_span"]["last_action_at"] == "2019-08-01T12:03:00"
    assert info["quarantine"] == [{"source_file": "f.csv", "reason": "tweet_time: cannot parse", "rows": 1}]


def test_transaction_rolls_back_on_error(ws):
    with pytest.raises(RuntimeError), ws.engine.transaction():
        ws.engine.insert_arrow("actions", _actions(3))
        raise RuntimeError("boom")
    assert ws.engine.count("actions") == 0
