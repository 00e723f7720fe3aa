"""A simulated platform (small preset) ingested, detected and clustered once per package, with hostile posts and a
hostile bio planted for one member: the victim is a small account that is not a member, named in every disguise."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from flockwatch.detect import detect
from flockwatch.disclose import generate_key
from flockwatch.ingest import ingest_paths
from flockwatch.networks import build_networks
from flockwatch.simulate import simulate
from flockwatch.workspace import Workspace

GHOST = "ghost_handle_77"


@dataclass
class Scenario:
    ws_dir: Path
    key_file: Path
    member: str
    victim_id: str
    victim_handle: str
    public_handle: str
    hostile_texts: list[str]


def hostile_texts(handle: str, account_id: str) -> list[str]:
    full = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in handle.upper())
    bold = "".join(chr(0x1D41A + ord(c) - ord("a")) if "a" <= c <= "z" else c for c in handle.lower())
    return [
        f"RT @{handle}: 支持警察 https://twitter.com/{handle}/status/123",
        f"请看{handle}的推文 ＠{full} and {bold}",
        f"%40{handle} &#64;{handle} &commat;{handle.swapcase()} %26%2364%3B{handle}",
        f"profile https://x.com/intent/user?user_id={account_id} id:{account_id} <b>{handle}</b>",
        f"mobile.twitter.com/{handle.upper()}?ref=x and #{handle} and @{GHOST}",
    ]


@pytest.fixture(scope="package")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("disclose")
    sim = simulate(root / "data", preset="small", seed=3, progress=None)
    ws_dir = root / "ws"
    with Workspace.create(ws_dir, registry=False) as ws:
        ingest_paths(ws, [sim.users_file, *sim.tweets_files])
        run = detect(ws)
        build_networks(ws, run.run_id)
        e = ws.engine
        member = e.sql(
            "SELECT account_id FROM network_members WHERE run_id = ? AND network_id = 'N0001' ORDER BY 1 LIMIT 1",
            [run.run_id],
        ).scalar()
        victim_id, victim_handle = e.sql(
            """SELECT account_id, screen_name FROM accounts WHERE follower_count < 5000
               AND account_id NOT IN (SELECT account_id FROM network_members) ORDER BY account_id LIMIT 1"""
        ).one()
        public_handle = e.sql("SELECT screen_name FROM accounts ORDER BY follower_count DESC LIMIT 1").scalar()
        texts = hostile_texts(victim_handle, victim_id) + [f"read @{public_handle} today"]
        t0 = dt.datetime(2019, 7, 1, 12)
        for i, text in enumerate(texts):
            e.sql(
                "INSERT INTO actions VALUES ('twitter', ?, ?, 'post', ?, NULL, NULL, ?, 'zh', 'Twitter Web App')",
                [f"99000000000000{i:04d}", member, t0 + dt.timedelta(minutes=i), text],
            )
        e.sql(
            "UPDATE accounts SET description = ? WHERE account_id = ?",
            [f"fan of @{victim_handle} · twitter.com/{victim_handle} · uid {victim_id}", member],
        )
    key_file = root / "release.key"
    generate_key(key_file)
    return Scenario(ws_dir, key_file, member, victim_id, victim_handle, public_handle, texts)
