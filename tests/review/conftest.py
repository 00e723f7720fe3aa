"""Fixtures for the review suite: an on-disk workspace holding a finished detection run, whose operational store is
SQLite (ops.sqlite in the workspace) or PostgreSQL (a database of its own through FLOCKWATCH_OPS_URL, the
application connecting as a role without superuser rights), and its users with password files."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from flockwatch.cli.app import main
from flockwatch.workspace import Workspace, ops_store

import opsdb

RUN = "run-20190819"
T0 = dt.datetime(2019, 8, 19, 9, 0)
# a flagged network of 12 accounts and a small unflagged one: realistic member rows (score, degree, join evidence)
N1 = [f"tw:{1000 + i}" for i in range(12)]
N2 = [f"tw:{2000 + i}" for i in range(3)]


def make_run(ws: Workspace) -> None:
    e = ws.engine
    e.executemany(
        "INSERT INTO accounts (platform, account_id, screen_name, display_name, created_at, follower_count, "
        "following_count) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            ("twitter", a, f"hk_news_{a[3:]}", f"HK News {a[3:]}", T0 - dt.timedelta(days=30 + i), 10 + i, 300)
            for i, a in enumerate(N1 + N2)
        ],
    )
    e.sql(
        "INSERT INTO detection_runs (run_id, params_json, started_at, finished_at, detectors, status) "
        "VALUES (?, '{}', ?, ?, 'co_repost', 'done')",
        [RUN, T0, T0 + dt.timedelta(minutes=3)],
    )
    e.executemany(
        "INSERT INTO networks (run_id, network_id, size, score, flagged, signals, explanation) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (RUN, "N0001", len(N1), 0.93, True, "co_repost,sync_post", "12 accounts reposting the same posts"),
            (RUN, "N0002", len(N2), 0.41, False, "co_hashtag", "3 accounts sharing hashtags"),
        ],
    )
    e.executemany(
        "INSERT INTO network_members (run_id, network_id, account_id, account_score, degree, strength, joined_by, "
        "evidence_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(RUN, "N0001", a, 0.99 - i * 0.03, 11 - i % 3, 30.0 - i, "cluster", None) for i, a in enumerate(N1)]
        + [(RUN, "N0002", a, 0.4, 2, 3.0, "cluster", None) for a in N2],
    )


@dataclass
class ReviewEnv:
    path: Path
    backend: str
    passwords: dict[str, Path]

    def cli(self, *argv: str) -> int:
        return main([*argv, "--workspace", str(self.path)])

    def as_user(self, name: str) -> list[str]:
        """The acting-user options for ``name``: a password file on every backend."""
        return ["--by", name, "--password-file", str(self.passwords[name])]

    def store(self):
        return ops_store(self.path)


@pytest.fixture(params=opsdb.BACKENDS)
def review_env(request, tmp_path, monkeypatch):
    path = tmp_path / "ws"
    with opsdb.workspace_backend(request.param, monkeypatch, path):
        with Workspace.create(path, registry=False) as ws:
            make_run(ws)
        passwords = {}
        for name in ("admin", "alice", "bob", "carol"):
            pw = tmp_path / f"{name}.pw"
            pw.write_text(f"{name}-correct-horse\n")
            passwords[name] = pw
        env = ReviewEnv(path, request.param, passwords)
        roles = {"admin": "admin", "alice": "analyst", "bob": "reviewer", "carol": "analyst"}
        for name, role in roles.items():
            extra = [] if name == "admin" else ["--by", "admin", "--by-password-file", str(passwords["admin"])]
            assert env.cli("users", "add", name, "--role", role, "--password-file", str(passwords[name]), *extra) == 0
        yield env
