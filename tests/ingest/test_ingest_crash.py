"""kill -9 in the middle of an ingest leaves the workspace as it was; running again completes it exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from flockwatch.workspace import Workspace

ROWS = 250_000
HEADER = (
    "tweetid,userid,user_screen_name,follower_count,following_count,account_creation_date,tweet_language,"
    "tweet_text,tweet_time,in_reply_to_userid,in_reply_to_tweetid,quoted_tweet_tweetid,is_retweet,"
    "retweet_userid,retweet_tweetid,hashtags,urls,user_mentions"
)


def _big_archive(path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        for i in range(rows):
            rt = i % 3 == 0
            fh.write(
                f"{10**15 + i},{1000 + i % 997},user{i % 997},{i % 5000},{i % 300},2018-01-01 00:00,zh,"
                f'"text number {i}, with a comma",2019-08-01 {i % 24:02d}:{i % 60:02d},,,,'
                f"{'True' if rt else 'False'},{1000 + (i + 1) % 997 if rt else ''},{10**15 + i // 2 if rt else ''},"
                f'"[hk, tag{i % 50}]",[https://site{i % 100}.com/p],[{1000 + (i + 7) % 997}]\n'
            )


def _wait_until_reading(pid: int, size_bytes: int, timeout_s: float = 60.0) -> None:
    """Return once the process has read the file more than once (hashing done, DuckDB parsing it).

    Uses /proc/PID/io where it exists, so the kill lands inside the ingest rather than in Python start-up.
    """
    io = f"/proc/{pid}/io"
    if not os.path.exists(io):
        time.sleep(1.5)
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with open(io) as fh:
                rchar = int(next(line for line in fh if line.startswith("rchar:")).split()[1])
        except (OSError, StopIteration):
            return
        if rchar > 1.3 * size_bytes:
            return
        time.sleep(0.02)


def _counts(ws_dir):
    with Workspace.open(ws_dir, read_only=True) as ws:
        e = ws.engine
        ingests = e.sql("SELECT rows_loaded FROM ingests").rows()
        return [r[0] for r in ingests], e.count("actions"), e.count("action_hashtags"), e.count("quarantine")


@pytest.mark.slow
def test_kill_9_mid_ingest_leaves_nothing_partial_and_rerun_completes(tmp_path):
    big = tmp_path / "big_tweets_csv_unhashed.csv"
    _big_archive(big, ROWS)
    ws_dir = tmp_path / "ws"
    Workspace.create(ws_dir).close()
    cmd = [sys.executable, "-m", "flockwatch", "ingest", str(big), "--workspace", str(ws_dir), "--json"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _wait_until_reading(proc.pid, big.stat().st_size)
    still_running = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert still_running, "the ingest finished before it could be killed; make the file larger"

    loaded, actions, hashtags, quarantined = _counts(ws_dir)
    # Either nothing of the file is there, or all of it: never a partial file.
    assert (loaded, actions, hashtags, quarantined) == ([], 0, 0, 0) or (loaded == [ROWS] and actions == ROWS)

    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    loaded, actions, hashtags, quarantined = _counts(ws_dir)
    assert loaded == [ROWS] and actions == ROWS and hashtags == 2 * ROWS and quarantined == 0
