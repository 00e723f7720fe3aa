"""Benchmark: hand-off delivery of a bulk suspension to a webhook on loopback.

A case of N accounts (default 200,000) is opened, proposed, sampled, approved and executed in a fresh store; its
records are then delivered with ``flockwatch.review.delivery.deliver`` in batches (default 500 records per request)
to a real HTTP receiver in a thread of this process that checks every HMAC signature and de-duplicates by
Idempotency-Key, as an enforcement system would. One batch in ``--fail-every`` is answered 500 the first time, so
retries are part of the figure. Measured: queueing (reading the hand-off records, writing one delivery row each),
sending (requests, signature, the store's per-batch updates and audit entries), and a second call that must find
nothing to send.

    .venv/bin/python bench/handoff_delivery.py                                # PostgreSQL at 127.0.0.1:5432
    .venv/bin/python bench/handoff_delivery.py --backend sqlite --accounts 50000

Prints a table and writes bench/results/handoff_delivery[_sqlite].json with the load average beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ops_review import RESULTS, Database, _actor

from flockwatch.review import actions, delivery, sampling
from flockwatch.review.cases import Subject, open_case
from flockwatch.store.users import add_user

SECRET = b"bench-secret-0123456789abcdef"


class Receiver:
    """Verifies signatures, de-duplicates by Idempotency-Key, counts records applied; fails chosen first tries."""

    def __init__(self, fail_every: int) -> None:
        self.lock = threading.Lock()
        self.keys: set[str] = set()
        self.failed_once: set[str] = set()
        self.applied = self.requests = self.bad_signatures = self.duplicates = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the client reuses one connection

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                key = self.headers.get("Idempotency-Key", "")
                ok = delivery.verify_signature(SECRET, body, self.headers.get(delivery.SIGNATURE_HEADER))
                code = 200
                with outer.lock:
                    outer.requests += 1
                    if not ok:
                        outer.bad_signatures += 1
                        code = 401
                    elif fail_every and int(key[:8], 16) % fail_every == 0 and key not in outer.failed_once:
                        outer.failed_once.add(key)
                        code = 500
                    elif key in outer.keys:
                        outer.duplicates += 1
                    else:
                        outer.keys.add(key)
                        outer.applied += len(json.loads(body)["records"])
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def bench(db: Database, n_accounts: int, batch_records: int, fail_every: int) -> dict:
    st = db.store
    add_user(st, "alice", "analyst")
    add_user(st, "bob", "reviewer")
    rng = random.Random(2019)
    subjects = [
        Subject("account", f"tw:{i:09d}", "twitter", f"amp_{i}", round(rng.uniform(0.8, 1.0), 3))
        for i in range(n_accounts)
    ]
    t0 = time.perf_counter()
    case_id = open_case(st, by="alice", subjects=subjects, accounts_ref="amplifiers.csv")
    actions.propose(st, case_id, _actor(st, "alice"), "suspend", "spam amplifiers")
    bob = _actor(st, "bob")
    for r in sampling.draw_sample(st, case_id, bob, size=100, seed=1):
        sampling.label_subject(st, case_id, bob, r["subject_id"], "correct")
    actions.approve(st, case_id, bob)
    t_approved = time.perf_counter()
    delivery.allow_host(st, "127.0.0.1", "admin")
    rx = Receiver(fail_every)
    policy = delivery.DeliveryPolicy(timeout_s=30.0, batch_records=batch_records, base_delay_s=0.05)
    try:
        t1 = time.perf_counter()
        assert delivery.queue(st, rx.url, None, batch_records) == n_accounts
        t2 = time.perf_counter()
        report = delivery.deliver(st, rx.url, SECRET, policy=policy, seed=1)
        t3 = time.perf_counter()
        again = delivery.deliver(st, rx.url, SECRET, policy=policy)
        t4 = time.perf_counter()
    finally:
        rx.close()
    assert report.records_delivered == n_accounts and report.records_failed == 0, report
    assert rx.applied == n_accounts and rx.bad_signatures == 0, (rx.applied, rx.bad_signatures)
    assert again.queued == 0 and again.requests == 0
    status = {r["status"]: r["records"] for r in delivery.delivery_status(st)}
    assert status == {"delivered": n_accounts}, status
    return {
        "records": n_accounts,
        "batch_records": batch_records,
        "case_to_executed_s": round(t_approved - t0, 2),
        "queue_s": round(t2 - t1, 2),
        "send_s": round(t3 - t2, 2),
        "requests": report.requests,
        "batches": report.batches_sent,
        "retried_batches": len(rx.failed_once),
        "records_per_s": round(n_accounts / (t3 - t2)),
        "second_call_s": round(t4 - t3, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--pg", default=os.environ.get("FLOCKWATCH_TEST_PG", "127.0.0.1:5432"))
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--batch-records", type=int, default=500)
    ap.add_argument("--fail-every", type=int, default=100, help="1 in N batches answered 500 once (0: none)")
    args = ap.parse_args()
    out: dict = {"backend": args.backend, "load_avg_before": os.getloadavg()}
    db = Database(args.backend, args.pg)
    try:
        out["delivery"] = bench(db, args.accounts, args.batch_records, args.fail_every)
    finally:
        db.close()
    out["load_avg_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / ("handoff_delivery.json" if args.backend == "postgresql" else "handoff_delivery_sqlite.json")
    path.write_text(json.dumps(out, indent=2) + "\n")
    print(f"{'measure':<28}{'figure':>12}")
    for k, v in out["delivery"].items():
        print(f"{k:<28}{v:>12}")
    print(f"load average before/after: {out['load_avg_before']} / {out['load_avg_after']}")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
