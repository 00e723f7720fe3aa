"""Evaluation of expansion and new-account scoring on planted operations.

Consumes either the simulator (``--preset hk2019``: ``flockwatch.simulate`` writes a Twitter IO archive, logins and
``truth.csv``; ``flockwatch.ingest`` loads them) or the SQL generator in ``bench/expand_data.py``
(``--generator``); produces:

- expansion from 10% of the core as seeds, on the whole data: precision/recall of the planted accounts (PR curve),
  recall of the planted amplifiers at precision >= 0.95, and how the estimated score compares with true precision;
- new-account scoring: the data is cut at the first fresh account's creation; the workspace keeps the history (and
  forgets accounts created after the cut), the rest arrives as a stream in micro-batches: actions, logins, and the
  profiles of accounts created after the cut at their sign-up time (as a platform's accounts table would get them);
  reported: the share of fresh amplifiers flagged within their first 1/2/3/5 actions, the precision of the flags,
  organic accounts flagged (and among them organic accounts created after the cut on burst-free days — days on
  which no planted account was created), and for n = 1..10 the recall reachable at precision 0.95 using each
  account's first n actions (an oracle threshold: what the evidence allows, not what the flag threshold does).
  ``--no-priors`` scores without the account-level priors (the previous behaviour), for comparison.

Prints a summary and writes ``bench/results/expand_eval[_<source>].json``.

Run: ``.venv/bin/python bench/expand_eval.py --preset hk2019 --sim-actions 1000000``
     ``.venv/bin/python bench/expand_eval.py --generator --accounts 50000 --actions 1000000``
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import glob
import json
import random
import shutil
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from flockwatch.expand import ExpansionParams, expand
from flockwatch.expand.evaluation import actions_needed, pr_curve, recall_at_precision
from flockwatch.expand.links import fetch_arrow
from flockwatch.expand.priors import FEATURES, PriorParams
from flockwatch.expand.watch import Watcher
from flockwatch.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"


# -- data ------------------------------------------------------------------------------------------------------------
def load_simulation(preset: str, n_actions: int, seed: int, work: Path) -> tuple[Workspace, dict[str, str]]:
    from flockwatch.ingest import ingest_paths
    from flockwatch.simulate import simulate

    sim = work / f"sim_{preset}_{n_actions}_{seed}"
    if not (sim / "truth.csv").exists():
        simulate(sim, preset=preset, n_actions=n_actions, seed=seed)
    ws_path = work / f"ws_{preset}_{n_actions}_{seed}"
    fresh_ws = not (ws_path / "warehouse.duckdb").exists()
    ws = Workspace.open(ws_path, create=True)
    if fresh_ws:
        files = sorted(glob.glob(str(sim / "*users*"))) + sorted(glob.glob(str(sim / "*tweets*")))
        ingest_paths(ws, files + [str(sim / "logins.csv")])
    truth = {}
    with (sim / "truth.csv").open() as f:
        for r in csv.DictReader(f):
            fresh = r["is_fresh"].lower() == "true"
            truth[r["account_id"]] = "fresh" if (r["role"] == "amplifier" and fresh) else r["role"]
    return ws, truth


def load_generator(args) -> tuple[Workspace, dict[str, str]]:
    from expand_data import Sizes, generate

    ws = Workspace.memory()
    truth = generate(
        ws.engine,
        Sizes(
            n_accounts=args.accounts,
            n_actions=args.actions,
            n_core=args.core,
            n_amp=args.amplifiers,
            n_fresh=args.fresh,
            seed=args.seed,
        ),
    )
    return ws, truth


# -- expansion -------------------------------------------------------------------------------------------------------
def evaluate_expansion(ws: Workspace, truth: dict[str, str], seeds: list[str]) -> dict:
    t0 = time.perf_counter()
    x = expand(ws, seeds, ExpansionParams())
    seconds = time.perf_counter() - t0
    planted = set(truth) - set(seeds)
    active = {r[0] for r in ws.engine.sql("SELECT DISTINCT account_id FROM actions").rows()}
    curve = pr_curve(x.account_ids, x.scores, x.raw_nats, planted)
    amps = {a for a in planted if truth[a] in ("amplifier", "fresh")}
    not_core = [i for i, a in enumerate(x.account_ids) if truth.get(a) != "core"]
    curve_amp = pr_curve([x.account_ids[i] for i in not_core], x.scores[not_core], x.raw_nats[not_core], amps)
    curve_amp_active = pr_curve(
        [x.account_ids[i] for i in not_core], x.scores[not_core], x.raw_nats[not_core], amps & active
    )
    calib = {}
    for th in (0.5, 0.9, 0.95, 0.99):
        sel = [a for a, s in zip(x.account_ids, x.scores, strict=False) if s >= th]
        calib[str(th)] = {
            "listed": len(sel),
            "true_precision": round(sum(a in planted for a in sel) / len(sel), 4) if sel else None,
        }
    return {
        "seconds": round(seconds, 2),
        "seeds": len(seeds),
        "linked": len(x),
        "stats": x.stats,
        "planted_non_seed": len(planted),
        "amplifiers": len(amps),
        "amplifiers_with_actions": len(amps & active),
        "recall_all_planted_at_p95": recall_at_precision(curve, 0.95),
        "recall_amplifiers_at_p95": recall_at_precision(curve_amp, 0.95),
        "recall_active_amplifiers_at_p95": recall_at_precision(curve_amp_active, 0.95),
        "estimated_vs_true_precision": calib,
        "pr_curve_amplifiers": [p for i, p in enumerate(curve_amp) if i % max(1, len(curve_amp) // 50) == 0],
    }


# -- watch -----------------------------------------------------------------------------------------------------------
def split_stream(ws: Workspace, cutoff: dt.datetime) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    """Take actions at/after ``cutoff`` out of the workspace (the stream), and forget accounts created after it."""
    e = ws.engine
    e.sql("CREATE OR REPLACE TEMP TABLE s_ids AS SELECT action_id FROM actions WHERE acted_at >= ?", [cutoff])
    acts = fetch_arrow(
        e.sql(
            "SELECT action_id, account_id, kind, acted_at, target_action_id, target_account_id, text "
            "FROM actions WHERE action_id IN (SELECT action_id FROM s_ids) ORDER BY acted_at, action_id"
        )
    )
    ents = []
    for table, col in (
        ("action_hashtags", "hashtag"),
        ("action_urls", "url"),
        ("action_mentions", "mentioned_account_id"),
    ):
        ents.append(
            fetch_arrow(e.sql(f"SELECT action_id, {col} FROM {table} WHERE action_id IN (SELECT action_id FROM s_ids)"))
        )
        e.sql(f"DELETE FROM {table} WHERE action_id IN (SELECT action_id FROM s_ids)")
    e.sql("DELETE FROM actions WHERE action_id IN (SELECT action_id FROM s_ids)")
    for table in ("infrastructure", "accounts"):
        e.sql(
            f"DELETE FROM {table} WHERE account_id IN (SELECT account_id FROM accounts WHERE created_at >= ?)", [cutoff]
        )
    return acts, ents[0], ents[1], ents[2]


def split_logins(ws: Workspace, cutoff: dt.datetime) -> pa.Table:
    """Logins at/after ``cutoff``, and every login of accounts created after it, as stream rows (sorted by time).

    Call before :func:`split_stream` (which forgets accounts created after the cut)."""
    return fetch_arrow(
        ws.engine.sql(
            """SELECT account_id, ip_prefix, CAST(asn AS VARCHAR) AS asn, via_vpn, seen_at FROM infrastructure
            WHERE seen_at >= ? OR account_id IN (SELECT account_id FROM accounts WHERE created_at >= ?)
            ORDER BY seen_at""",
            [cutoff, cutoff],
        )
    )


def split_profiles(ws: Workspace, cutoff: dt.datetime) -> pa.Table:
    """Profiles of accounts created after ``cutoff`` (the stream's sign-ups, sorted by creation time).

    Call before :func:`split_stream` (which forgets them)."""
    return fetch_arrow(
        ws.engine.sql(
            """SELECT account_id, screen_name, created_at, language, reported_location, description FROM accounts
            WHERE created_at >= ? ORDER BY created_at""",
            [cutoff],
        )
    )


def evaluate_watch(
    ws: Workspace,
    truth: dict[str, str],
    seeds: list[str],
    batch_rows: int,
    use_logins: bool = True,
    min_score: float = 0.95,
    use_priors: bool = True,
    prior_features: tuple[str, ...] | None = None,
    profiles_with_actions: bool = False,
) -> dict:
    fresh_created = ws.engine.sql(
        "SELECT min(created_at) FROM accounts WHERE account_id IN (SELECT unnest(?))",
        [[a for a, r in truth.items() if r == "fresh"]],
    ).scalar()
    cutoff = fresh_created.replace(minute=0, second=0, microsecond=0)
    logins = split_logins(ws, cutoff)
    profiles = split_profiles(ws, cutoff)
    acts, ht, ur, mn = split_stream(ws, cutoff)
    login_t = logins.column("seen_at")
    profile_t = profiles.column("created_at")
    t0 = time.perf_counter()
    pp = PriorParams(features=prior_features) if prior_features is not None else None
    w = Watcher(ws, seeds, min_score=min_score, record_trajectories=True, use_priors=use_priors, prior_params=pp)
    init_s = time.perf_counter() - t0
    flags = []
    prev_end = None
    t0 = time.perf_counter()
    for start in range(0, acts.num_rows, batch_rows):
        b = acts.slice(start, batch_rows)
        ids = b.column("action_id")
        # logins seen up to the end of this batch arrive with it (a new account's sign-up comes before its posts)
        t_end = b.column("acted_at")[-1]
        lg = logins.filter(pc.less_equal(login_t, t_end))
        # sign-ups up to the end of this batch arrive with it; or (twarc2-style collection) a profile arrives only
        # with its account's first action
        if profiles_with_actions:
            pr = profiles.filter(pc.is_in(profiles.column("account_id"), b.column("account_id")))
        else:
            pr = profiles.filter(pc.less_equal(profile_t, t_end))
        if prev_end is not None:
            lg = lg.filter(pc.greater(lg.column("seen_at"), prev_end))
            if not profiles_with_actions:
                pr = pr.filter(pc.greater(pr.column("created_at"), prev_end))
        prev_end = t_end
        flags += w.process(
            b,
            ht.filter(pc.is_in(ht.column("action_id"), ids)),
            ur.filter(pc.is_in(ur.column("action_id"), ids)),
            mn.filter(pc.is_in(mn.column("action_id"), ids)),
            lg if use_logins else None,
            accounts=pr,
        )
    seconds = time.perf_counter() - t0
    planted = set(truth)
    fresh = {a for a, r in truth.items() if r == "fresh"}
    stream_accounts = set(acts.column("account_id").to_pylist())
    fresh_in_stream = fresh & stream_accounts
    flagged = {f.account_id: f for f in flags}
    tp = sum(a in planted for a in flagged)
    within = {
        k: round(
            len({a for a, f in flagged.items() if f.actions_seen <= k} & fresh_in_stream)
            / max(len(fresh_in_stream), 1),
            4,
        )
        for k in (1, 2, 3, 5)
    }
    organic_flagged = sorted(a for a in flagged if a not in planted)
    # organic sign-ups after the cut, on days no planted account was created (burst-free days)
    created = dict(
        zip(
            profiles.column("account_id").to_pylist(),
            (t.date() for t in profiles.column("created_at").to_pylist()),
            strict=False,
        )
    )
    planted_days = {created[a] for a in planted if a in created}
    new_organic = {a for a in created if a not in planted} & stream_accounts
    burst_free = {a for a in new_organic if created[a] not in planted_days}
    by_feature: dict[str, int] = {}
    for a in fresh_in_stream & set(flagged):
        ev = flagged[a].evidence
        if ev["co_action"]["nats"] + ev["amplification"]["nats"] + ev["infrastructure_nats"] < 2.0:
            by_feature["behaviour_below_2_nats"] = by_feature.get("behaviour_below_2_nats", 0) + 1
        if flagged[a].evidence.get("infrastructure_nats", 0) > 0:
            by_feature["login_infrastructure"] = by_feature.get("login_infrastructure", 0) + 1
        for x in flagged[a].evidence.get("account_priors", []):
            by_feature[x["feature"]] = by_feature.get(x["feature"], 0) + 1
    traj = w.trajectory_table()
    first = traj.filter(pc.equal(traj.column("n_actions"), 1))
    first_nats = dict(zip(first.column("account_id").to_pylist(), first.column("nats").to_pylist(), strict=False))

    def quantiles(accounts: set[str]) -> dict[str, float]:
        v = sorted(first_nats[a] for a in accounts if a in first_nats)
        return {f"q{q}": round(v[min(len(v) - 1, int(q / 100 * len(v)))], 3) for q in (5, 10, 25, 50, 90)} if v else {}

    example = next(
        (flagged[a].to_dict() for a in sorted(fresh_in_stream & set(flagged)) if flagged[a].actions_seen == 1), None
    )
    need = actions_needed(
        w.trajectory_table(), planted - set(w.anchors), target_precision=0.95, max_actions=10, focus=fresh_in_stream
    )
    return {
        "cutoff": cutoff.isoformat(),
        "stream_actions": acts.num_rows,
        "stream_logins_used": use_logins,
        "min_score": min_score,
        "batches": w.batches,
        "init_s": round(init_s, 2),
        "seconds": round(seconds, 2),
        "actions_per_s": round(acts.num_rows / max(seconds, 1e-9)),
        "known_accounts": len(w.anchors),
        "flag_threshold_nats": round(w.min_nats, 3),
        "flagged": len(flagged),
        "flag_precision": round(tp / max(len(flagged), 1), 4),
        "profiles_arrive": "with_first_action" if profiles_with_actions else "at_sign_up",
        "account_priors": list(pp.features if pp else FEATURES) if use_priors else [],
        "fresh_in_stream": len(fresh_in_stream),
        "fresh_flagged_within_n_actions": within,
        "fresh_flagged_within_5_actions": within[5],
        "organic_accounts_acting": len(stream_accounts - planted),
        "organic_flagged": len(organic_flagged),
        "organic_flagged_examples": organic_flagged[:10],
        "organic_new_accounts_acting": len(new_organic),
        "organic_new_accounts_on_burst_free_days": len(burst_free),
        "organic_new_accounts_on_burst_free_days_flagged": len(burst_free & set(flagged)),
        "organic_new_accounts_on_burst_days": len(new_organic - burst_free),
        "organic_new_accounts_on_burst_days_flagged": len((new_organic - burst_free) & set(flagged)),
        "fresh_flags_by_prior_feature": by_feature,
        "first_action_nats_fresh": quantiles(fresh_in_stream),
        "first_action_nats_organic_new": quantiles(new_organic),
        "first_action_nats_organic_all": quantiles(stream_accounts - planted),
        "example_first_action_flag": example,
        "actions_needed_at_p95": need,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="hk2019")
    ap.add_argument("--sim-actions", type=int, default=1_000_000)
    ap.add_argument("--generator", action="store_true", help="use bench/expand_data.py instead of the simulator")
    ap.add_argument("--accounts", type=int, default=50_000)
    ap.add_argument("--actions", type=int, default=1_000_000)
    ap.add_argument("--core", type=int, default=936)
    ap.add_argument("--amplifiers", type=int, default=5_000)
    ap.add_argument("--fresh", type=int, default=1_000)
    ap.add_argument("--seed-share", type=float, default=0.10)
    ap.add_argument("--batch-rows", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--watch-min-score",
        type=float,
        default=0.95,
        help="estimated precision for the watcher's known network and flag threshold",
    )
    ap.add_argument("--no-stream-logins", action="store_true", help="score the stream from actions alone")
    ap.add_argument("--no-priors", action="store_true", help="score without the account-level priors")
    ap.add_argument(
        "--without-prior",
        action="append",
        default=[],
        choices=FEATURES,
        help="leave one account-level feature family out (ablation; repeatable)",
    )
    ap.add_argument(
        "--profiles-with-actions",
        action="store_true",
        help="new accounts' profiles arrive only with their actions (as in a twarc2 collection)",
    )
    ap.add_argument("--skip-expansion", action="store_true", help="evaluate the watcher only")
    ap.add_argument("--work", type=Path, default=Path("/tmp/flockwatch-expand-eval"))
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    if args.generator:
        source = "generator"
        ws, truth = load_generator(args)
        ws_watch = None
    else:
        source = f"simulate-{args.preset}"
        ws, truth = load_simulation(args.preset, args.sim_actions, args.seed, args.work)
        ws_watch = None
    core = sorted(a for a, r in truth.items() if r == "core")
    seeds = random.Random(args.seed).sample(core, max(1, round(len(core) * args.seed_share)))
    counts = {t: ws.engine.count(t) for t in ("accounts", "actions", "infrastructure")}
    roles: dict[str, int] = {}
    for r in truth.values():
        roles[r] = roles.get(r, 0) + 1
    exp = None if args.skip_expansion else evaluate_expansion(ws, truth, seeds)
    # the watch evaluation deletes the stream from its workspace: give it a fresh copy
    if args.generator:
        ws.close()
        ws_watch, _ = load_generator(args)
    else:
        src = ws.path
        ws.close()
        copy = args.work / "ws_watch_copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(src, copy)
        ws_watch = Workspace.open(copy)
    wat = evaluate_watch(
        ws_watch,
        truth,
        seeds,
        args.batch_rows,
        use_logins=not args.no_stream_logins,
        min_score=args.watch_min_score,
        use_priors=not args.no_priors,
        prior_features=tuple(f for f in FEATURES if f not in args.without_prior) if args.without_prior else None,
        profiles_with_actions=args.profiles_with_actions,
    )
    out = {"source": source, "counts": counts, "planted": roles, "expansion": exp, "watch": wat}
    RESULTS.mkdir(exist_ok=True)
    suffix = (
        ("" if args.watch_min_score == 0.95 else f"_watch{args.watch_min_score}")
        + ("_nopriors" if args.no_priors else "")
        + "".join(f"_without-{f}" for f in args.without_prior)
        + ("_profiles-with-actions" if args.profiles_with_actions else "")
    )
    (RESULTS / f"expand_eval_{source}{suffix}.json").write_text(json.dumps(out, indent=2, default=str))
    print(f"source: {source}; {counts}; planted {roles}; {len(seeds)} seeds (10% of core)")
    if exp:
        print(
            f"expansion ({exp['seconds']}s): recall at precision >= 0.95 — amplifiers {exp['recall_amplifiers_at_p95']:.3f} "
            f"(with >= 1 action: {exp['recall_active_amplifiers_at_p95']:.3f}), all planted "
            f"{exp['recall_all_planted_at_p95']:.3f}"
        )
        print("estimated score vs true precision:", json.dumps(exp["estimated_vs_true_precision"]))
    print(
        f"watch: {wat['stream_actions']:,} stream actions at {wat['actions_per_s']:,}/s; flagged {wat['flagged']} "
        f"(precision {wat['flag_precision']}, organic flagged {wat['organic_flagged']}); fresh flagged within "
        f"1/2/3/5 actions: {wat['fresh_flagged_within_n_actions']}"
    )
    print(
        f"organic new accounts on burst-free days: {wat['organic_new_accounts_on_burst_free_days']} acting, "
        f"{wat['organic_new_accounts_on_burst_free_days_flagged']} flagged; on burst days: "
        f"{wat['organic_new_accounts_on_burst_days']} acting, "
        f"{wat['organic_new_accounts_on_burst_days_flagged']} flagged"
    )
    print(
        "recall of fresh amplifiers at precision 0.95 using the first n actions:",
        ", ".join(f"n={r['first_n_actions']}: {r['recall']:.3f}" for r in wat["actions_needed_at_p95"]),
    )


if __name__ == "__main__":
    main()
