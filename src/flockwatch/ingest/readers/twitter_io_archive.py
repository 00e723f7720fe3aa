"""``twitter_io_archive``: Twitter's information-operations archives (users and tweets CSV files).

Consumes a users file (``userid`` + ``account_creation_date``) or a tweets file (``tweetid`` + ``tweet_time``),
hashed or unhashed, with or without the ``user_`` prefix, the 2018 IRA layout (in_reply_to columns swapped,
``poll_choices`` added: columns are always taken by header name), plain or ``.gz`` (the loader unpacks zips).
Produces ``accounts`` (users file; tweets file from its ``user_*`` columns), ``actions`` and the entity tables
``action_hashtags`` / ``action_urls`` / ``action_mentions`` exploded from the bracketed list columns.

Parsing and validation run in DuckDB (see ``ingest/csvscan.py``). A row is quarantined when a required field is
missing (``tweetid``, ``userid``, ``tweet_time``) or a loaded field does not parse (times, counts, ``is_retweet``).
Columns flockwatch does not load (``latitude``, ``like_count``...) are not checked; real archives fill them with
words like ``absent``.

Kind of an action: ``is_retweet`` true → ``repost`` (targets ``retweet_tweetid`` / ``retweet_userid``); else an
``in_reply_to_*`` value → ``reply``; else ``quoted_tweet_tweetid`` → ``quote``; else ``post``.

Pseudonymised ids: hashed releases replace the numeric ``userid`` by a hash; any non-numeric ``userid`` marks the
account ``id_is_pseudonymised``. Ids are kept exactly as in the file so that the same hash joins everywhere.
"""

from __future__ import annotations

from flockwatch.core.sql import sql_literal
from flockwatch.core.text import hashtag_key_sql
from flockwatch.core.urls import host_sql
from flockwatch.ingest.base import ReadContext, ReadResult, Sniff
from flockwatch.ingest.csvscan import (
    Check,
    CsvScan,
    drop_scan,
    explode_text_entities,
    parses,
    required,
    scan_csv,
    split_valid,
    sql_list_items,
    sql_time,
    typed_ref,
)

#: The columns of the published archives, in their order: what the simulator writes and what disclosure will write.
#: The reader itself takes columns by header name and needs only ``userid``/``tweetid`` and the times.
# fmt: off
USERS_COLUMNS = (
    "userid", "user_display_name", "user_screen_name", "user_reported_location", "user_profile_description",
    "user_profile_url", "follower_count", "following_count", "account_creation_date", "account_language",
)
TWEETS_COLUMNS = (
    "tweetid", "userid", "user_display_name", "user_screen_name", "user_reported_location",
    "user_profile_description", "user_profile_url", "follower_count", "following_count", "account_creation_date",
    "account_language", "tweet_language", "tweet_text", "tweet_time", "tweet_client_name", "in_reply_to_userid",
    "in_reply_to_tweetid", "quoted_tweet_tweetid", "is_retweet", "retweet_userid", "retweet_tweetid", "latitude",
    "longitude", "quote_count", "reply_count", "like_count", "retweet_count", "hashtags", "urls", "user_mentions",
)
# fmt: on


_TRUE = "('true', 't', '1', 'yes')"
_FALSE = "('false', 'f', '0', 'no')"


def _profile(scan: CsvScan) -> dict[str, str]:
    """Typed account columns from either layout (``user_`` prefix or not)."""
    created = scan.col("account_creation_date")
    return {
        "account_id": scan.col("userid"),
        "screen_name": scan.col("user_screen_name", "screen_name"),
        "display_name": scan.col("user_display_name", "display_name"),
        "created_at": sql_time(created),
        "follower_count": f"TRY_CAST({scan.col('follower_count')} AS BIGINT)",
        "following_count": f"TRY_CAST({scan.col('following_count')} AS BIGINT)",
        "account_language": scan.col("account_language", "user_language"),
        "reported_location": scan.col("user_reported_location", "reported_location"),
        "description": scan.col("user_profile_description", "profile_description"),
        "profile_url": scan.col("user_profile_url", "profile_url"),
    }


def _profile_checks(scan: CsvScan) -> list[Check]:
    return [
        required(scan.col("userid"), "userid"),
        parses(scan.col("account_creation_date"), typed_ref("created_at"), "account_creation_date", "a time"),
        parses(scan.col("follower_count"), typed_ref("follower_count"), "follower_count", "a whole number"),
        parses(scan.col("following_count"), typed_ref("following_count"), "following_count", "a whole number"),
    ]


def _insert_accounts(ctx: ReadContext, valid: str) -> None:
    """One account per userid (its first row in the file); non-numeric ids are hashes (pseudonymised)."""
    ctx.insert(
        "accounts",
        f"""SELECT {sql_literal(ctx.platform)} AS platform, account_id, screen_name, display_name, created_at,
                   follower_count, following_count, account_language AS language, reported_location, description,
                   profile_url, NOT regexp_full_match(account_id, '[0-9]+') AS id_is_pseudonymised
            FROM (SELECT * FROM {valid} QUALIFY row_number() OVER (PARTITION BY account_id ORDER BY __line) = 1)
            ORDER BY __line""",
        unique_keys=True,
    )


class TwitterIOArchiveReader:
    name = "twitter_io_archive"
    description = "Twitter information-operations archive: users and tweets CSV (hashed or unhashed, .gz ok)"
    default_platform = "twitter"

    def sniff(self, sniff: Sniff) -> bool:
        h = set(sniff.header_fields)
        return {"tweetid", "tweet_time"} <= h or ({"userid", "account_creation_date"} <= h and "tweetid" not in h)

    def read(self, ctx: ReadContext) -> ReadResult:
        scan = scan_csv(ctx, "__archive")
        try:
            if scan.empty:
                return ReadResult(0, ["empty file"])
            if scan.has("tweetid"):
                scan.require(ctx.source_file, "tweetid", "userid", "tweet_time")
                self._tweets(ctx, scan)
            else:
                scan.require(ctx.source_file, "userid")
                valid = split_valid(ctx, scan, _profile(scan), _profile_checks(scan))
                _insert_accounts(ctx, valid)
            return ReadResult(scan.rows_read)
        finally:
            drop_scan(ctx, "__archive")

    def _tweets(self, ctx: ReadContext, scan: CsvScan) -> None:
        c = scan.col
        is_rt = f"lower({c('is_retweet')})"
        reply_tweet, reply_user = c("in_reply_to_tweetid"), c("in_reply_to_userid")
        quoted = c("quoted_tweet_tweetid")
        kind = (
            f"CASE WHEN {is_rt} IN {_TRUE} THEN 'repost' "
            f"WHEN {reply_tweet} IS NOT NULL OR {reply_user} IS NOT NULL THEN 'reply' "
            f"WHEN {quoted} IS NOT NULL THEN 'quote' ELSE 'post' END"
        )
        typed = {
            **_profile(scan),
            "action_id": c("tweetid"),
            "kind": kind,
            "acted_at": sql_time(c("tweet_time")),
            "target_action_id": (
                f"CASE WHEN {is_rt} IN {_TRUE} THEN {c('retweet_tweetid')} "
                f"WHEN {reply_tweet} IS NOT NULL OR {reply_user} IS NOT NULL THEN {reply_tweet} "
                f"ELSE {quoted} END"
            ),
            "target_account_id": (
                f"CASE WHEN {is_rt} IN {_TRUE} THEN {c('retweet_userid')} "
                f"WHEN {reply_tweet} IS NOT NULL OR {reply_user} IS NOT NULL THEN {reply_user} END"
            ),
            "text": c("tweet_text"),
            "tweet_language": c("tweet_language"),
            "client": c("tweet_client_name"),
            "hashtags": c("hashtags"),
            "urls": c("urls"),
            "user_mentions": c("user_mentions"),
        }
        checks = [
            required(c("tweetid"), "tweetid"),
            *_profile_checks(scan),
            required(c("tweet_time"), "tweet_time"),
            parses(c("tweet_time"), typed_ref("acted_at"), "tweet_time", "a time"),
            Check(
                f"{is_rt} IS NOT NULL AND {is_rt} NOT IN {_TRUE} AND {is_rt} NOT IN {_FALSE}",
                f"'is_retweet: expected true/false, got ''' || left({c('is_retweet')}, 40) || ''''",
            ),
        ]
        valid = split_valid(ctx, scan, typed, checks)
        _insert_accounts(ctx, valid)
        ctx.insert(
            "actions",
            f"""SELECT {sql_literal(ctx.platform)} AS platform, action_id, account_id, kind, acted_at,
                       target_action_id, target_account_id, text, tweet_language AS language, client
                FROM {valid}""",
        )
        explode(ctx, valid)


def explode(ctx: ReadContext, valid: str) -> None:
    """Bracketed list columns → entity tables (hashtag keys; URL hosts), and for rows whose list is empty or absent
    the entities written in the tweet text (core.text's rules), as the platform's own extractor would have listed.

    An empty list is written ``[]``: such rows are skipped before the (regex) split.
    """
    platform = sql_literal(ctx.platform)
    ctx.insert(
        "action_hashtags",
        f"""SELECT DISTINCT {platform} AS platform, action_id, tag AS hashtag FROM (
                SELECT action_id, {hashtag_key_sql(f"unnest({sql_list_items('hashtags')})")} AS tag
                FROM {valid} WHERE hashtags IS NOT NULL AND hashtags <> '[]') WHERE tag <> ''""",
        unique_keys=True,
    )
    ctx.insert(
        "action_urls",
        f"""SELECT DISTINCT {platform} AS platform, action_id, url, {host_sql("url")} AS domain FROM (
                SELECT action_id, unnest({sql_list_items("urls")}) AS url FROM {valid}
                WHERE urls IS NOT NULL AND urls <> '[]')""",
        unique_keys=True,
    )
    ctx.insert(
        "action_mentions",
        f"""SELECT DISTINCT {platform} AS platform, action_id, ltrim(m, '@') AS mentioned_account_id FROM (
                SELECT action_id, unnest({sql_list_items("user_mentions")}) AS m
                FROM {valid} WHERE user_mentions IS NOT NULL AND user_mentions <> '[]') WHERE ltrim(m, '@') <> ''""",
        unique_keys=True,
    )
    empty = "{} IS NULL OR {} = '[]'"
    explode_text_entities(ctx, valid, urls=False, mentions=False, where=empty.format("hashtags", "hashtags"))
    explode_text_entities(ctx, valid, urls=False, hashtags=False, where=empty.format("user_mentions", "user_mentions"))


READER = TwitterIOArchiveReader()
