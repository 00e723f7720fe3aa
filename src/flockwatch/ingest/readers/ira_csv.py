"""``ira_csv``: the Clemson / FiveThirtyEight Internet Research Agency tweet CSVs.

Consumes either the per-author files (``author_id, content, region, language, publish_date, harvested_date,
following, followers, updates, post_type, retweet``; ``author_id`` is the handle) or FiveThirtyEight's full layout
(``external_author_id, author, content, ..., post_type, account_type, retweet, account_category, tweet_id, ...``).
Columns are taken by header name. Produces ``accounts`` (``account_id`` = the handle as written, first row wins:
follower/following counts and region of that row), ``actions`` and ``action_hashtags`` / ``action_urls`` /
``action_mentions`` parsed from ``content`` by regular expressions (in DuckDB).

Kind: ``post_type`` Q / QUOTE_TWEET → ``quote``; ``retweet`` = 1 → ``repost`` (for texts ``RT @user: ...`` the
target account is that handle; the target tweet is unknown); else ``post``.

Action ids: the full layout's ``tweet_id`` when present. The per-author files have no tweet id, so the id is
``ira:`` + md5(author, publish_date, content, n) joined with U+001F, where n counts earlier rows of the same file
with the same author, time and text (1 for the first): the same file always yields the same ids, and two
identical tweets in one minute stay two actions.
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.core.text import retweeted_handle_sql
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import (
    drop_scan,
    explode_text_entities,
    parses,
    required,
    scan_csv,
    split_valid,
    sql_time,
    typed_ref,
)


class IraCsvReader:
    name = "ira_csv"
    description = "Clemson/FiveThirtyEight IRA tweets CSV (per-author files or the full layout)"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        h = set(sniff.header_fields)
        return {"content", "publish_date"} <= h and bool({"author_id", "author"} & h)

    def read(self, ctx: ReadContext) -> ReadResult:
        scan = scan_csv(ctx, "__ira")
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            c = scan.col
            author = c("author", "author_id")
            author_name = "author" if scan.has("author") else "author_id"
            scan.require(ctx.source_file, author_name, "content", "publish_date")
            post_type, retweet = f"upper({c('post_type')})", c("retweet")
            text = c("content")
            kind = (
                f"CASE WHEN {post_type} IN ('Q', 'QUOTE_TWEET') THEN 'quote' "
                f"WHEN {retweet} IN ('1', 'true', 'True') OR {post_type} IN ('R', 'RETWEET') THEN 'repost' "
                f"ELSE 'post' END"
            )
            typed = {
                "account_id": author,
                "tweet_id": c("tweet_id"),
                "publish_raw": c("publish_date"),
                "acted_at": sql_time(c("publish_date")),
                "kind": kind,
                "rt_handle": retweeted_handle_sql(text),
                "text": text,
                "language": c("language"),
                "region": c("region"),
                "following_count": f"TRY_CAST({c('following')} AS BIGINT)",
                "follower_count": f"TRY_CAST({c('followers')} AS BIGINT)",
            }
            checks = [
                required(author, author_name),
                required(c("publish_date"), "publish_date"),
                parses(c("publish_date"), typed_ref("acted_at"), "publish_date", "a time"),
                parses(c("following"), typed_ref("following_count"), "following", "a whole number"),
                parses(c("followers"), typed_ref("follower_count"), "followers", "a whole number"),
            ]
            valid = split_valid(ctx, scan, typed, checks)
            e, p = ctx.engine, sql_literal(ctx.platform)
            e.sql(
                f"""CREATE OR REPLACE TEMP TABLE __ira_actions AS
                    SELECT coalesce(tweet_id, 'ira:' || md5(concat_ws(chr(31), account_id, publish_raw,
                               coalesce(text, ''), CAST(row_number() OVER (
                                   PARTITION BY account_id, publish_raw, text ORDER BY __line) AS VARCHAR))))
                               AS action_id, *
                    FROM {valid} ORDER BY __line"""
            )
            ctx.insert(
                "actions",
                f"""SELECT {p} AS platform, action_id, account_id, kind, acted_at,
                           CASE WHEN kind = 'repost' THEN rt_handle END AS target_account_id, text, language
                    FROM __ira_actions""",
                ["platform", "action_id", "account_id", "kind", "acted_at", "target_account_id", "text", "language"],
            )
            ctx.insert(
                "accounts",
                f"""SELECT {p} AS platform, account_id, account_id AS screen_name, follower_count, following_count,
                           region AS reported_location, false AS id_is_pseudonymised
                    FROM (SELECT * FROM __ira_actions
                          QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY __line) = 1)
                    ORDER BY __line""",
                [
                    "platform",
                    "account_id",
                    "screen_name",
                    "follower_count",
                    "following_count",
                    "reported_location",
                    "id_is_pseudonymised",
                ],
                unique_keys=True,
            )
            explode_text_entities(ctx, "__ira_actions")
            return ReadResult(scan.rows_read)
        finally:
            drop_scan(ctx, "__ira", extra_tables=("__ira_actions",))


READER = IraCsvReader()
