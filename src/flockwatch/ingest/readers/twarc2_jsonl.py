"""``twarc2_jsonl``: Twitter API v2 JSON lines as written by twarc2.

Consumes either response pages, one per line (``{"data": [tweets], "includes": {"users": [...], "tweets":
[...]}, "meta": ...}``), or flattened tweets from ``twarc2 flatten`` (one tweet per line with ``author`` and
inline referenced tweets). Plain or ``.gz``. Produces ``actions`` for the tweets of ``data`` (tweets only present
in ``includes`` are context, not actions of the file), ``accounts`` from ``includes.users`` / ``author``,
``action_hashtags`` / ``action_urls`` / ``action_mentions`` from ``entities``.

The tweet → row mapping (kind and its precedence, targets, entities, times) is core.records', shared with
watch.

Quarantine: a line that is not JSON (line = its line number), a tweet without ``id`` / ``author_id`` or with an
unparseable ``created_at`` (line = the line it is on; raw = the tweet's JSON).

JSON is parsed in Python (the nesting defeats a columnar scan) into Arrow batches of ``BATCH_ROWS`` tweets.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import pyarrow as pa

from flockwatch import schema
from flockwatch.core.records import RecordError, text_or_none, twarc2_account, twarc2_page_tweets, twarc2_tweet
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff

BATCH_ROWS = 50_000


class _Batches:
    """Column buffers for the canonical tables, flushed into DuckDB every ``BATCH_ROWS`` tweets."""

    TABLES = ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions")

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.rows: dict[str, list[tuple]] = {t: [] for t in self.TABLES}
        self.quarantine: list[tuple] = []

    def flush(self) -> None:
        """Write the buffered rows into the warehouse (through ``ctx``: first row per key wins, across batches)."""
        e = self.ctx.engine
        for t, rows in self.rows.items():
            if rows:
                cols = schema.CANONICAL_TABLES[t].columns
                arrays = {c.name: [r[i] for r in rows] for i, c in enumerate(cols)}
                # Unregistered only on success: after a failed statement the file's transaction refuses every
                # statement (unregister too) until the loader rolls back; a later register replaces the name.
                e.register("__twarc_batch", pa.table(arrays))
                self.ctx.insert(t, "SELECT * FROM __twarc_batch")
                e.unregister("__twarc_batch")
                rows.clear()
        if self.quarantine:
            e.register(
                "__twarc_bad",
                pa.table(
                    {
                        "line": pa.array([r[0] for r in self.quarantine], pa.int64()),
                        "reason": pa.array([r[1] for r in self.quarantine], pa.string()),
                        "raw": pa.array([r[2] for r in self.quarantine], pa.string()),
                    }
                ),
            )
            self.ctx.quarantine("SELECT line, reason, raw FROM __twarc_bad")
            e.unregister("__twarc_bad")
            self.quarantine.clear()


class Twarc2JsonlReader:
    name = "twarc2_jsonl"
    description = "Twitter API v2 JSONL from twarc2 (response pages or flattened tweets)"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        head = sniff.head.lstrip("\ufeff \r\n\t")
        return head.startswith("{") and '"author_id"' in head and ('"data"' in head or '"created_at"' in head)

    def read(self, ctx: ReadContext) -> ReadResult:
        opener = gzip.open if ctx.path.suffix == ".gz" else open
        out = _Batches(ctx)
        seen, line_no = 0, 0
        try:
            with opener(ctx.path, "rb") as fh:
                for line_no, raw in enumerate(fh, start=1):
                    if not raw.strip():
                        continue
                    seen += self._line(out, line_no, raw)
                    if len(out.rows["actions"]) >= BATCH_ROWS:
                        out.flush()
        except (OSError, EOFError, zlib.error) as exc:  # a truncated .gz: keep what was read, quarantine the rest
            out.quarantine.append((line_no + 1, f"file: cannot read further: {exc}", None))
            seen += 1
        out.flush()
        return ReadResult(seen)

    def _line(self, out: _Batches, line_no: int, raw: bytes) -> int:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            obj = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            out.quarantine.append((line_no, f"json: {type(exc).__name__}: {str(exc)[:120]}", text))
            return 1
        if isinstance(obj, dict) and isinstance(obj.get("data"), list):
            tweets, ref_authors, users = twarc2_page_tweets(obj)
            for user in users:
                out.rows["accounts"].append(twarc2_account(user, out.ctx.platform))
            for tweet in tweets:
                self._tweet(out, line_no, tweet, ref_authors)
            return len(tweets)
        if isinstance(obj, dict) and ("author_id" in obj or "id" in obj):
            author = obj.get("author")
            if isinstance(author, dict) and text_or_none(author.get("id")):
                out.rows["accounts"].append(twarc2_account(author, out.ctx.platform))
            self._tweet(out, line_no, obj, {})
            return 1
        out.quarantine.append((line_no, "json: neither a response page with data nor a tweet", text))
        return 1

    def _tweet(self, out: _Batches, line_no: int, t: Any, ref_authors: dict[str, str | None]) -> None:
        try:
            rec = twarc2_tweet(t, ref_authors)
        except RecordError as exc:
            out.quarantine.append((line_no, str(exc), json.dumps(t, ensure_ascii=False)))
            return
        platform = out.ctx.platform
        out.rows["actions"].append(rec.action_row(platform))
        out.rows["action_hashtags"] += [(platform, rec.action_id, tag) for tag in rec.hashtags]
        out.rows["action_urls"] += [(platform, rec.action_id, url, h) for url, h in rec.urls]
        out.rows["action_mentions"] += [(platform, rec.action_id, m) for m in rec.mentions]


READER = Twarc2JsonlReader()
