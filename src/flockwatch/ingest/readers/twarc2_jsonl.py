"""``twarc2_jsonl``: Twitter API v2 JSON lines as written by twarc2.

Consumes either response pages, one per line (``{"data": [tweets], "includes": {"users": [...], "tweets":
[...]}, "meta": ...}``), or flattened tweets from ``twarc2 flatten`` (one tweet per line with ``author`` and
inline referenced tweets). Plain or ``.gz``. Produces ``actions`` for the tweets of ``data`` (tweets only present
in ``includes`` are context, not actions of the file), ``accounts`` from ``includes.users`` / ``author``,
``action_hashtags`` / ``action_urls`` / ``action_mentions`` from ``entities``.

Kind: ``referenced_tweets`` type ``retweeted`` → ``repost``, ``replied_to`` → ``reply``, ``quoted`` → ``quote``,
else ``post``. The target account of a retweet or quote is the referenced tweet's ``author_id`` (from
``includes.tweets`` or the inline tweet); of a reply, ``in_reply_to_user_id``.

Quarantine: a line that is not JSON (line = its line number), a tweet without ``id`` / ``author_id`` or with an
unparseable ``created_at`` (line = the line it is on; raw = the tweet's JSON).

JSON is parsed in Python (the nesting defeats a columnar scan) into Arrow batches of ``BATCH_ROWS`` tweets.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import zlib
from typing import Any

import pyarrow as pa

from flockwatch import schema
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff

BATCH_ROWS = 50_000
_KINDS = {"retweeted": "repost", "replied_to": "reply", "quoted": "quote"}
_PRECEDENCE = {"post": 0, "quote": 1, "reply": 2, "repost": 3}


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t


def _int(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def _str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _host(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(url if "://" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return None
    return (host[4:] if host.startswith("www.") else host) or None


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
            e.register("__twarc_bad", pa.table({
                "line": pa.array([r[0] for r in self.quarantine], pa.int64()),
                "reason": pa.array([r[1] for r in self.quarantine], pa.string()),
                "raw": pa.array([r[2] for r in self.quarantine], pa.string()),
            }))
            self.ctx.quarantine("SELECT line, reason, raw FROM __twarc_bad")
            e.unregister("__twarc_bad")
            self.quarantine.clear()


class Twarc2JsonlReader:
    name = "twarc2_jsonl"
    description = "Twitter API v2 JSONL from twarc2 (response pages or flattened tweets)"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        head = sniff.head.lstrip("\ufeff \r\n\t")
        return head.startswith("{") and '"author_id"' in head and (
            '"data"' in head or '"created_at"' in head
        )

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
            includes = obj.get("includes") if isinstance(obj.get("includes"), dict) else {}
            ref_authors = {
                str(t.get("id")): _str(t.get("author_id"))
                for t in includes.get("tweets") or [] if isinstance(t, dict)
            }
            for user in includes.get("users") or []:
                if isinstance(user, dict) and _str(user.get("id")):
                    out.rows["accounts"].append(self._account(out.ctx, user))
            for tweet in obj["data"]:
                self._tweet(out, line_no, tweet, ref_authors)
            return len(obj["data"])
        if isinstance(obj, dict) and ("author_id" in obj or "id" in obj):
            author = obj.get("author")
            if isinstance(author, dict) and _str(author.get("id")):
                out.rows["accounts"].append(self._account(out.ctx, author))
            self._tweet(out, line_no, obj, {})
            return 1
        out.quarantine.append((line_no, "json: neither a response page with data nor a tweet", text))
        return 1

    def _account(self, ctx: ReadContext, u: dict) -> tuple:
        metrics = u.get("public_metrics") if isinstance(u.get("public_metrics"), dict) else {}
        return (
            ctx.platform, str(u["id"]), _str(u.get("username")), _str(u.get("name")), _time(u.get("created_at")),
            _int(metrics.get("followers_count")), _int(metrics.get("following_count")), None,
            _str(u.get("location")), _str(u.get("description")), _str(u.get("url")), False,
        )

    def _tweet(self, out: _Batches, line_no: int, t: Any, ref_authors: dict[str, str | None]) -> None:
        if not isinstance(t, dict):
            out.quarantine.append((line_no, "tweet: not a JSON object", json.dumps(t, ensure_ascii=False)))
            return
        tid, author, created = _str(t.get("id")), _str(t.get("author_id")), _time(t.get("created_at"))
        reason = None
        if tid is None:
            reason = "id: missing"
        elif author is None:
            reason = "author_id: missing"
        elif t.get("created_at") in (None, ""):
            reason = "created_at: missing"
        elif created is None:
            reason = f"created_at: cannot parse {str(t.get('created_at'))[:40]!r} as a time"
        if reason:
            out.quarantine.append((line_no, reason, json.dumps(t, ensure_ascii=False)))
            return
        kind, target, target_account = "post", None, None
        for ref in t.get("referenced_tweets") or []:
            if not isinstance(ref, dict) or ref.get("type") not in _KINDS:
                continue
            k = _KINDS[ref["type"]]
            # A retweet of a reply is a retweet; a reply that quotes is a reply: repost > reply > quote.
            if _PRECEDENCE[k] > _PRECEDENCE[kind]:
                kind, target = k, _str(ref.get("id"))
                inline = ref.get("author_id")
                if not inline and isinstance(ref.get("author"), dict):
                    inline = ref["author"].get("id")
                target_account = _str(inline) or ref_authors.get(str(target))
        if kind == "reply":
            target_account = _str(t.get("in_reply_to_user_id")) or target_account
        ctx = out.ctx
        out.rows["actions"].append((
            ctx.platform, tid, author, kind, created, target, target_account, _str(t.get("text")),
            _str(t.get("lang")), _str(t.get("source")),
        ))
        ent = t.get("entities") if isinstance(t.get("entities"), dict) else {}
        for tag in {str(h.get("tag")).lstrip("#").lower() for h in ent.get("hashtags") or []
                    if isinstance(h, dict) and h.get("tag")}:
            out.rows["action_hashtags"].append((ctx.platform, tid, tag))
        urls = {str(u.get("expanded_url") or u.get("url")) for u in ent.get("urls") or []
                if isinstance(u, dict) and (u.get("expanded_url") or u.get("url"))}
        for url in urls:
            out.rows["action_urls"].append((ctx.platform, tid, url, _host(url)))
        for m in {str(m.get("id") or m.get("username")) for m in ent.get("mentions") or []
                  if isinstance(m, dict) and (m.get("id") or m.get("username"))}:
            out.rows["action_mentions"].append((ctx.platform, tid, m))


READER = Twarc2JsonlReader()
