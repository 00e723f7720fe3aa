"""Rewriting archive rows and searching release text in worker processes.

Consumes column batches (plain lists) or text chunks; produces the rewritten columns, or the leak hits, in the
order the batches came. A release of millions of posts spends its time in Python text rewriting, one core at a
time; :func:`ordered_map` spreads the batches over ``n_workers`` processes (``spawn``: the parent holds DuckDB's
threads, which a ``fork`` must not copy) with a bounded window, so memory stays at a few batches. Each worker
receives the protected-token table (and, for pseudonymised post ids, the release key) once, at start.
With ``n_workers`` <= 1 everything runs inline.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from flockwatch.core.text import id_token_key
from flockwatch.disclose.keys import ReleaseKey
from flockwatch.disclose.pseudonyms import Protection, Pseudonymiser

T = TypeVar("T")
R = TypeVar("R")
MAX_WORKERS = 8

_STATE: dict[str, Any] = {}


def default_workers() -> int:
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    n_workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[R]:
    """``fn`` over ``items`` in worker processes (results in input order; at most ``2 * n_workers`` in flight)."""
    if n_workers <= 1:
        initializer(*initargs)
        yield from map(fn, items)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(n_workers, mp_context=ctx, initializer=initializer, initargs=initargs) as pool:
        window: deque[Future[R]] = deque()
        for item in items:
            window.append(pool.submit(fn, item))
            if len(window) >= 2 * n_workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()


# -- archive rows -------------------------------------------------------------------------------------------------
def init_rows(by_token: dict[str, str], secret: bytes | None, platform: str) -> None:
    _STATE["protection"] = Protection(0, by_token=by_token)
    _STATE["posts"] = None if secret is None else Pseudonymiser(ReleaseKey(secret, ""), platform)


def _entity_list(items: list[str] | None, fn: Callable[[str], str | None]) -> str:
    if not items:
        return "[]"
    return "[" + ", ".join(fn(x) or x for x in items) + "]"


def rewrite_rows(d: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """The per-row tweet columns with protected references replaced (see ``archive``)."""
    p: Protection = _STATE["protection"]
    posts: Pseudonymiser | None = _STATE["posts"]
    scrub = p.scrub
    table = p.by_token

    def ident(x: str | None) -> str | None:
        if x is None:
            return None
        return table.get(id_token_key(x), x)

    def post_id(x: str | None) -> str | None:
        return x if x is None or posts is None else posts.post(x)

    return {
        "tweetid": [post_id(x) for x in d["action_id"]],
        "tweet_text": [scrub(x) for x in d["text"]],
        "in_reply_to_userid": [ident(x) for x in d["reply_user"]],
        "in_reply_to_tweetid": [post_id(x) for x in d["reply_post"]],
        "quoted_tweet_tweetid": [post_id(x) for x in d["quoted_post"]],
        "is_retweet": ["True" if x else "False" for x in d["is_rt"]],
        "retweet_userid": [ident(x) for x in d["rt_user"]],
        "retweet_tweetid": [post_id(x) for x in d["rt_post"]],
        "hashtags": [_entity_list(x, scrub) for x in d["tags"]],
        "urls": [_entity_list(x, scrub) for x in d["urls"]],
        "user_mentions": [_entity_list(x, ident) for x in d["ments"]],
    }


# -- leak search --------------------------------------------------------------------------------------------------
def init_search(values: set[str]) -> None:
    _STATE["values"] = values


def search_chunk(job: tuple[str, str]) -> list[tuple[str, str, str, str]]:
    """(file, form, value, excerpt) for each hit in one chunk of a file."""
    from flockwatch.disclose.leaks import search_text

    name, chunk = job
    return [(name, form, value, excerpt) for form, value, excerpt in search_text(chunk, _STATE["values"])]
