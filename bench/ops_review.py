"""Benchmark: the operational store under enforcement load, on PostgreSQL (and SQLite for comparison).

Three measurements, each in a database of its own that is dropped afterwards:

1. **bulk suspension**: open a case on N accounts (default 200,000, the August 2019 amplifier takedown), propose a
   permanent suspension, draw and label the 100-subject sign-off sample, approve and execute it subject by subject
   (target: the whole approval ≤ 30 s on PostgreSQL);
2. **audit verify** over M chained entries (default 1,000,000; target ≤ 60 s): entries are appended in bulk with
   the real hash function, then ``audit.verify`` walks and recomputes the chain;
3. **concurrent approvers**: R reviewers (default 20, threads, each with its own connections) take proposed cases
   from one queue of Q cases (default 200, 50 accounts each) and approve whatever is left; every action must end
   approved exactly once.

    .venv/bin/python bench/ops_review.py                        # PostgreSQL at 127.0.0.1:5432 (trust, as postgres)
    .venv/bin/python bench/ops_review.py --backend sqlite --accounts 50000 --audit-entries 200000

Prints a table and writes bench/results/ops_review[_sqlite].json with the machine's load average beside the
figures (the machine is shared; seconds include other processes' load).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import func, insert, select

from flockwatch.errors import RefusedError
from flockwatch.review import actions, audit, sampling
from flockwatch.review.actor import Actor
from flockwatch.review.cases import get_case, open_case
from flockwatch.store import close_store, open_store, utc_now
from flockwatch.store.tables import ops_actions, ops_audit
from flockwatch.store.users import add_user, get_user

RESULTS = Path(__file__).parent / "results"


class Database:
    """A throw-away store: a fresh PostgreSQL database, or a SQLite file in a temporary directory."""

    def __init__(self, backend: str, pg: str) -> None:
        self.backend = backend
        self.pg = pg
        if backend == "postgresql":
            import psycopg

            self.name = f"fwbench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(f"postgresql://postgres@{pg}/postgres", autocommit=True) as c:
                c.execute(f"CREATE DATABASE {self.name}")
            self.url = f"postgresql+psycopg://postgres@{pg}/{self.name}"
        else:
            self.tmp = tempfile.TemporaryDirectory()
            self.url = f"sqlite:///{self.tmp.name}/ops.sqlite"
        self.store = open_store(self.url)

    def close(self) -> None:
        close_store(self.url)
        if self.backend == "postgresql":
            import psycopg

            with psycopg.connect(f"postgresql://postgres@{self.pg}/postgres", autocommit=True) as c:
                c.execute(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        else:
            self.tmp.cleanup()


def _actor(store, name: str) -> Actor:
    return Actor(get_user(store, name), None, "embedded")


def bench_bulk(db: Database, n_accounts: int) -> dict:
    st = db.store
    add_user(st, "alice", "analyst")
    add_user(st, "bob", "reviewer")
    rng = random.Random(2019)
    from flockwatch.review.cases import Subject

    subjects = [
        Subject("account", f"tw:{i:09d}", "twitter", f"amp_{i}", round(rng.uniform(0.8, 1.0), 3), {"signal": "new"})
        for i in range(n_accounts)
    ]
    t0 = time.perf_counter()
    case_id = open_case(st, by="alice", subjects=subjects, accounts_ref="amplifiers.csv")
    t_open = time.perf_counter()
    actions.propose(st, case_id, _actor(st, "alice"), "suspend", "spam amplifiers of a state-backed operation")
    t_prop = time.perf_counter()
    bob = _actor(st, "bob")
    for r in sampling.draw_sample(st, case_id, bob, size=100, seed=1):
        sampling.label_subject(st, case_id, bob, r["subject_id"], "correct")
    t_sample = time.perf_counter()
    actions.approve(st, case_id, bob)
    t_appr = time.perf_counter()
    counts = get_case(st, case_id, with_subjects=False).counts
    assert counts == {"executed": n_accounts}, counts
    return {
        "accounts": n_accounts,
        "open_s": round(t_open - t0, 2),
        "propose_s": round(t_prop - t_open, 2),
        "sample_and_label_s": round(t_sample - t_prop, 2),
        "approve_and_execute_s": round(t_appr - t_sample, 2),
        "total_s": round(t_appr - t0, 2),
    }


def bench_audit(db: Database, n_entries: int, chunk: int = 50_000) -> dict:
    st = db.store
    t0 = time.perf_counter()
    prev, seq = audit.GENESIS, 0
    at = utc_now()
    while seq < n_entries:
        rows = []
        for _ in range(min(chunk, n_entries - seq)):
            seq += 1
            ev = json.dumps([{"case_id": f"C{seq % 997}", "action_id": seq % 31}], separators=(",", ":"))
            h = audit.entry_hash(
                seq, at, "bob", "ops", "action.approve", f"case:C{seq % 997}", "bulk", ev, None, None, prev
            )
            rows.append(
                dict(
                    seq=seq,
                    at=at,
                    actor="bob",
                    os_user="ops",
                    action="action.approve",
                    object_ref=f"case:C{seq % 997}",
                    reason="bulk",
                    evidence_json=ev,
                    before_json=None,
                    after_json=None,
                    prev_hash=prev,
                    entry_hash=h,
                )
            )
            prev = h
        with st.begin() as conn:
            if db.backend == "postgresql":
                raw = conn.connection.driver_connection
                cols = list(rows[0])
                with raw.cursor() as cur, cur.copy(f"COPY ops_audit ({', '.join(cols)}) FROM STDIN") as cp:
                    for r in rows:
                        cp.write_row([r[c] for c in cols])
            else:
                conn.execute(insert(ops_audit), rows)
    t_fill = time.perf_counter()
    cpu0 = time.process_time()
    v = audit.verify(st)
    t_verify = time.perf_counter()
    assert v.ok and v.entries == n_entries, v
    # cpu_s: this process's own CPU time (fetching rows, recomputing hashes); on a shared machine verify_s also
    # holds other processes' load
    return {
        "entries": n_entries,
        "fill_s": round(t_fill - t0, 2),
        "verify_s": round(t_verify - t_fill, 2),
        "verify_cpu_s": round(time.process_time() - cpu0, 2),
    }


def bench_approvers(db: Database, n_reviewers: int, n_cases: int, per_case: int = 50) -> dict:
    st = db.store
    add_user(st, "ana", "analyst")
    for i in range(n_reviewers):
        add_user(st, f"rev{i:02d}", "reviewer")
    ana = _actor(st, "ana")
    queue = []
    for c in range(n_cases):
        cid = open_case(st, by="ana", accounts=[f"tw:{c}:{i}" for i in range(per_case)], accounts_ref=f"q{c}")
        actions.propose(st, cid, ana, "suspend", "queue")
        queue.append(cid)
    wins: dict[str, int] = {}
    refused = 0
    lock = threading.Lock()
    barrier = threading.Barrier(n_reviewers)

    def reviewer(i: int) -> None:
        nonlocal refused
        me = _actor(st, f"rev{i:02d}")
        order = queue[:]
        random.Random(i).shuffle(order)  # everyone works the same queue, in their own order
        barrier.wait()
        for cid in order:
            try:
                actions.approve(st, cid, me)
                with lock:
                    wins[cid] = wins.get(cid, 0) + 1
            except RefusedError:
                with lock:
                    refused += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(n_reviewers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    with st.connect() as conn:
        approved = conn.execute(
            select(func.count()).where(ops_actions.c.status == "executed", ops_actions.c.approved_by.is_not(None))
        ).scalar_one()
    assert all(v == 1 for v in wins.values()) and len(wins) == n_cases == approved, (len(wins), approved)
    assert audit.verify(st).ok
    return {
        "reviewers": n_reviewers,
        "cases": n_cases,
        "subjects_per_case": per_case,
        "approved_once": len(wins),
        "refusals": refused,
        "seconds": round(elapsed, 2),
        "approvals_per_s": round(n_cases / elapsed, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--pg", default=os.environ.get("FLOCKWATCH_TEST_PG", "127.0.0.1:5432"))
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--audit-entries", type=int, default=1_000_000)
    ap.add_argument("--reviewers", type=int, default=20)
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--only", choices=("bulk", "audit", "approvers"), action="append")
    args = ap.parse_args()
    todo = args.only or ["bulk", "audit", "approvers"]
    out: dict = {"backend": args.backend, "load_avg_before": os.getloadavg()}
    for name in todo:
        db = Database(args.backend, args.pg)
        try:
            if name == "bulk":
                out["bulk_suspension"] = bench_bulk(db, args.accounts)
            elif name == "audit":
                out["audit_verify"] = bench_audit(db, args.audit_entries)
            else:
                out["concurrent_approvers"] = bench_approvers(db, args.reviewers, args.cases)
        finally:
            db.close()
        print(
            name,
            json.dumps(out.get({"bulk": "bulk_suspension", "audit": "audit_verify"}.get(name, "concurrent_approvers"))),
            flush=True,
        )
    out["load_avg_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("ops_review.json" if args.backend == "postgresql" else "ops_review_sqlite.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{'measure':<24}{'figure':>12}")
    for key, fig in (
        ("bulk_suspension", "total_s"),
        ("bulk_suspension", "approve_and_execute_s"),
        ("audit_verify", "verify_s"),
        ("concurrent_approvers", "seconds"),
    ):
        if key in out:
            print(f"{key + '.' + fig:<40}{out[key][fig]:>10}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
