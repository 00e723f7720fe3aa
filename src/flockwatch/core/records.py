"""Platform records → canonical rows: one mapping per record type, used by ingest *and* by watch.

Consumes one decoded platform record (a Twitter API v2 tweet or user object, as twarc2 writes them); produces a
:class:`TweetRecord` / account row in the canonical schema's terms, or a :class:`RecordError` naming the field
and the problem (the reader quarantines it; watch refuses the batch).

Twitter API v2 tweet → action:
- kind: ``referenced_tweets`` type ``retweeted`` → ``repost``, ``replied_to`` → ``reply``, ``quoted`` → ``quote``,
  else ``post``. A tweet can reference several: a retweet of a reply is a retweet, a reply that quotes is a reply
  (precedence repost > reply > quote), whatever the order the API lists them in.
- target account: of a retweet or quote, the referenced tweet's ``author_id`` (inline, or from the page's
  ``includes.tweets``); of a reply, ``in_reply_to_user_id``.
- entities: hashtag keys (core.text), URLs (``expanded_url`` before ``url``) with their host (core.urls), mentioned
  account ids (the username where the id is missing); a tweet without ``entities`` has none.
- times: ISO-8601 with ``Z`` or an offset → naive UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from flockwatch.core.text import hashtag_key, mention_key
from flockwatch.core.urls import host

TWEET_KINDS = {"retweeted": "repost", "replied_to": "reply", "quoted": "quote"}
#: which reference decides the kind when a tweet has several
KIND_PRECEDENCE = {"post": 0, "quote": 1, "reply": 2, "repost": 3}


class RecordError(ValueError):
    """A record that cannot become a canonical row; ``str()`` is the quarantine reason (``field: problem``)."""


@dataclass
class TweetRecord:
    action_id: str
    account_id: str
    kind: str
    acted_at: dt.datetime
    target_action_id: str | None
    target_account_id: str | None
    text: str | None
    language: str | None
    client: str | None
    hashtags: list[str] = field(default_factory=list)
    urls: list[tuple[str, str | None]] = field(default_factory=list)
    """(url, host)"""
    mentions: list[str] = field(default_factory=list)

    def action_row(self, platform: str) -> tuple[Any, ...]:
        """The row in ``actions`` column order."""
        return (
            platform,
            self.action_id,
            self.account_id,
            self.kind,
            self.acted_at,
            self.target_action_id,
            self.target_account_id,
            self.text,
            self.language,
            self.client,
        )


def text_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def parse_time(value: Any) -> dt.datetime | None:
    """ISO-8601 text (``Z`` or an offset, or naive = UTC) → naive UTC; None when it is not such a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t


def twarc2_account(u: dict[str, Any], platform: str) -> tuple[Any, ...]:
    """A v2 user object → a row in ``accounts`` column order."""
    raw_metrics = u.get("public_metrics")
    metrics: dict[str, Any] = raw_metrics if isinstance(raw_metrics, dict) else {}
    return (
        platform,
        str(u["id"]),
        text_or_none(u.get("username")),
        text_or_none(u.get("name")),
        parse_time(u.get("created_at")),
        int_or_none(metrics.get("followers_count")),
        int_or_none(metrics.get("following_count")),
        None,
        text_or_none(u.get("location")),
        text_or_none(u.get("description")),
        text_or_none(u.get("url")),
        False,
    )


def twarc2_tweet(t: Any, ref_authors: dict[str, str | None] | None = None) -> TweetRecord:
    """A v2 tweet object → :class:`TweetRecord`; raises :class:`RecordError` when it cannot be one.

    ``ref_authors`` maps referenced tweet ids to their authors (a response page's ``includes.tweets``).
    """
    if not isinstance(t, dict):
        raise RecordError("tweet: not a JSON object")
    tid, author, created = text_or_none(t.get("id")), text_or_none(t.get("author_id")), parse_time(t.get("created_at"))
    if tid is None:
        raise RecordError("id: missing")
    if author is None:
        raise RecordError("author_id: missing")
    if t.get("created_at") in (None, ""):
        raise RecordError("created_at: missing")
    if created is None:
        raise RecordError(f"created_at: cannot parse {str(t.get('created_at'))[:40]!r} as a time")
    refs = ref_authors or {}
    kind, target, target_account = "post", None, None
    for ref in t.get("referenced_tweets") or []:
        if not isinstance(ref, dict) or ref.get("type") not in TWEET_KINDS:
            continue
        k = TWEET_KINDS[ref["type"]]
        if KIND_PRECEDENCE[k] > KIND_PRECEDENCE[kind]:
            kind, target = k, text_or_none(ref.get("id"))
            inline = ref.get("author_id")
            if not inline and isinstance(ref.get("author"), dict):
                inline = ref["author"].get("id")
            target_account = text_or_none(inline) or refs.get(str(target))
    if kind == "reply":
        target_account = text_or_none(t.get("in_reply_to_user_id")) or target_account
    text = text_or_none(t.get("text"))
    rec = TweetRecord(
        tid,
        author,
        kind,
        created,
        target,
        target_account,
        text,
        text_or_none(t.get("lang")),
        text_or_none(t.get("source")),
    )
    # The API omits ``entities`` when a tweet has none; mentions there are account ids, so text (handles) is not
    # read as a substitute.
    raw_ent = t.get("entities")
    ent: dict[str, Any] = raw_ent if isinstance(raw_ent, dict) else {}
    tags = [str(h.get("tag")) for h in ent.get("hashtags") or [] if isinstance(h, dict) and h.get("tag")]
    urls = [
        str(u.get("expanded_url") or u.get("url"))
        for u in ent.get("urls") or []
        if isinstance(u, dict) and (u.get("expanded_url") or u.get("url"))
    ]
    mentions = [
        str(m.get("id") or m.get("username"))
        for m in ent.get("mentions") or []
        if isinstance(m, dict) and (m.get("id") or m.get("username"))
    ]
    rec.hashtags = sorted({hashtag_key(x) for x in tags} - {""})
    rec.urls = [(u, host(u)) for u in sorted(set(urls))]
    rec.mentions = sorted({mention_key(m) for m in mentions} - {""})
    return rec


def twarc2_page_tweets(page: dict[str, Any]) -> tuple[list[Any], dict[str, str | None], list[dict[str, Any]]]:
    """A v2 response page → (its ``data`` tweets, referenced tweet id → author, ``includes.users``)."""
    raw_includes = page.get("includes")
    includes: dict[str, Any] = raw_includes if isinstance(raw_includes, dict) else {}
    ref_authors = {
        str(t.get("id")): text_or_none(t.get("author_id")) for t in includes.get("tweets") or [] if isinstance(t, dict)
    }
    users = [u for u in includes.get("users") or [] if isinstance(u, dict) and text_or_none(u.get("id"))]
    data = page.get("data")
    return (data if isinstance(data, list) else []), ref_authors, users
