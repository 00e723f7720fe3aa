"""The IO-format archive: Twitter's users and tweets CSV layout, with protected accounts pseudonymised.

Consumes an open workspace, the :class:`~flockwatch.disclose.subjects.Subjects` of a release and its
:class:`~flockwatch.disclose.keys.ReleaseKey`; produces ``<set>_<MMYYYY>_<n>_users_csv_hashed.csv``,
``<set>_<MMYYYY>_<n>_tweets_csv_hashed.csv`` (the published columns, ``USERS_COLUMNS`` / ``TWEETS_COLUMNS`` of the
IO-archive reader, so the files re-ingest with ``flockwatch ingest``) and a zip of both, plus the
:class:`~flockwatch.disclose.pseudonyms.Protection` the rest of the release uses.

What is written for a protected account (under the follower threshold, unknown, or not in the workspace):
``userid``, ``user_screen_name``, ``user_display_name`` and ``user_profile_url`` become its pseudonym (as Twitter's
hashed releases did), and so does every reference to it — ``in_reply_to_userid``, ``retweet_userid``,
``user_mentions`` — and every identifier token naming it inside tweet text, bios, locations, display names of
others, hashtags and URLs. Accounts at or above the threshold keep their ids and names. Tweet ids are kept (they
are what researchers cite) unless ``pseudonymise_post_ids``; the statement says so. Columns flockwatch does not
hold (coordinates, engagement counts) are left empty.

Scale: SQL scopes and aggregates the entities; Python only rewrites text, one Arrow batch at a time, and the CSV
writer is Arrow's.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv

from flockwatch.disclose import workers
from flockwatch.disclose.keys import ReleaseKey
from flockwatch.disclose.pseudonyms import (
    DEFAULT_THRESHOLD_FOLLOWERS,
    Protection,
    Pseudonymiser,
    build_protection,
)
from flockwatch.disclose.subjects import Subjects
from flockwatch.engine import Engine, Scratch
from flockwatch.errors import ValidationError
from flockwatch.ingest.readers.twitter_io_archive import TWEETS_COLUMNS, USERS_COLUMNS
from flockwatch.workspace import Workspace

BATCH_ROWS = 100_000
_PROFILE_COLUMNS = USERS_COLUMNS  # the tweets file repeats the user columns (all of them) after tweetid


@dataclass
class ArchiveFiles:
    """The archive files of a release and what is in them."""

    users_file: Path
    tweets_file: Path
    zip_file: Path
    accounts: int
    posts: int
    protected_accounts: int
    public_accounts_named: int
    platform: str
    pseudonymised_post_ids: bool
    prefix: str
    notes: list[str] = field(default_factory=list)


def archive_prefix(set_name: str, when: dt.date, release_n: int, draft: bool) -> str:
    """``<set>_<MMYYYY>_<n>`` (``DRAFT-`` before the set for a draft: the watermark travels with the files)."""
    clean = "".join(c if c.isalnum() or c == "-" else "-" for c in set_name.strip()).strip("-").lower()
    if not clean:
        raise ValidationError(f"set name {set_name!r} has no letters or digits")
    if release_n < 1:
        raise ValidationError(f"release number must be at least 1, got {release_n}")
    return f"{'DRAFT-' if draft else ''}{clean}_{when:%m%Y}_{release_n}"


def scope_platform(e: Engine, members_table: str, platform: str | None) -> str:
    """The one platform of the disclosed accounts (``platform`` checked, or found)."""
    rows = e.sql(
        f"""SELECT platform, count(*) FROM (
                SELECT platform FROM accounts WHERE account_id IN (SELECT account_id FROM {members_table})
                UNION ALL SELECT platform FROM actions WHERE account_id IN (SELECT account_id FROM {members_table}))
            GROUP BY 1 ORDER BY 2 DESC, 1""",
    ).rows()
    found = [r[0] for r in rows]
    if platform is not None:
        if found and platform not in found:
            raise ValidationError(f"the disclosed accounts are on {', '.join(found)}, not {platform!r}")
        return platform
    if len(found) > 1:
        raise ValidationError(f"the disclosed accounts span platforms {', '.join(found)}; name one with --platform")
    if not found:
        raise ValidationError("the disclosed accounts have no profile and no actions in this workspace")
    return str(found[0])


def prepare_scope(ws: Workspace, s: Scratch, subjects: Subjects, platform: str | None) -> str:
    """Fill ``s.members`` and ``s.acts`` (the members' actions); returns the platform."""
    e = ws.engine
    s.register("memberlist", pa.table({"account_id": pa.array(subjects.account_ids, pa.string())}))
    e.sql(f"CREATE TEMP TABLE {s.members} AS SELECT DISTINCT account_id FROM {s.memberlist}")
    plat = scope_platform(e, s.members, platform)
    e.sql(
        f"""CREATE TEMP TABLE {s.acts} AS SELECT a.* FROM actions a
            WHERE a.platform = ? AND a.account_id IN (SELECT account_id FROM {s.members})""",
        [plat],
    )
    return plat


def write_archive(
    ws: Workspace,
    s: Scratch,
    subjects: Subjects,
    key: ReleaseKey,
    out_dir: Path,
    prefix: str,
    platform: str,
    threshold_followers: int = DEFAULT_THRESHOLD_FOLLOWERS,
    pseudonymise_post_ids: bool = False,
    n_workers: int | None = None,
) -> tuple[ArchiveFiles, Protection]:
    """Write the users and tweets files and their zip into ``out_dir`` (scope prepared by :func:`prepare_scope`)."""
    e = ws.engine
    pseud = Pseudonymiser(key, platform)
    if n_workers is None:
        # worker start-up costs about a second: worth it from a few batches on
        n_posts = e.count(s.acts)
        n_workers = workers.default_workers() if n_posts > 2 * BATCH_ROWS else 1
    protection = build_protection(e, s.members, s.acts, pseud, threshold_followers)
    out_dir.mkdir(parents=True, exist_ok=True)
    users_file = out_dir / f"{prefix}_users_csv_hashed.csv"
    tweets_file = out_dir / f"{prefix}_tweets_csv_hashed.csv"
    users = _users_table(e, s, platform, protection)
    row_of = {a: i for i, a in enumerate(users.column("__raw_id").to_pylist())}
    users = users.drop(["__raw_id"])
    pacsv.write_csv(users, users_file, write_options=pacsv.WriteOptions(quoting_style="needed"))
    posts = 0
    schema = pa.schema([(c, pa.string()) for c in TWEETS_COLUMNS])
    with pacsv.CSVWriter(tweets_file, schema, write_options=pacsv.WriteOptions(quoting_style="needed")) as w:
        batches = _tweet_batches(e, s, platform, protection, key if pseudonymise_post_ids else None, n_workers)
        for batch in batches:
            profile = users.take(pa.array([row_of[a] for a in batch.pop("__account_id")], pa.int64()))
            cols = {c: profile.column(c) for c in _PROFILE_COLUMNS}
            cols.update({c: pa.array(v, pa.string()) for c, v in batch.items()})
            table = pa.table({c: cols[c] if c in cols else pa.nulls(len(profile), pa.string()) for c in TWEETS_COLUMNS})
            w.write_table(table.cast(schema))
            posts += table.num_rows
    zip_file = out_dir / f"{prefix}_csv_hashed.zip"
    with zipfile.ZipFile(zip_file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for f in (users_file, tweets_file):
            zf.write(f, arcname=f.name)
    public_members = sum(1 for a in subjects.account_ids if a in protection.public_ids)
    return (
        ArchiveFiles(
            users_file=users_file,
            tweets_file=tweets_file,
            zip_file=zip_file,
            accounts=users.num_rows,
            posts=posts,
            protected_accounts=protection.n_protected,
            public_accounts_named=public_members,
            platform=platform,
            pseudonymised_post_ids=pseudonymise_post_ids,
            prefix=prefix,
        ),
        protection,
    )


def _users_table(e: Engine, s: Scratch, platform: str, p: Protection) -> pa.Table:
    """One row per disclosed account (members without a profile keep only their id), protected ones pseudonymised."""
    rows = e.sql(
        f"""SELECT m.account_id, c.display_name, c.screen_name, c.reported_location, c.description, c.profile_url,
                   CAST(c.follower_count AS VARCHAR), CAST(c.following_count AS VARCHAR),
                   strftime(c.created_at, '%Y-%m-%d'), c.language
            FROM {s.members} m LEFT JOIN accounts c ON c.account_id = m.account_id AND c.platform = ?
            ORDER BY m.account_id""",
        [platform],
    ).rows()
    cols: dict[str, list[str | None]] = {c: [] for c in (*USERS_COLUMNS, "__raw_id")}
    for acc, display, screen, location, bio, url, followers, following, created, lang in rows:
        pid = p.account_pseudonym.get(acc)
        cols["__raw_id"].append(acc)
        cols["userid"].append(pid or acc)
        cols["user_display_name"].append(pid if pid else p.scrub(display))
        cols["user_screen_name"].append(pid if pid else screen)
        cols["user_reported_location"].append(p.scrub(location))
        cols["user_profile_description"].append(p.scrub(bio))
        cols["user_profile_url"].append((pid if url else None) if pid else p.scrub(url))
        cols["follower_count"].append(followers)
        cols["following_count"].append(following)
        cols["account_creation_date"].append(created)
        cols["account_language"].append(lang)
    return pa.table({c: pa.array(v, pa.string()) for c, v in cols.items()})


def _tweet_batches(
    e: Engine, s: Scratch, platform: str, p: Protection, key: ReleaseKey | None, n_workers: int
) -> Iterator[dict[str, list[Any]]]:
    """The tweet columns that differ per row, protected references replaced, one batch at a time."""
    sql = f"""
        WITH h AS (SELECT action_id, list(hashtag ORDER BY hashtag) AS tags FROM action_hashtags
                   WHERE platform = ? AND action_id IN (SELECT action_id FROM {s.acts}) GROUP BY 1),
             u AS (SELECT action_id, list(url ORDER BY url) AS urls FROM action_urls
                   WHERE platform = ? AND action_id IN (SELECT action_id FROM {s.acts}) GROUP BY 1),
             m AS (SELECT action_id, list(mentioned_account_id ORDER BY mentioned_account_id) AS ments
                   FROM action_mentions
                   WHERE platform = ? AND action_id IN (SELECT action_id FROM {s.acts}) GROUP BY 1)
        SELECT a.action_id, a.account_id, a.language, a.text, strftime(a.acted_at, '%Y-%m-%d %H:%M') AS t,
               a.client,
               CASE WHEN a.kind = 'reply' THEN a.target_account_id END AS reply_user,
               CASE WHEN a.kind = 'reply' THEN a.target_action_id END AS reply_post,
               CASE WHEN a.kind = 'quote' THEN a.target_action_id END AS quoted_post,
               a.kind = 'repost' AS is_rt,
               CASE WHEN a.kind = 'repost' THEN a.target_account_id END AS rt_user,
               CASE WHEN a.kind = 'repost' THEN a.target_action_id END AS rt_post,
               h.tags, u.urls, m.ments
        FROM {s.acts} a LEFT JOIN h USING (action_id) LEFT JOIN u USING (action_id) LEFT JOIN m USING (action_id)
        ORDER BY a.acted_at, a.action_id"""
    rewrite_cols = ("action_id", "text", "reply_user", "reply_post", "quoted_post", "is_rt", "rt_user", "rt_post")
    raw: deque[dict[str, list[Any]]] = deque()

    def to_rewrite() -> Iterator[dict[str, list[Any]]]:
        for batch in e.sql(sql, [platform, platform, platform]).batches(BATCH_ROWS):
            d = batch.to_pydict()
            raw.append(d)
            yield {c: d[c] for c in (*rewrite_cols, "tags", "urls", "ments")}

    init_args = (p.by_token, None if key is None else key.secret, platform)
    for rewritten in workers.ordered_map(workers.rewrite_rows, to_rewrite(), n_workers, workers.init_rows, init_args):
        d = raw.popleft()
        yield {
            "__account_id": d["account_id"],
            "tweet_language": d["language"],
            "tweet_time": d["t"],
            "tweet_client_name": d["client"],
            **rewritten,
        }
