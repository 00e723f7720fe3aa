"""Writing the Twitter information-operations archive format (users file, numbered tweets files).

Consumes a :class:`Population` and :class:`Batch` chunks; produces ``<set>_<MMYYYY>_1_users_csv_unhashed.csv`` and
``<set>_<MMYYYY>_<n>_tweets_csv_unhashed.csv`` (a new numbered file every ``max_rows_per_file`` rows). Columns are
exactly the published lists (``USERS_COLUMNS``, ``TWEETS_COLUMNS``); ``tweet_time`` is ``YYYY-MM-DD HH:MM`` UTC,
``is_retweet`` ``True``/``False``, list columns bracketed (``[a, b]``, ``[]`` when empty), ids bare digits (empty
where absent). CSV is UTF-8 with a bare header line; every text cell is quoted (``"``-doubling), numbers are not.

Rows of one chunk are sorted by time and get consecutive tweet ids; chunks follow one another, so the files are
time-ordered within a chunk, not globally (readers must not rely on file order).
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from flockwatch.ingest.readers.twitter_io_archive import TWEETS_COLUMNS, USERS_COLUMNS
from flockwatch.simulate.batch import CLIENTS, QUOTE, REPLY, REPOST, Batch
from flockwatch.simulate.population import LANGS, Population

#: Tweet ids start in the 2019 snowflake range.
TWEET_ID_BASE = 1_130_000_000_000_000_000
#: Chunks generated but not yet written (bounds memory: each is at most ``chunk_actions`` rows).
MAX_IN_FLIGHT = 3
# Arrow's writer quotes every string cell (valid RFC 4180); headers are written bare, as in the published archives,
# so readers that recognise a format by its first line see ``tweetid,userid,...``.
_NO_HEADER = pacsv.WriteOptions(include_header=False, quoting_style="needed")


def open_csv(path: Path, columns: tuple[str, ...] | list[str]) -> pa.NativeFile:
    """A file sink that already holds the bare header line."""
    sink = pa.OSFile(str(path), "wb")
    sink.write((",".join(columns) + "\n").encode("utf-8"))
    return sink


def write_csv(table: pa.Table, path: Path) -> None:
    with open_csv(path, table.column_names) as sink:
        pacsv.write_csv(table, sink, write_options=_NO_HEADER)


def archive_name(archive_set: str, period_end: dt.date, n: int, kind: str) -> str:
    return f"{archive_set}_{period_end:%m%Y}_{n}_{kind}_csv_unhashed.csv"


class MinuteClock:
    """``YYYY-MM-DD HH:MM`` strings by lookup: formatting each timestamp costs more than writing it."""

    def __init__(self, first_s: int, last_s: int) -> None:
        self.first_min = first_s // 60
        n = last_s // 60 - self.first_min + 1
        mins = (np.arange(n, dtype=np.int64) + self.first_min) * 60
        self.table = pc.strftime(pa.array(mins.astype("datetime64[s]")), format="%Y-%m-%d %H:%M")

    def format(self, t_s: np.ndarray) -> pa.Array:
        idx = np.clip(t_s // 60 - self.first_min, 0, len(self.table) - 1)
        return self.table.take(pa.array(idx))


class ArchiveWriter:
    """Streams the archive: the users file once, then tweets chunk by chunk into numbered files.

    Ids and counts are int64 columns (written as bare digits, empty where absent); every string column is quoted by
    Arrow's writer, which is valid CSV and several times faster than deciding field by field.
    """

    def __init__(
        self,
        out_dir: Path,
        archive_set: str,
        period_end: dt.date,
        pop: Population,
        clock: MinuteClock,
        max_rows_per_file: int,
    ) -> None:
        self.out_dir = out_dir
        self.archive_set = archive_set
        self.period_end = period_end
        self.pop = pop
        self.clock = clock
        self.max_rows = max_rows_per_file
        self.files: list[Path] = []
        self._sink: pa.NativeFile | None = None
        self._render_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="flockwatch-sim-render")
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flockwatch-sim-write")
        self._pending: deque[Future] = deque()
        self._rows_in_file = 0
        self.n_rows = 0
        self.next_id = TWEET_ID_BASE
        created = pc.strftime(pa.array(pop.created_s.astype("datetime64[s]")), format="%Y-%m-%d")
        self.user_table = pa.table(
            {
                "userid": pa.array(pop.userid),
                "user_display_name": pop.display_name,
                "user_screen_name": pop.screen_name,
                "user_reported_location": pop.location,
                "user_profile_description": pop.description,
                "user_profile_url": pop.profile_url,
                "follower_count": pa.array(pop.followers),
                "following_count": pa.array(pop.following),
                "account_creation_date": created,
                "account_language": pa.array(LANGS).take(pa.array(pop.lang)),
            }
        )

    def write_users(self) -> Path:
        path = self.out_dir / archive_name(self.archive_set, self.period_end, 1, "users")
        write_csv(self.user_table, path)
        return path

    def write_batch(self, batch: Batch, rng: np.random.Generator) -> int:
        """Queue one chunk; ``rng`` must be the chunk's own (it is used on a worker thread).

        Rendering (Arrow kernels, numpy sorts) and CSV serialisation release the GIL, so chunks are rendered on two
        worker threads while the next chunk is generated, and written in submission order by a third. Ids are
        assigned here, in order, so the bytes are identical to a sequential run. At most ``MAX_IN_FLIGHT`` chunks
        are held in memory.
        """
        if batch.n == 0:
            return 0
        while len(self._pending) >= MAX_IN_FLIGHT:
            self._pending.popleft().result()
        first_id = self.next_id
        self.next_id += batch.n
        table = self._render_pool.submit(self.to_table, batch, rng, first_id)
        self._pending.append(self._write_pool.submit(lambda: self._write_table(table.result())))
        self.n_rows += batch.n
        return batch.n

    def _write_table(self, table: pa.Table) -> None:
        start = 0
        while start < table.num_rows:
            if self._sink is None or self._rows_in_file >= self.max_rows:
                self._open_next()
            take = min(table.num_rows - start, self.max_rows - self._rows_in_file)
            pacsv.write_csv(table.slice(start, take), self._sink, write_options=_NO_HEADER)
            self._rows_in_file += take
            start += take

    def _open_next(self) -> None:
        self._close_file()
        path = self.out_dir / archive_name(self.archive_set, self.period_end, len(self.files) + 1, "tweets")
        self.files.append(path)
        self._sink = open_csv(path, TWEETS_COLUMNS)
        self._rows_in_file = 0

    def close(self) -> None:
        """Finish pending writes and close the current file (call once at the end)."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self._render_pool.shutdown(wait=True)
            self._write_pool.shutdown(wait=True)
        self._close_file()

    def _close_file(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def to_table(self, batch: Batch, rng: np.random.Generator, first_id: int = TWEET_ID_BASE) -> pa.Table:
        pop = self.pop
        n = batch.n
        t_raw = batch.column("t_s")
        order = np.argsort(t_raw, kind="stable")
        rank = np.empty(n, np.int64)
        rank[order] = np.arange(n)
        take = pa.array(order)
        author = batch.column("author")[order]
        t = t_raw[order]
        kind = batch.column("kind")[order]
        tgt_raw = batch.column("target")[order]
        tgt = np.where(tgt_raw >= 0, rank[np.maximum(tgt_raw, 0)], -1)
        has_t = tgt >= 0
        tgt0 = np.maximum(tgt, 0)
        tgt_author = np.where(has_t, author[tgt0], -1)
        tgt_author0 = pa.array(np.maximum(tgt_author, 0))
        ids = np.arange(first_id, first_id + n, dtype=np.int64)
        is_rt = kind == REPOST
        is_rt_a = pa.array(is_rt)

        mention = batch.column("mention")[order]
        mention = np.where(kind == REPLY, tgt_author, mention)
        screen = pop.screen_name
        prefix = pc.if_else(
            pa.array(mention >= 0),
            pc.binary_join_element_wise("@", screen.take(pa.array(np.maximum(mention, 0))), " ", ""),
            pa.scalar(""),
        )
        own = pc.binary_join_element_wise(prefix, batch.arrow("body").take(take), "")
        rt_text = pc.binary_join_element_wise("RT @", screen.take(tgt_author0), ": ", own.take(pa.array(tgt0)), "")
        tweet_text = pc.if_else(is_rt_a, rt_text, own)
        hashtags = batch.arrow("hashtags").take(take)
        urls = batch.arrow("urls").take(take)
        hashtags = pc.if_else(is_rt_a, hashtags.take(pa.array(tgt0)), hashtags)
        urls = pc.if_else(is_rt_a, urls.take(pa.array(tgt0)), urls)
        # A retweet mentions the retweeted author, then whoever the original mentioned (as the platform's
        # entities do): "RT @a: @b ..." lists [a, b].
        mentioned = np.where(is_rt, tgt_author, mention)
        also = np.where(is_rt, mention[tgt0], -1)
        uid = pop.userid_str
        first = uid.take(pa.array(np.maximum(mentioned, 0)))
        second = pc.binary_join_element_wise(", ", uid.take(pa.array(np.maximum(also, 0))), "")
        second = pc.if_else(pa.array(also >= 0), second, pa.scalar(""))
        mentions = pc.if_else(
            pa.array(mentioned >= 0), pc.binary_join_element_wise("[", first, second, "]", ""), pa.scalar("[]")
        )
        lang = batch.column("lang")[order]
        lang = np.where(is_rt, lang[tgt0], lang)
        counts = {}
        for name, k in (("quote_count", QUOTE), ("reply_count", REPLY), ("retweet_count", REPOST)):
            counts[name] = np.bincount(tgt[(kind == k) & has_t], minlength=n)
        likes = np.round(counts["retweet_count"] * rng.uniform(1.0, 3.0, n) + rng.poisson(0.6, n)).astype(np.int64)
        likes[is_rt] = 0
        tgt_uid = pop.userid[np.maximum(tgt_author, 0)]
        tgt_tid = ids[tgt0]
        opt = lambda mask, v: pa.array(v, mask=~mask)  # noqa: E731  (absent ids are empty fields)
        a = pa.array(author)
        u = self.user_table
        cols = {
            "tweetid": pa.array(ids),
            **{c: u.column(c).take(a) for c in USERS_COLUMNS},
            "tweet_language": pa.array(LANGS).take(pa.array(lang)),
            "tweet_text": tweet_text,
            "tweet_time": self.clock.format(t),
            "tweet_client_name": pa.array(CLIENTS).take(pa.array(batch.column("client")[order])),
            "in_reply_to_userid": opt(kind == REPLY, tgt_uid),
            "in_reply_to_tweetid": opt(kind == REPLY, tgt_tid),
            "quoted_tweet_tweetid": opt(kind == QUOTE, tgt_tid),
            "is_retweet": pc.if_else(is_rt_a, pa.scalar("True"), pa.scalar("False")),
            "retweet_userid": opt(is_rt, tgt_uid),
            "retweet_tweetid": opt(is_rt, tgt_tid),
            "latitude": pa.nulls(n, pa.string()),
            "longitude": pa.nulls(n, pa.string()),
            "quote_count": pa.array(counts["quote_count"]),
            "reply_count": pa.array(counts["reply_count"]),
            "like_count": pa.array(likes),
            "retweet_count": pa.array(counts["retweet_count"]),
            "hashtags": hashtags,
            "urls": urls,
            "user_mentions": mentions,
        }
        return pa.table([cols[c] for c in TWEETS_COLUMNS], names=list(TWEETS_COLUMNS))
