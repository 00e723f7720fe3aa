"""Benchmark: ingest of simulated Twitter information-operations archive tweets (``twitter_io_archive``).

Generates N realistic archive rows (the 30 columns of a tweets file: hashed and numeric user ids, a mix of posts,
retweets, replies and quotes, bracketed hashtag / URL / mention lists, quoted texts with commas) with numpy and
pyarrow, writes them as CSV, then ingests each size in a fresh subprocess into a fresh on-disk workspace and
measures wall time and the peak resident memory of that subprocess. Prints a table and writes JSON.

    .venv/bin/python bench/ingest.py --sizes 1000000,10000000

Results: bench/results/ingest.json (rows, seconds, rows_per_s, cpu_s, peak_rss_mib per size, and the machine's load
average before and during the run: on a shared machine other processes' load shows up in the seconds, less in
cpu_s). The ingest process runs with ``FLOCKWATCH_MEMORY_LIMIT`` (default 4GB, ``--memory-limit``) so that 10M rows
spill to disk instead of exhausting memory.

peak_rss_mib is the ingest process's own high-water mark (``VmHWM``). ``ru_maxrss`` of a child is not: a child
started by fork/vfork + exec inherits the parent's maximum, so a parent that just generated the CSV in numpy would
be measured instead of the ingest.

``--ceiling`` also times DuckDB's bare ``read_csv`` of the same file (every column VARCHAR) into an on-disk table
of a fresh workspace: the cost of parsing and storing the file with no validation, the practical upper bound.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from flockwatch.ingest.readers.twitter_io_archive import TWEETS_COLUMNS

HERE = Path(__file__).resolve().parent
COLUMNS = list(TWEETS_COLUMNS)


def generate(path: Path, n_rows: int, seed: int = 7, chunk_rows: int = 500_000) -> None:
    """Write ``n_rows`` archive tweet rows to ``path`` in chunks (vectorised; memory bounded by ``chunk_rows``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    n_accounts = max(n_rows // 200, 10)
    # A hashed release: most accounts hashed (64 hex), a minority (large ones) keep numeric ids.
    hashed = rng.random(n_accounts) < 0.8
    acct_num = rng.integers(10**9, 10**18, n_accounts, dtype=np.int64)
    digests = np.array([hashlib.sha256(int(x).to_bytes(8, "little")).hexdigest() for x in acct_num])
    acct_ids = np.where(hashed, digests, acct_num.astype(str))
    names = np.array([f"user{i}" for i in range(n_accounts)])
    created = (
        np.datetime64("2009-01-01T00:00") + rng.integers(0, 10 * 365 * 1440, n_accounts).astype("timedelta64[m]")
    ).astype(str)
    created = np.char.replace(created, "T", " ")
    tags = np.array(["hongkong", "香港", "antielab", "police", "news", "china", "protest", "freedom"])
    words = np.array(["the", "police", "protest", "Hong", "Kong", "freedom", "riot", "news", "today", "香港", "警察"])
    t0 = np.datetime64("2019-06-01T00:00:00")
    pool = np.array(
        [
            " ".join(words[rng.integers(0, len(words), k)]) + (", really" if k % 3 == 0 else "")
            for k in rng.integers(3, 12, 5000)
        ]
    )
    with open(path, "wb") as fh:
        fh.write((",".join(COLUMNS) + "\n").encode())
        for start in range(0, n_rows, chunk_rows):
            m = min(chunk_rows, n_rows - start)
            a = rng.zipf(1.6, m) % n_accounts
            kind = rng.choice(4, m, p=[0.45, 0.4, 0.1, 0.05])  # post, retweet, reply, quote
            tweetid = (10**18 + start + np.arange(m)).astype(str)
            other = rng.integers(0, n_accounts, m)
            ref = (10**18 + rng.integers(0, max(start + m, 1), m)).astype(str)
            times = (t0 + rng.integers(0, 90 * 86400, m).astype("timedelta64[s]")).astype(str)
            times = np.char.replace(times, "T", " ")
            # Texts drawn from a pool of templates with a per-row suffix: IO archives repeat templates, and drawing
            # from a pool keeps generation vectorised.
            text = np.char.add(
                np.char.add(pool[rng.integers(0, len(pool), m)], " #"), (start + np.arange(m)).astype(str)
            )
            h = rng.integers(0, len(tags), (m, 2))
            n_h = rng.integers(0, 3, m)
            hashtags = np.where(
                n_h == 0,
                "[]",
                np.where(
                    n_h == 1,
                    np.char.add(np.char.add("[", tags[h[:, 0]]), "]"),
                    np.char.add(np.char.add(np.char.add("[", tags[h[:, 0]]), ", "), np.char.add(tags[h[:, 1]], "]")),
                ),
            )
            urls = np.where(
                rng.random(m) < 0.3,
                np.char.add(np.char.add("[https://www.site", (rng.integers(0, 500, m)).astype(str)), ".com/p]"),
                "[]",
            )
            empty = np.full(m, "")
            is_rt, is_reply, is_quote = kind == 1, kind == 2, kind == 3
            cols = {
                "tweetid": tweetid,
                "userid": acct_ids[a],
                "user_display_name": names[a],
                "user_screen_name": np.where(hashed[a], acct_ids[a], names[a]),
                "user_reported_location": empty,
                "user_profile_description": empty,
                "user_profile_url": empty,
                "follower_count": rng.integers(0, 5000, m).astype(str),
                "following_count": rng.integers(0, 5000, m).astype(str),
                "account_creation_date": created[a],
                "account_language": np.full(m, "zh-cn"),
                "tweet_language": np.full(m, "zh"),
                "tweet_text": text,
                "tweet_time": times,
                "tweet_client_name": np.full(m, "Twitter for Android"),
                "in_reply_to_userid": np.where(is_reply, acct_ids[other], ""),
                "in_reply_to_tweetid": np.where(is_reply, ref, ""),
                "quoted_tweet_tweetid": np.where(is_quote, ref, ""),
                "is_retweet": np.where(is_rt, "True", "False"),
                "retweet_userid": np.where(is_rt, acct_ids[other], ""),
                "retweet_tweetid": np.where(is_rt, ref, ""),
                "latitude": np.full(m, "absent"),
                "longitude": np.full(m, "absent"),
                "quote_count": np.full(m, "0"),
                "reply_count": np.full(m, "0"),
                "like_count": np.full(m, "0"),
                "retweet_count": np.full(m, "0"),
                "hashtags": hashtags,
                "urls": urls,
                "user_mentions": np.where(is_reply, np.char.add(np.char.add("[", acct_ids[other]), "]"), "[]"),
            }
            table = pa.table({k: pa.array(v, pa.string()) for k, v in cols.items()})
            pcsv.write_csv(table, fh, pcsv.WriteOptions(include_header=False, quoting_style="needed"))


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_rss_kib() -> int:
    """This process's resident high-water mark (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            return int(next(line for line in fh if line.startswith("VmHWM:")).split()[1])
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _ingest_child(csv_path: str, ws_dir: str) -> None:
    from flockwatch.ingest import ingest_paths
    from flockwatch.workspace import Workspace

    with Workspace.create(ws_dir) as ws:
        t, c = time.perf_counter(), _cpu_s()
        [s] = ingest_paths(ws, [csv_path], format="twitter_io_archive")
        print(
            json.dumps(
                {
                    "seconds": time.perf_counter() - t,
                    "cpu_s": _cpu_s() - c,
                    "rows_read": s.rows_read,
                    "rows_quarantined": s.rows_quarantined,
                    "added": s.added,
                    "peak_rss_kib": _peak_rss_kib(),
                }
            )
        )


def _ceiling_child(csv_path: str, ws_dir: str) -> None:
    from flockwatch.core.sql import sql_literal
    from flockwatch.workspace import Workspace

    with open(csv_path, encoding="utf-8") as fh:
        header = fh.readline().rstrip("\n").split(",")
    types = ", ".join(f"{sql_literal(h)}: 'VARCHAR'" for h in header)
    with Workspace.create(ws_dir) as ws:
        t, c = time.perf_counter(), _cpu_s()
        ws.engine.sql(
            f"CREATE TABLE bare AS SELECT * FROM read_csv({sql_literal(csv_path)}, auto_detect = false, "
            f"header = true, columns = {{{types}}}, delim = ',', quote = '\"', escape = '\"')"
        )
        print(json.dumps({"seconds": time.perf_counter() - t, "cpu_s": _cpu_s() - c, "peak_rss_kib": _peak_rss_kib()}))


class _LoadSampler:
    """The 1-minute load average sampled every second while a child runs (mean and max)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> _LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float | None]:
        if not self.samples:
            return {"mean": None, "max": None}
        return {"mean": round(sum(self.samples) / len(self.samples), 1), "max": round(max(self.samples), 1)}


def _child(mode: str, csv_path: Path, ws_dir: Path, env: dict[str, str]) -> tuple[dict, dict]:
    with _LoadSampler() as load:
        proc = subprocess.run(
            [sys.executable, __file__, mode, str(csv_path), str(ws_dir)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    return json.loads(proc.stdout.strip().splitlines()[-1]), load.summary()


def run(sizes: list[int], out: Path, memory_limit: str | None = None, ceiling: bool = False) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="flockwatch-bench-") as tmp:
        for n in sizes:
            csv_path = Path(tmp) / f"bench_{n}_tweets_csv_hashed.csv"
            t = time.perf_counter()
            generate(csv_path, n)
            gen_s = time.perf_counter() - t
            env = {**os.environ, **({"FLOCKWATCH_MEMORY_LIMIT": memory_limit} if memory_limit else {})}
            load_before = round(os.getloadavg()[0], 1)
            child, load = _child("--child", csv_path, Path(tmp) / f"ws_{n}", env)
            result = {
                "rows": n,
                "file_mib": round(csv_path.stat().st_size / 2**20, 1),
                "generate_s": round(gen_s, 1),
                "seconds": round(child["seconds"], 2),
                "rows_per_s": round(n / child["seconds"]),
                "cpu_s": round(child["cpu_s"], 2),
                "peak_rss_mib": round(child["peak_rss_kib"] / 1024),
                "rows_quarantined": child["rows_quarantined"],
                "added": child["added"],
                "cpus": os.cpu_count(),
                "memory_limit": memory_limit,
                "load_avg_1m_before": load_before,
                "load_avg_1m_during": load,
            }
            if ceiling:
                bare, bare_load = _child("--ceiling-child", csv_path, Path(tmp) / f"ws_bare_{n}", env)
                result["bare_read_csv"] = {
                    "seconds": round(bare["seconds"], 2),
                    "rows_per_s": round(n / bare["seconds"]),
                    "cpu_s": round(bare["cpu_s"], 2),
                    "peak_rss_mib": round(bare["peak_rss_kib"] / 1024),
                    "load_avg_1m_during": bare_load,
                }
            results.append(result)
            csv_path.unlink()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000", help="comma-separated row counts")
    ap.add_argument("--out", default=str(HERE / "results" / "ingest.json"))
    ap.add_argument(
        "--memory-limit",
        default="4GB",
        help="DuckDB memory limit of the ingest process (FLOCKWATCH_MEMORY_LIMIT); '' for DuckDB's default",
    )
    ap.add_argument("--generate", metavar="PATH", help="only write a CSV of --sizes[0] rows to PATH")
    ap.add_argument(
        "--ceiling",
        action="store_true",
        help="also time DuckDB's bare read_csv of the same file into a table (the upper bound)",
    )
    ap.add_argument("--child", nargs=2, metavar=("CSV", "WS"), help=argparse.SUPPRESS)
    ap.add_argument("--ceiling-child", nargs=2, metavar=("CSV", "WS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _ingest_child(*args.child)
        return
    if args.ceiling_child:
        _ceiling_child(*args.ceiling_child)
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.generate:
        generate(Path(args.generate), sizes[0])
        return
    results = run(sorted(sizes), Path(args.out), args.memory_limit or None, args.ceiling)
    print(
        f"{'rows':>12} {'file MiB':>9} {'seconds':>9} {'rows/s':>11} {'cpu s':>7} {'peak RSS MiB':>13} "
        f"{'load during':>11} {'bare read_csv rows/s':>21}"
    )
    for r in results:
        bare = r.get("bare_read_csv", {}).get("rows_per_s")
        print(
            f"{r['rows']:>12,} {r['file_mib']:>9} {r['seconds']:>9} {r['rows_per_s']:>11,} {r['cpu_s']:>7} "
            f"{r['peak_rss_mib']:>13,} {r['load_avg_1m_during']['mean']!s:>11} "
            f"{(f'{bare:,}' if bare else '-'):>21}"
        )


if __name__ == "__main__":
    main()
