"""``cnt_csv``: the message CSV of coordination-network-toolkit (``compute_networks preprocess --format csv``).

Consumes a CSV with a header row naming ``message_id, user_id, username, repost_id, reply_id, message, timestamp,
urls`` (CNT itself skips the header and reads by position; flockwatch reads by name, so reordered columns work).
``timestamp`` is in seconds (CNT only needs a consistent offset; flockwatch reads it as epoch seconds, UTC) and
``urls`` is a space-separated list. A header naming none of these columns but with eight fields is read by
position, as CNT reads it (``--format cnt_csv`` then names the format: the header cannot). Produces ``actions``
(``repost_id`` → ``repost`` with that target, ``reply_id`` → ``reply``, else ``post``), ``action_urls`` from
``urls``, ``action_hashtags`` and ``action_mentions`` (handles) parsed from ``message``, and one ``accounts`` row
per ``user_id`` with its ``username``. Ids are kept exactly as written.
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.core.urls import host_sql
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import (
    drop_scan,
    explode_text_entities,
    insert_min_accounts,
    parses,
    required,
    scan_csv,
    split_valid,
    sql_epoch_s,
    typed_ref,
)

COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")


class CntCsvReader:
    name = "cnt_csv"
    description = "coordination-network-toolkit CSV: message_id,user_id,username,repost_id,reply_id,message,..."
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        return {"message_id", "user_id", "repost_id", "reply_id"} <= set(sniff.header_fields)

    def read(self, ctx: ReadContext) -> ReadResult:
        scan = scan_csv(ctx, "__cnt", positional=COLUMNS)
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            scan.require(ctx.source_file, "message_id", "user_id", "timestamp")
            c = scan.col
            repost, reply, ts = c("repost_id"), c("reply_id"), c("timestamp")
            typed = {
                "action_id": c("message_id"),
                "account_id": c("user_id"),
                "username": c("username"),
                "kind": f"CASE WHEN {repost} IS NOT NULL THEN 'repost' WHEN {reply} IS NOT NULL THEN 'reply' "
                f"ELSE 'post' END",
                "target_action_id": f"coalesce({repost}, {reply})",
                "acted_at": sql_epoch_s(ts),
                "text": c("message"),
                "urls": c("urls"),
            }
            checks = [
                required(c("message_id"), "message_id"),
                required(c("user_id"), "user_id"),
                required(ts, "timestamp"),
                parses(ts, typed_ref("acted_at"), "timestamp", "a time in epoch seconds"),
            ]
            valid = split_valid(ctx, scan, typed, checks)
            p = sql_literal(ctx.platform)
            ctx.insert(
                "actions",
                f"SELECT {p} AS platform, action_id, account_id, kind, acted_at, target_action_id, text FROM {valid}",
                ["platform", "action_id", "account_id", "kind", "acted_at", "target_action_id", "text"],
            )
            insert_min_accounts(ctx, valid, screen_name="username")
            ctx.insert(
                "action_urls",
                f"""SELECT DISTINCT {p} AS platform, action_id, url, {host_sql("url")} AS domain FROM (
                        SELECT action_id, unnest(string_split(trim(urls), ' ')) AS url
                        FROM {valid} WHERE urls IS NOT NULL) WHERE url <> ''""",
                unique_keys=True,
            )
            explode_text_entities(ctx, valid, urls=False)
            notes = ["header names none of the CNT columns: read by position, as CNT does"] if scan.by_position else []
            return ReadResult(scan.rows_read, notes)
        finally:
            drop_scan(ctx, "__cnt")


READER = CntCsvReader()
