"""Benchmark: retention and deletion requests on a warehouse of the 2019 takedown's size.

Builds a throw-away workspace (DuckDB file, SQLite operational store) with A accounts (default 200,000: the
amplifier takedown) with bios, 10 actions each (with one hashtag each), 5 login events each over 2017–2019, a decided
case holding every account (evidence frozen at open) and a held case of 1,000 of them, and 100,000 old access-log
records; then measures, as of 2020-06-01:

1. ``retention_due`` (what ``retention show`` counts);
2. ``apply_retention`` (the removals, one warehouse and one store transaction, the audit entry);
3. ``apply_retention`` again (idempotent: nothing due);
4. ``delete_account`` of one account (its rows in 14 warehouse tables, its case evidence) and the no-op re-run.

    .venv/bin/python bench/privacy.py                  # 200,000 accounts
    .venv/bin/python bench/privacy.py --accounts 20000

Prints a table and writes bench/results/privacy.json with the load average beside the figures (the machine is
shared; seconds include other processes' load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, update

from flockwatch.privacy.deletion import delete_account
from flockwatch.privacy.policy import RetentionPolicy
from flockwatch.privacy.retention import apply_retention, retention_due
from flockwatch.review import holds
from flockwatch.review.actor import Actor
from flockwatch.review.cases import open_case
from flockwatch.store.tables import ops_access_log, ops_cases
from flockwatch.store.users import add_user, get_user
from flockwatch.workspace import Workspace

RESULTS = Path(__file__).parent / "results"
AS_OF = dt.datetime(2020, 6, 1, tzinfo=dt.UTC)


def _fill(ws: Workspace, n: int) -> None:
    e = ws.engine
    e.sql(
        "INSERT INTO accounts (platform, account_id, screen_name, created_at, description, reported_location) "
        "SELECT 'twitter', 'tw:' || i, 'user' || i, TIMESTAMP '2017-01-01' + to_seconds(i * 97 % 50000000), "
        "'bio of account ' || i, 'Hong Kong' FROM range(?) t(i)",
        [n],
    )
    e.sql(
        "INSERT INTO actions (platform, action_id, account_id, kind, acted_at, text) "
        "SELECT 'twitter', 'a' || i, 'tw:' || (i // 10), 'post', "
        "TIMESTAMP '2018-01-01' + to_seconds((i * 7919) % 60000000), 'post text ' || i FROM range(?) t(i)",
        [n * 10],
    )
    e.sql("INSERT INTO action_hashtags SELECT 'twitter', action_id, 'hk' FROM actions")
    e.sql(
        "INSERT INTO infrastructure SELECT 'twitter', 'tw:' || (i // 5), "
        "TIMESTAMP '2017-06-01' + to_seconds((i * 104729) % 90000000), '10.' || (i % 250) || '.0.0/24', 4134, 'CN', "
        "i % 3 = 0 FROM range(?) t(i)",
        [n * 5],
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    args = ap.parse_args()
    n = args.accounts
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="fw-privacy-") as tmp:
        os.environ.pop("FLOCKWATCH_OPS_URL", None)
        with Workspace.create(Path(tmp) / "ws", registry=False) as ws:
            t = time.perf_counter()
            _fill(ws, n)
            store = ws.ops()
            add_user(store, "bob", "reviewer")
            bob = Actor(get_user(store, "bob"), None, "embedded")
            ids = [f"tw:{i}" for i in range(n)]
            case = open_case(store, by="bob", engine=ws.engine, accounts=ids, accounts_ref="bench")
            held = open_case(store, by="bob", engine=ws.engine, accounts=ids[:1000], accounts_ref="held")
            with store.begin() as conn:
                conn.execute(update(ops_cases).values(status="actioned", opened_at="2018-01-01T00:00:00+00:00"))
                conn.execute(
                    insert(ops_access_log),
                    [
                        {"at": "2018-03-01T00:00:00+00:00", "actor": "bob", "account_id": f"tw:{i}"}
                        for i in range(100_000)
                    ],
                )
            holds.place_hold(store, held, bob, "bench")
            rows.append(("build the workspace", time.perf_counter() - t, f"{n:,} accounts, {n * 10:,} actions"))

            t = time.perf_counter()
            due = retention_due(ws.engine, store, RetentionPolicy(), AS_OF)
            rows.append(("retention_due", time.perf_counter() - t, json.dumps(due.removed)))
            t = time.perf_counter()
            done = apply_retention(ws.engine, store, RetentionPolicy(), AS_OF)
            rows.append(("apply_retention", time.perf_counter() - t, json.dumps(done.removed)))
            assert done.removed == due.removed, (done.removed, due.removed)
            t = time.perf_counter()
            again = apply_retention(ws.engine, store, RetentionPolicy(), AS_OF)
            rows.append(("apply_retention again", time.perf_counter() - t, json.dumps(again.removed)))
            assert not any(again.removed.values())
            t = time.perf_counter()
            gone = delete_account(ws.engine, store, bob, ids[-1], "bench request")
            removed = {k: v for k, v in gone.removed.items() if v}
            rows.append(("delete_account", time.perf_counter() - t, json.dumps(removed)))
            t = time.perf_counter()
            noop = delete_account(ws.engine, store, bob, ids[-1], "bench request")
            rows.append(
                ("delete_account again", time.perf_counter() - t, f"nothing_to_remove={noop.nothing_to_remove}")
            )
            _ = case
    load = os.getloadavg()
    print(f"{'step':<24} {'seconds':>9}  result")
    for name, s, what in rows:
        print(f"{name:<24} {s:>9.2f}  {what}")
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    RESULTS.mkdir(exist_ok=True)
    out = {
        "accounts": n,
        "steps": [{"step": a, "seconds": round(b, 3), "result": c} for a, b, c in rows],
        "load_average": load,
        "cpus": os.cpu_count(),
    }
    (RESULTS / "privacy.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
