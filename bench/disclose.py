"""Benchmark: a public release (``flockwatch disclose archive``) of a 200,000-account, 5,000,000-post network.

Builds a workspace directly in the warehouse (SQL over ``range``; no simulator, so the build is not measured):
``--accounts`` member accounts (19-digit ids, 5% above the follower threshold, the rest protected), ``--others``
accounts they retweet, reply to and mention, and ``--posts`` actions — reposts (``RT @handle: ...``), replies
(``@handle ...``), quotes and posts with a hashtag and a link, in English and Chinese — with their entity rows, and
one candidate network holding every member (1,000 core, the rest grown). Then publishes a draft release (archive,
statement without PDF and without attribution, indicators, statements of reasons, leak search) and times each
phase from the release's own progress reports.

    .venv/bin/python bench/disclose.py --accounts 200000 --posts 5000000

Results: bench/results/disclose.json (phase seconds, rows, output bytes, load average before and after). The
target is the archive (users and tweets CSVs and the zip) of 200,000 accounts / 5M posts in at most 2 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from flockwatch.disclose import ReleaseOptions, draft_subjects, generate_key, publish
from flockwatch.workspace import Workspace

HERE = Path(__file__).resolve().parent
BODIES = [
    "Stand with the police, restore order in Hong Kong",
    "支持警察严正执法，还香港社会安宁",
    "Violence is never the answer, protect our city",
    "反对暴力，守护香港",
    "The rioters do not speak for Hong Kong people",
    "我们要和平，不要暴力",
]


def build(ws_dir: Path, n_accounts: int, n_others: int, n_posts: int) -> None:
    with Workspace.create(ws_dir, registry=False) as ws:
        e = ws.engine
        bodies = "[" + ", ".join("'" + b.replace("'", "''") + "'" for b in BODIES) + "]"
        e.sql(
            f"""INSERT INTO accounts SELECT 'twitter', CAST(1200000000000000000 + i AS VARCHAR), 'hkvoice' || i || 'x',
                    'Voice ' || i, TIMESTAMP '2019-01-01' + INTERVAL (i % 200) DAY,
                    CASE WHEN i % 20 = 0 THEN 10000 + i ELSE i % 4000 END, 100 + i % 900, 'zh', 'Hong Kong',
                    'Love HK ' || i, NULL, false
                FROM range({n_accounts}) t(i)"""
        )
        e.sql(
            f"""INSERT INTO accounts SELECT 'twitter', CAST(1300000000000000000 + i AS VARCHAR), 'person' || i || 'y',
                    'Person ' || i, TIMESTAMP '2012-01-01' + INTERVAL (i % 2000) DAY,
                    CASE WHEN i % 50 = 0 THEN 50000 + i ELSE i % 3000 END, 300, 'en', 'London', 'my words ' || i,
                    NULL, false
                FROM range({n_others}) t(i)"""
        )
        e.sql(
            f"""CREATE TEMP TABLE gen AS SELECT i, CAST(1100000000000000000 + i AS VARCHAR) AS action_id,
                    CAST(1200000000000000000 + (i % {n_accounts}) AS VARCHAR) AS account_id,
                    CASE WHEN i % 10 < 5 THEN 'repost' WHEN i % 10 < 7 THEN 'reply' WHEN i % 10 = 7 THEN 'quote'
                         ELSE 'post' END AS kind,
                    hash(i) % {n_others} AS tgt,
                    {bodies}[1 + (i % {len(BODIES)})] AS body
                FROM range({n_posts}) t(i)"""
        )
        e.sql(
            """INSERT INTO actions SELECT 'twitter', action_id, account_id, kind,
                    TIMESTAMP '2019-06-01' + INTERVAL (i % 7776000) SECOND,
                    CASE WHEN kind <> 'post' THEN CAST(1000000000000000000 + tgt AS VARCHAR) END,
                    CASE WHEN kind IN ('repost', 'reply') THEN CAST(1300000000000000000 + tgt AS VARCHAR) END,
                    CASE kind WHEN 'repost' THEN 'RT @person' || tgt || 'y: ' || body
                              WHEN 'reply' THEN '@person' || tgt || 'y ' || body
                              ELSE body || ' #hk' || (i % 50) || ' https://news' || (i % 40) || '.example.cn/a/' || i
                    END,
                    CASE WHEN i % 3 = 0 THEN 'en' ELSE 'zh' END, 'Twitter Web App'
                FROM gen"""
        )
        e.sql(
            """INSERT INTO action_hashtags SELECT 'twitter', action_id, 'hk' || (i % 50) FROM gen
               WHERE kind IN ('post', 'quote')"""
        )
        e.sql(
            """INSERT INTO action_urls SELECT 'twitter', action_id,
                    'https://news' || (i % 40) || '.example.cn/a/' || i, 'news' || (i % 40) || '.example.cn'
               FROM gen WHERE kind IN ('post', 'quote')"""
        )
        e.sql(
            """INSERT INTO action_mentions SELECT 'twitter', action_id, CAST(1300000000000000000 + tgt AS VARCHAR)
               FROM gen WHERE kind IN ('repost', 'reply')"""
        )
        e.sql(
            """INSERT INTO detection_runs VALUES ('bench', '{}', TIMESTAMP '2019-09-01', TIMESTAMP '2019-09-01',
                    'co_repost', 0, 0, 'done')"""
        )
        e.sql(
            f"""INSERT INTO network_members (run_id, network_id, account_id, account_score, degree, strength, joined_by)
                SELECT 'bench', 'N0001', CAST(1200000000000000000 + i AS VARCHAR), 0.9, 3, 3.0,
                       CASE WHEN i < 1000 THEN 'cluster' ELSE 'grow' END FROM range({n_accounts}) t(i)"""
        )
        e.checkpoint()


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children (the worker processes): on a shared machine the wall
    clock measures the neighbours too."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=200_000)
    ap.add_argument("--others", type=int, default=100_000)
    ap.add_argument("--posts", type=int, default=5_000_000)
    ap.add_argument("--workers", type=int, default=None, help="Worker processes (default: the cores, for large runs).")
    ap.add_argument("--keep", type=Path, default=None, help="Keep the workspace and release under this directory.")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "disclose.json")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fw-bench-disclose-")) if args.keep is None else args.keep
    root.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    build(root / "ws", args.accounts, args.others, args.posts)
    build_s = time.perf_counter() - t0
    key = generate_key(root / "bench.key") if not (root / "bench.key").exists() else None
    from flockwatch.disclose import load_key

    key = key or load_key(root / "bench.key")
    marks: list[tuple[str, float, float]] = []
    out = root / "release"
    shutil.rmtree(out, ignore_errors=True)
    cpu0 = _cpu_s()
    with Workspace.open(root / "ws", read_only=True) as ws:
        start = time.perf_counter()
        subjects = draft_subjects(ws, network="N0001")
        marks.append(("subjects", time.perf_counter(), _cpu_s()))
        release = publish(
            ws,
            subjects,
            key,
            out,
            ReleaseOptions(pdf=False, compute_attribution=False, n_workers=args.workers),
            progress=lambda text: marks.append((text, time.perf_counter(), _cpu_s())),
        )
        end = time.perf_counter()
        cpu_end = _cpu_s()
    cpu_s = cpu_end - cpu0
    phases: dict[str, float] = {"draft subjects": marks[0][1] - start}
    phases_cpu: dict[str, float] = {"draft subjects": marks[0][2] - cpu0}
    for (name, t, c), (_, t_next, c_next) in zip(marks[1:], [*marks[2:], ("end", end, cpu_end)], strict=True):
        phases[name] = round(t_next - t, 2)
        phases_cpu[name] = round(c_next - c, 2)
    archive_steps = ("scoping the disclosed accounts", "writing the archive")
    archive_s = sum(phases.get(k, 0.0) for k in archive_steps)
    archive_cpu_s = sum(phases_cpu.get(k, 0.0) for k in archive_steps)
    result = {
        "accounts": release.archive.accounts,
        "posts": release.archive.posts,
        "protected_accounts_in_release": release.manifest["archive"]["protected_accounts_pseudonymised"],
        "build_workspace_s": round(build_s, 1),
        "phases_s": {k: round(v, 2) for k, v in phases.items()},
        "phases_cpu_s": {k: round(v, 2) for k, v in phases_cpu.items()},
        "archive_s": round(archive_s, 1),
        "archive_cpu_s": round(archive_cpu_s, 1),
        "release_total_s": round(end - start, 1),
        "release_cpu_s": round(cpu_s, 1),
        "workers": args.workers,
        "bytes": {name: (out / name).stat().st_size for name in release.files},
        "leak_search_clean": release.leak_report.clean if release.leak_report else None,
        "load_before": load_before,
        "load_after": os.getloadavg(),
        "cpu_count": os.cpu_count(),
    }
    print(f"{'phase':<50} {'wall s':>8} {'CPU s':>8}")
    for k, v in result["phases_s"].items():
        print(f"{k:<50} {v:>8.1f} {result['phases_cpu_s'][k]:>8.1f}")
    print(f"{'archive (scope + users/tweets CSVs + zip)':<50} {result['archive_s']:>8.1f} {archive_cpu_s:>8.1f}")
    print(f"{'whole release':<50} {result['release_total_s']:>8.1f}")
    print(f"{'whole release, CPU seconds (this process + workers)':<50} {'':>8} {result['release_cpu_s']:>8.1f}")
    print(
        f"{result['accounts']:,} accounts, {result['posts']:,} posts; leak search clean: {result['leak_search_clean']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
