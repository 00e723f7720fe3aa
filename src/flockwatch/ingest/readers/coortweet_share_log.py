"""``coortweet_share_log``: share logs in the layouts of the CooRTweet R package.

Consumes either the 4-column log ``object_id, account_id, content_id, timestamp_share`` (one share per row;
``timestamp_share`` in epoch seconds, maybe fractional) or the 7-column 2021 German election layout
``account_id, post_id, url_id, hashtag_id, domain_id, phash_id, timestamp``. Produces ``actions`` of kind
``share`` (4-column: ``action_id = content_id``, ``target_action_id = object_id``; 7-column: ``action_id =
post_id``), ``action_urls`` (``url = url_id``, ``domain = domain_id``: the log's own anonymised ids),
``action_hashtags`` (``hashtag_id``) and one minimal ``accounts`` row per account. ``phash_id`` (an image hash
id) has no canonical column yet and is not loaded. Platform defaults to ``sharelog``.

Why content_id is the action: in CooRTweet's layout ``object_id`` is what is shared (the retweeted tweet, a URL)
and ``content_id`` is the post that shares it. In the packaged Russian log 35,125 rows carry 35,085 distinct
content ids but only 7,285 distinct object ids: taking object_id as the action id would merge 80% of the shares.
A content id that repeats with another object (a post sharing two objects) keeps its first row's object as
target; the reader notes how many rows that concerns.
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import (
    drop_scan,
    insert_min_accounts,
    parses,
    required,
    scan_csv,
    split_valid,
    sql_epoch_s,
    typed_ref,
)

FOUR = ("object_id", "account_id", "content_id", "timestamp_share")
SEVEN = ("account_id", "post_id", "timestamp")


class CoorTweetShareLogReader:
    name = "coortweet_share_log"
    description = "CooRTweet share log: object_id,account_id,content_id,timestamp_share (or the 7-column layout)"
    default_platform = "sharelog"

    def sniff(self, sniff: Sniff) -> bool:
        h = set(sniff.header_fields)
        return set(FOUR) <= h or (set(SEVEN) <= h and bool({"url_id", "hashtag_id", "domain_id"} & h))

    def read(self, ctx: ReadContext) -> ReadResult:
        scan = scan_csv(ctx, "__sharelog")
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            c = scan.col
            four = scan.has("object_id", "content_id")
            if four:
                scan.require(ctx.source_file, *FOUR)
                action, target, ts_name = c("content_id"), c("object_id"), "timestamp_share"
            else:
                scan.require(ctx.source_file, *SEVEN)
                action, target, ts_name = c("post_id"), "CAST(NULL AS VARCHAR)", "timestamp"
            ts = c(ts_name)
            typed = {
                "action_id": action,
                "account_id": c("account_id"),
                "acted_at": sql_epoch_s(ts),
                "target_action_id": target,
                "url_id": c("url_id"),
                "domain_id": c("domain_id"),
                "hashtag_id": c("hashtag_id"),
            }
            checks = [
                required(action, "content_id" if four else "post_id"),
                required(c("account_id"), "account_id"),
                *([required(target, "object_id")] if four else []),
                required(ts, ts_name),
                parses(ts, typed_ref("acted_at"), ts_name, "a time in epoch seconds"),
            ]
            valid = split_valid(ctx, scan, typed, checks)
            e, p = ctx.engine, sql_literal(ctx.platform)
            ctx.insert(
                "actions",
                f"""SELECT {p} AS platform, action_id, account_id, 'share' AS kind, acted_at, target_action_id
                    FROM {valid}""",
                ["platform", "action_id", "account_id", "kind", "acted_at", "target_action_id"],
            )
            insert_min_accounts(ctx, valid)
            ctx.insert(
                "action_urls",
                f"""SELECT DISTINCT {p} AS platform, action_id, url_id AS url, domain_id AS domain
                    FROM {valid} WHERE url_id IS NOT NULL""",
            )
            ctx.insert(
                "action_hashtags",
                f"""SELECT DISTINCT {p} AS platform, action_id, lower(hashtag_id) AS hashtag
                    FROM {valid} WHERE hashtag_id IS NOT NULL""",
                unique_keys=True,
            )
            notes = []
            if four:
                multi = e.sql(
                    f"""SELECT count(*) FROM (SELECT action_id FROM {valid} GROUP BY action_id
                        HAVING count(DISTINCT target_action_id) > 1)"""
                ).scalar()
                if multi:
                    notes.append(
                        f"{multi} content ids share more than one object; the first row's object is their target"
                    )
            return ReadResult(scan.rows_read, notes)
        finally:
            drop_scan(ctx, "__sharelog")


READER = CoorTweetShareLogReader()
