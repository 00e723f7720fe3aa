"""Property tests: malformed rows mixed with good rows never crash a reader; every bad row is quarantined with a
reason at its line, every good row loads.

Each example writes 300 rows, 180 of them malformed (broken quoting, invalid UTF-8, wrong types, truncated lines,
extra columns, missing ids, huge fields); 6 examples per reader give 1,080 malformed rows per reader. Good
rows carry generated text (quotes, commas, newlines, any Unicode) in their free-text field, properly quoted.
Line numbers are record numbers + 1 (a quoted newline does not add a line), as documented in ``csvscan``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flockwatch.ingest import ingest_paths
from flockwatch.ingest.readers.twitter_io_archive import TWEETS_COLUMNS
from flockwatch.workspace import Workspace

from .helpers import UNIT_TABLE

ROWS = 300
BAD_SHARE = 0.6
SETTINGS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@dataclass
class Layout:
    reader: str
    header: list[str]
    good: Callable[[int, str], list[str]]
    id_col: str
    time_col: str
    text_col: str


ARCHIVE = list(TWEETS_COLUMNS)


def _archive(i: int, text: str) -> list[str]:
    row = dict.fromkeys(ARCHIVE, "")
    row.update(
        tweetid=str(10**15 + i),
        userid=str(500 + i % 7),
        user_screen_name=f"u{i % 7}",
        tweet_text=text,
        tweet_time=f"2019-08-01 12:{i % 60:02d}",
        is_retweet="False",
        follower_count=str(i),
        hashtags="[a, b]",
        urls="[]",
        user_mentions=f"[{i}]",
        latitude="absent",
    )
    return [row[c] for c in ARCHIVE]


LAYOUTS = {
    "twitter_io_archive": Layout("twitter_io_archive", ARCHIVE, _archive, "tweetid", "tweet_time", "tweet_text"),
    "coortweet_share_log": Layout(
        "coortweet_share_log",
        ["object_id", "account_id", "content_id", "timestamp_share"],
        lambda i, t: [f"o{i % 3}", f"a{i % 5}", f"c{i}", f"{1623881091 + i}.5"],
        "content_id",
        "timestamp_share",
        "content_id",
    ),
    "cnt_csv": Layout(
        "cnt_csv",
        ["message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls"],
        lambda i, t: [
            f"m{i}",
            f"u{i % 5}",
            "name",
            "" if i % 3 else "m0",
            "",
            t,
            str(1600000000 + i),
            "http://x.org/a b.com",
        ],
        "message_id",
        "timestamp",
        "message",
    ),
    "ira_csv": Layout(
        "ira_csv",
        [
            "author_id",
            "content",
            "region",
            "language",
            "publish_date",
            "harvested_date",
            "following",
            "followers",
            "updates",
            "post_type",
            "retweet",
        ],
        lambda i, t: [
            f"AUTHOR{i % 4}",
            t,
            "United States",
            "English",
            f"2016-10-01 12:{i % 60:02d}:00",
            "2016-10-01 12:00:00",
            "1",
            "2",
            "3",
            "",
            str(i % 2),
        ],
        "author_id",
        "publish_date",
        "content",
    ),
    "login_events": Layout(
        "login_events",
        ["userid", "login_time", "ip_prefix", "asn", "country", "via_vpn"],
        lambda i, t: [
            f"u{i % 9}",
            f"2019-08-01T00:00:{i % 60:02d}Z",
            f"10.{i // 256 % 256}.{i % 256}.0/24",
            "4134",
            "CN",
            "true",
        ],
        "userid",
        "login_time",
        "country",
    ),
    "canonical": Layout(
        "canonical",
        [
            "platform",
            "action_id",
            "account_id",
            "kind",
            "acted_at",
            "target_action_id",
            "target_account_id",
            "text",
            "language",
            "client",
        ],
        lambda i, t: ["twitter", f"x{i}", f"u{i % 5}", "post", f"2020-01-01 00:{i % 60:02d}:00", "", "", t, "en", ""],
        "action_id",
        "acted_at",
        "text",
    ),
}

BAD_KINDS = ["truncated", "encoding", "wrong_type", "missing_id", "extra_cols", "broken_quote", "huge_truncated"]


def _csv_field(v: str) -> str:
    if any(ch in v for ch in ',"\n\r') or v != v.strip():
        return '"' + v.replace('"', '""') + '"'
    return v


def _line(fields: list[str]) -> bytes:
    return ",".join(_csv_field(f) for f in fields).encode()


def _bad_row(layout: Layout, i: int, kind: str, rng: random.Random) -> bytes:
    fields = layout.good(i, "x")
    h = layout.header
    if kind == "truncated":
        return _line(fields[: rng.randint(1, len(fields) - 1)])
    if kind == "huge_truncated":
        return _line(["y" * 200_000] + fields[1:-1])
    if kind == "encoding":  # Latin-1 bytes in the second field: not UTF-8
        return _line(fields[:1]) + b",caf\xe9" + (b"," + _line(fields[2:]) if len(fields) > 2 else b"")
    if kind == "wrong_type":
        fields[h.index(layout.time_col)] = rng.choice(["2019-13-45", "yesterday", "12:99", "not a time"])
        return _line(fields)
    if kind == "missing_id":
        fields[h.index(layout.id_col)] = ""
        return _line(fields)
    if kind == "extra_cols":
        return _line(fields + ["extra", "more"])
    if kind == "broken_quote":
        j = h.index(layout.text_col)
        out = [_csv_field(f) for f in fields]
        out[j] = '"quoted"then text'
        return ",".join(out).encode()
    raise AssertionError(kind)


def _write(layout: Layout, path: Path, seed: int, texts: list[str]) -> tuple[set[int], int]:
    """Write ROWS rows; return the lines (record number + 1) of the malformed rows and the good-row count."""
    rng = random.Random(seed)
    bad_rows = set(rng.sample(range(ROWS), int(ROWS * BAD_SHARE)))
    lines, bad_lines, n_good = [_line(layout.header)], set(), 0
    for r in range(ROWS):
        if r in bad_rows:
            lines.append(_bad_row(layout, r, rng.choice(BAD_KINDS), rng))
            bad_lines.add(r + 2)
        else:
            text = texts[r % len(texts)] if texts else ""
            if rng.random() < 0.02:
                text = "z" * 100_000  # a huge but valid field loads
            lines.append(_line(layout.good(r, text)))
            n_good += 1
    path.write_bytes(b"\n".join(lines) + b"\n")
    return bad_lines, n_good


def _check(reader: str, path: Path, bad_lines: set[int], n_good: int) -> None:
    with Workspace.memory() as ws:
        [s] = ingest_paths(ws, [path], format=reader)
        q = ws.engine.sql("SELECT line, reason FROM quarantine").rows()
        assert all(reason for _, reason in q)
        assert {line for line, _ in q} == bad_lines, sorted({line for line, _ in q} ^ bad_lines)[:10]
        assert s.rows_quarantined == len(bad_lines)
        assert ws.engine.count(UNIT_TABLE[reader]) == n_good
        assert s.rows_read == ROWS


def _csv_property(reader: str):
    @SETTINGS
    @given(seed=st.integers(0, 2**32), texts=st.lists(TEXT, min_size=1, max_size=20))
    def test(tmp_path_factory, seed, texts):
        path = tmp_path_factory.mktemp(reader) / "input.csv"
        bad, good = _write(LAYOUTS[reader], path, seed, texts)
        _check(reader, path, bad, good)

    test.__name__ = f"test_{reader}_quarantines_every_bad_row_and_loads_every_good_one"
    return test


for _name in LAYOUTS:
    globals()[f"test_{_name}_malformed_rows"] = _csv_property(_name)


# -- twarc2 JSONL -------------------------------------------------------------------------------------------------
def _tweet(i: int, text: str) -> dict:
    return {
        "id": str(10**12 + i),
        "author_id": str(i % 6),
        "created_at": f"2022-03-01T10:{i % 60:02d}:00.000Z",
        "text": text,
        "entities": {"hashtags": [{"tag": "Tag"}]},
    }


def _jsonl_bad(i: int, kind: str) -> bytes:
    t = _tweet(i, "x")
    if kind == "truncated":
        return json.dumps({"data": [t]}).encode()[:30]
    if kind == "encoding":
        return b'{"data": [{"id": "1", "text": "caf\xe9"}]}'
    if kind == "wrong_type":
        t["created_at"] = "yesterday"
    elif kind == "missing_id":
        del t["id"]
    elif kind == "not_object":
        return json.dumps({"data": [42]}).encode()
    elif kind == "no_author":
        t["author_id"] = None
    return json.dumps({"data": [t], "includes": {"users": []}}, ensure_ascii=False).encode()


@SETTINGS
@given(seed=st.integers(0, 2**32), texts=st.lists(TEXT, min_size=1, max_size=20))
def test_twarc2_jsonl_malformed_lines(tmp_path_factory, seed, texts):
    rng = random.Random(seed)
    bad_rows = set(rng.sample(range(ROWS), int(ROWS * BAD_SHARE)))
    lines, bad, n_good = [], set(), 0
    for r in range(ROWS):
        if r in bad_rows:
            lines.append(
                _jsonl_bad(
                    r, rng.choice(["truncated", "encoding", "wrong_type", "missing_id", "not_object", "no_author"])
                )
            )
            bad.add(r + 1)
        else:
            text = "z" * 100_000 if rng.random() < 0.02 else texts[r % len(texts)]
            obj = {"data": [_tweet(r, text)]} if r % 2 else _tweet(r, text)
            lines.append(json.dumps(obj, ensure_ascii=rng.random() < 0.5).encode())
            n_good += 1
    path = tmp_path_factory.mktemp("twarc2") / "input.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with Workspace.memory() as ws:
        [s] = ingest_paths(ws, [path], format="twarc2_jsonl")
        q = ws.engine.sql("SELECT line, reason FROM quarantine").rows()
        assert all(reason for _, reason in q)
        assert {line for line, _ in q} == bad
        assert s.rows_quarantined == len(bad)
        assert ws.engine.count("actions") == n_good
