"""Shared pieces of the ingest tests: the fixture of each reader and a canonical dump of a workspace."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from flockwatch import schema
from flockwatch.workspace import Workspace

from fwtest import FIXTURES

FIX = FIXTURES / "ingest"

#: reader name → its hand-written fixtures (the first is the one the contract suite uses).
READER_FIXTURES: dict[str, list[Path]] = {
    "twitter_io_archive": [
        FIX / "twitter_io_archive" / f for f in ("tweets.csv", "users.csv", "users_noprefix.csv", "ira2018_tweets.csv")
    ],
    "twarc2_jsonl": [FIX / "twarc2_jsonl" / f for f in ("pages.jsonl", "flat.jsonl")],
    "coortweet_share_log": [FIX / "coortweet_share_log" / f for f in ("shares.csv", "german.csv")],
    "cnt_csv": [FIX / "cnt_csv" / "messages.csv"],
    "ira_csv": [FIX / "ira_csv" / f for f in ("ACCOUNT1.csv", "full538.csv")],
    "login_events": [FIX / "login_events" / "logins.csv"],
    "platform_assets": [FIX / "platform_assets" / "assets.jsonl"],
    "canonical": [FIX / "canonical" / "actions.csv"],
}

#: reader name → (canonical table holding one row per good source record, its id column or None for a count).
UNIT_TABLE: dict[str, str] = {
    "twitter_io_archive": "actions",
    "twarc2_jsonl": "actions",
    "coortweet_share_log": "actions",
    "cnt_csv": "actions",
    "ira_csv": "actions",
    "login_events": "infrastructure",
    "platform_assets": "assets",
    "canonical": "actions",
}


def _jsonable(v):
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    return v


def dump(ws: Workspace, with_quarantine: bool = True) -> dict[str, list[list]]:
    """Every data table (and quarantine without its ingest id) as sorted lists of rows."""
    out: dict[str, list[list]] = {}
    for table in schema.DATA_TABLES:
        rows = ws.engine.sql(f"SELECT {', '.join(table.column_names)} FROM {table.name}").rows()
        out[table.name] = sorted(([_jsonable(v) for v in r] for r in rows), key=lambda r: json.dumps(r))
    if with_quarantine:
        rows = ws.engine.sql("SELECT line, reason, raw FROM quarantine").rows()
        out["quarantine"] = sorted(([_jsonable(v) for v in r] for r in rows), key=lambda r: json.dumps(r))
    return out


def expected_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name + ".expected.json")
