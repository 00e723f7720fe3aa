"""A platform's retweet log in coordination-network-toolkit's CSV format, shaped like real collections.

Consumes ``n_rows`` and a ``seed``; produces an Arrow table with CNT's columns (``message_id, user_id, username,
repost_id, reply_id, message, timestamp, urls``; ``timestamp`` in epoch seconds) that :func:`write_csv` writes as
the file both ``flockwatch ingest`` and ``python -m coordination_network_toolkit DB preprocess --format csv`` read,
and the ids of the planted accounts.

The shape is that of a keyword or sample collection of a platform, the files the co-retweet tools are run on:

* accounts with heavy-tailed activity (Pareto), a minority of the rows original tweets;
* retweets choose a tweet by Zipf popularity, but **cascades are bounded** (``max_cascade`` retweets per tweet;
  the excess goes to tweets drawn uniformly): a collection holds the part of a viral cascade that matched it, not
  hundreds of thousands of retweets of one tweet;
* retweet delays are log-normal (median ``median_delay_s``, hours of tail), so even the largest cascade spreads
  over hours rather than crowding into one minute;
* one planted operation: core accounts tweet, ~60% of the amplifiers retweet within 2–40 seconds, and they retweet
  popular organic tweets at random times as camouflage (``op_share`` of the rows).

:func:`flockwatch.evaluate.zipf.generate` is the harsher load (the most popular posts draw their reposts within
a minute): it is what makes exact co-retweet counting quadratic, which this shape avoids on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from flockwatch.evaluate.zipf import EPOCH0, _zipf_index

CNT_COLUMNS = ("message_id", "user_id", "username", "repost_id", "reply_id", "message", "timestamp", "urls")


@dataclass
class RetweetLog:
    table: pa.Table
    planted: list[str]


def generate(
    n_rows: int,
    seed: int = 11,
    days: int = 14,
    originals_share: float = 0.3,
    zipf_a: float = 1.0,
    max_cascade: int = 5000,
    median_delay_s: float = 3600.0,
    op_share: float = 0.02,
) -> RetweetLog:
    """About ``n_rows`` rows (tweets and retweets) over ``days`` days; see the module docstring."""
    rng = np.random.default_rng(seed)
    span_s = float(days * 86400)
    n_accounts = max(100, n_rows // 25)
    n_op = max(24, int(n_rows * op_share) // 100)
    op_budget = int(n_rows * op_share)
    n_org = max(10, n_rows - op_budget)
    n_orig = max(5, int(n_org * originals_share))
    n_rt = n_org - n_orig
    # -- organic ---------------------------------------------------------------------------------------------------
    activity = rng.pareto(1.5, n_accounts) + 1.0
    p_acc = activity / activity.sum()
    orig_acc = rng.choice(n_accounts, size=n_orig, p=p_acc)
    orig_t = rng.uniform(0.0, span_s, n_orig)
    rank = _zipf_index(rng, n_orig, n_rt, zipf_a)
    target = rng.permutation(n_orig)[rank]
    # bounded cascades: the retweets of a tweet beyond max_cascade go to tweets drawn uniformly
    order = np.argsort(target, kind="stable")
    sorted_t = target[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_t)) + 1]
    pos = np.arange(n_rt) - np.repeat(starts, np.diff(np.r_[starts, n_rt]))
    over = order[pos >= max_cascade]
    target[over] = rng.integers(0, n_orig, len(over))
    rt_acc = rng.choice(n_accounts, size=n_rt, p=p_acc)
    delay = rng.lognormal(np.log(median_delay_s), 1.2, n_rt)
    rt_t = orig_t[target] + 1.0 + delay
    # -- planted operation ---------------------------------------------------------------------------------------
    op_acc = n_accounts + np.arange(n_op)
    n_core = max(4, n_op // 5)
    takers = max(6, int(n_op * 0.6))
    n_events = max(5, op_budget // (2 * takers + 1))
    ev_t = rng.uniform(0.0, span_s, n_events)
    ev_acc = op_acc[rng.integers(0, n_core, n_events)]
    ev_rt_acc = np.concatenate([rng.choice(op_acc, size=takers, replace=False) for _ in range(n_events)])
    ev_rt_target = np.repeat(np.arange(n_events), takers)
    ev_rt_t = ev_t[ev_rt_target] + rng.uniform(2.0, 40.0, len(ev_rt_acc))
    n_camo = max(0, op_budget - n_events - len(ev_rt_acc))
    camo_target = rng.permutation(n_orig)[_zipf_index(rng, n_orig, n_camo, zipf_a)]
    camo_acc = op_acc[rng.integers(0, n_op, n_camo)]
    camo_t = orig_t[camo_target] + 1.0 + rng.lognormal(np.log(median_delay_s), 1.2, n_camo)
    # -- rows: organic tweets, operation tweets (ids follow), then all retweets in time order ---------------------
    n_tweets = n_orig + n_events
    tweet_acc = np.concatenate([orig_acc, ev_acc])
    tweet_t = np.concatenate([orig_t, ev_t])
    rt_target_all = np.concatenate([target, n_orig + ev_rt_target, camo_target])
    rt_acc_all = np.concatenate([rt_acc, ev_rt_acc, camo_acc])
    rt_t_all = np.concatenate([rt_t, ev_rt_t, camo_t])
    n_all = n_tweets + len(rt_t_all)
    acc = np.concatenate([tweet_acc, rt_acc_all])
    t = EPOCH0 + np.concatenate([tweet_t, rt_t_all])
    repost = np.concatenate([np.full(n_tweets, -1), rt_target_all])
    by_time = np.argsort(t, kind="stable")
    message_id = (10**9 + np.arange(n_all)).astype(np.int64)
    tweet_id = message_id[:n_tweets]
    user = np.char.add("u", acc[by_time].astype(str))
    rp = repost[by_time]
    repost_col = np.where(rp >= 0, tweet_id[np.maximum(rp, 0)].astype(str), "")
    words = np.array(["news", "today", "vote", "city", "match", "rain", "music", "#live", "#news", "@u1"])
    is_tweet = rp < 0
    msg = np.full(n_all, "", dtype=object)
    w = words[rng.integers(0, len(words), size=(int(is_tweet.sum()), 4))]
    msg[is_tweet] = [" ".join(r) for r in w]
    table = pa.table(
        {
            "message_id": pa.array(message_id[by_time].astype(str)),
            "user_id": pa.array(user),
            "username": pa.array(user),
            "repost_id": pa.array(repost_col),
            "reply_id": pa.array(np.full(n_all, "", dtype=object).tolist(), pa.string()),
            "message": pa.array(msg.tolist(), pa.string()),
            "timestamp": pa.array(np.char.mod("%.3f", t[by_time])),
            "urls": pa.array(np.full(n_all, "", dtype=object).tolist(), pa.string()),
        }
    )
    return RetweetLog(table, [f"u{a}" for a in op_acc])


def write_csv(log: RetweetLog, path: str | Path) -> Path:
    """Write the log as a CSV with a header row (CNT's preprocess skips it; flockwatch reads columns by name)."""
    import pyarrow.csv as pacsv

    out = Path(path)
    pacsv.write_csv(log.table, out, pacsv.WriteOptions(quoting_style="none"))
    return out
