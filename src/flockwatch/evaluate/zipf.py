"""A fast synthetic platform with Zipf popularity and one planted operation, for benchmarks and tests.

Consumes ``n_actions`` and a ``seed``; produces Arrow tables in the canonical schema (``accounts``, ``actions``,
``action_hashtags``, ``action_urls``, ``action_mentions``) plus a ground-truth table (``account_id, operation_id,
role, is_fresh, created_at, tactics``; organic accounts absent) — see :func:`generate` and :func:`load_into`.

It is the load the peers break on: organic accounts with heavy-tailed activity repost posts whose popularity is
Zipf-distributed (a few viral posts draw thousands of reposts within minutes, so coincidental co-reposts abound),
use Zipf-popular hashtags, links and mentions, and write in English-like or Chinese text. The planted operation
(core accounts seed posts, amplifiers repost them within seconds, everyone posts near-duplicate variants of a
template with the campaign's hashtags and link) makes a few percent of the actions. The full simulator lives in
``flockwatch.simulate``; this generator is vectorised NumPy so that 100M rows are feasible for benchmarks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from flockwatch.workspace import Workspace

EPOCH0 = int(dt.datetime(2019, 8, 1).timestamp())
CJK = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3000)])


@dataclass
class SyntheticData:
    accounts: pa.Table
    actions: pa.Table
    action_hashtags: pa.Table
    action_urls: pa.Table
    action_mentions: pa.Table
    truth: pa.Table


def _zipf_index(rng: np.random.Generator, n_items: int, size: int, a: float) -> np.ndarray:
    """Indices in [0, n_items) with P(i) ~ 1/(i+1)^a (inverse-CDF sampling; no rejection loops)."""
    w = 1.0 / np.arange(1, n_items + 1, dtype=np.float64) ** a
    cdf = np.cumsum(w)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size)), n_items - 1)


def _words(rng: np.random.Generator, n: int) -> np.ndarray:
    syll = np.array(
        [
            "ka",
            "lo",
            "mi",
            "ren",
            "to",
            "sa",
            "ve",
            "nor",
            "di",
            "pu",
            "zen",
            "ga",
            "li",
            "ro",
            "he",
            "by",
            "an",
            "te",
            "mo",
            "us",
        ]
    )
    idx = rng.integers(0, len(syll), size=(n, 3))
    return np.array(["".join(syll[r]) for r in idx])


def _texts(rng, vocab: np.ndarray, n: int, n_words: int, chinese: np.ndarray) -> list[str]:
    w = vocab[_zipf_index(rng, len(vocab), n * n_words, 0.9).reshape(n, n_words)]
    c = CJK[rng.integers(0, len(CJK), size=(n, n_words * 2))]
    return ["".join(c[i]) if chinese[i] else " ".join(w[i]) for i in range(n)]


def generate(
    n_actions: int, seed: int = 7, op_share: float = 0.04, days: int = 30, texts: bool = True
) -> SyntheticData:
    """Generate about ``n_actions`` actions; ``op_share`` of them belong to the planted operation."""
    rng = np.random.default_rng(seed)
    span_s = days * 86400
    n_org_actions = int(n_actions * (1 - op_share))
    n_accounts = max(50, n_actions // 40)
    n_op = max(24, int(n_actions * op_share) // 150)
    # -- organic -----------------------------------------------------------------------------------------------
    activity = rng.pareto(1.3, n_accounts) + 1.0
    acc_of = rng.choice(n_accounts, size=n_org_actions, p=activity / activity.sum())
    kind = rng.choice(np.array(["post", "repost", "reply", "quote"]), size=n_org_actions, p=[0.38, 0.47, 0.1, 0.05])
    t = rng.integers(0, span_s, size=n_org_actions).astype(np.float64)
    is_post = kind == "post"
    post_idx = np.flatnonzero(is_post)
    n_posts = len(post_idx)
    # reposts/replies/quotes pick a post by Zipf popularity and follow it by an exponential delay
    follow = np.flatnonzero(~is_post)
    target_rank = _zipf_index(rng, n_posts, len(follow), 1.05)
    popularity_order = rng.permutation(n_posts)
    target_post = post_idx[popularity_order[target_rank]]
    # the most popular posts draw their reposts within minutes: coincidental co-reposts of viral posts
    delay = rng.exponential(1800.0, len(follow)) * np.where(target_rank < 200, 0.03, 1.0)
    t[follow] = np.minimum(t[target_post] + 1 + delay, span_s + 86400)
    action_ids = np.char.add("o", np.arange(n_org_actions).astype(str))
    target_action = np.full(n_org_actions, None, dtype=object)
    target_action[follow] = action_ids[target_post]
    org_account_ids = np.char.add("u", np.arange(n_accounts).astype(str))
    account = org_account_ids[acc_of]
    target_account = np.full(n_org_actions, None, dtype=object)
    target_account[follow] = account[target_post]
    chinese_acc = rng.random(n_accounts) < 0.3
    text = np.full(n_org_actions, None, dtype=object)
    vocab = _words(rng, 20000)
    if texts:
        writers = np.flatnonzero(kind != "repost")
        text[writers] = _texts(rng, vocab, len(writers), 12, chinese_acc[acc_of[writers]])
    # entities
    tags_vocab = np.char.add("tag", np.arange(5000).astype(str))
    n_domains = 500
    tagged = np.flatnonzero((kind != "repost") & (rng.random(n_org_actions) < 0.3))
    tag_ids = tags_vocab[_zipf_index(rng, len(tags_vocab), len(tagged), 1.0)]
    linked = np.flatnonzero((kind != "repost") & (rng.random(n_org_actions) < 0.15))
    url_rank = _zipf_index(rng, 50000, len(linked), 1.0)
    mention_rows = np.flatnonzero((kind != "repost") & (rng.random(n_org_actions) < 0.1))
    mentioned = org_account_ids[_zipf_index(rng, n_accounts, len(mention_rows), 1.0)]

    # -- planted operation ---------------------------------------------------------------------------------------
    op_ids = np.char.add("op", np.arange(n_op).astype(str))
    n_core = max(6, n_op // 4)
    budget = int(n_actions * op_share)
    per_event = max(8, int(n_op * 0.6)) * 2 + 1
    n_events = max(10, budget // per_event)
    ev_t = np.sort(rng.integers(0, span_s, size=n_events)).astype(np.float64)
    op_vocab = _words(rng, 3000)
    campaign_tags = np.char.add("op_tag", np.arange(12).astype(str))
    rows: dict[str, list] = {
        k: [] for k in ("action_id", "account_id", "kind", "t", "target_action_id", "target_account_id", "text")
    }
    op_tags: list[tuple[str, str]] = []
    op_urls: list[tuple[str, str, str]] = []
    chinese_event = rng.random(n_events) < 0.5
    aid = 0
    for e in range(n_events):
        seeder = op_ids[rng.integers(0, n_core)]
        seed_id = f"x{aid}"
        aid += 1
        if chinese_event[e]:
            template = list(CJK[rng.integers(0, len(CJK), 30)])
        else:
            template = list(op_vocab[rng.integers(0, len(op_vocab), 16)])
        sep = "" if chinese_event[e] else " "
        rows["action_id"].append(seed_id)
        rows["account_id"].append(seeder)
        rows["kind"].append("post")
        rows["t"].append(ev_t[e])
        rows["target_action_id"].append(None)
        rows["target_account_id"].append(None)
        rows["text"].append(sep.join(template) if texts else None)
        tags = rng.choice(campaign_tags, size=2, replace=False)
        url = f"https://news{e % 7}.example-op.com/story/{e}"
        for tg in tags:
            op_tags.append((seed_id, tg))
        op_urls.append((seed_id, url, f"news{e % 7}.example-op.com"))
        takers = rng.choice(op_ids, size=max(8, int(n_op * 0.6)), replace=False)
        for acc_id in takers:
            if acc_id == seeder:
                continue
            rid = f"x{aid}"
            aid += 1
            rows["action_id"].append(rid)
            rows["account_id"].append(acc_id)
            rows["kind"].append("repost")
            rows["t"].append(ev_t[e] + rng.uniform(2, 40))
            rows["target_action_id"].append(seed_id)
            rows["target_account_id"].append(seeder)
            rows["text"].append(None)
            pid = f"x{aid}"
            aid += 1
            variant = list(template)
            for pos in rng.integers(0, len(variant), 2):
                variant[pos] = (
                    CJK[rng.integers(0, len(CJK))] if chinese_event[e] else op_vocab[rng.integers(0, len(op_vocab))]
                )
            rows["action_id"].append(pid)
            rows["account_id"].append(acc_id)
            rows["kind"].append("post")
            rows["t"].append(ev_t[e] + rng.uniform(30, 240))
            rows["target_action_id"].append(None)
            rows["target_account_id"].append(None)
            rows["text"].append(sep.join(variant) if texts else None)
            for tg in tags:
                op_tags.append((pid, tg))
            if rng.random() < 0.5:
                op_urls.append((pid, url + "?utm_source=" + acc_id, f"news{e % 7}.example-op.com"))
    # camouflage: operation accounts also repost popular organic posts at random times
    n_camo = max(0, budget - len(rows["action_id"])) // 2
    if n_camo:
        camo_target = post_idx[popularity_order[_zipf_index(rng, n_posts, n_camo, 1.05)]]
        camo_acc = op_ids[rng.integers(0, n_op, n_camo)]
        for i in range(n_camo):
            rows["action_id"].append(f"x{aid}")
            aid += 1
            rows["account_id"].append(camo_acc[i])
            rows["kind"].append("repost")
            rows["t"].append(t[camo_target[i]] + rng.exponential(3600.0))
            rows["target_action_id"].append(action_ids[camo_target[i]])
            rows["target_account_id"].append(account[camo_target[i]])
            rows["text"].append(None)

    def ts(seconds: np.ndarray) -> pa.Array:
        us = (EPOCH0 + np.asarray(seconds, dtype=np.float64)) * 1e6
        return pa.array(us.astype(np.int64), pa.timestamp("us"))

    all_t = np.concatenate([t, np.array(rows["t"], dtype=np.float64)])
    actions = pa.table(
        {
            "platform": pa.array(["twitter"] * (n_org_actions + len(rows["action_id"]))),
            "action_id": pa.array(np.concatenate([action_ids, np.array(rows["action_id"], dtype=object)]).tolist()),
            "account_id": pa.array(np.concatenate([account, np.array(rows["account_id"], dtype=object)]).tolist()),
            "kind": pa.array(np.concatenate([kind, np.array(rows["kind"], dtype=object)]).tolist()),
            "acted_at": ts(all_t),
            "target_action_id": pa.array(
                np.concatenate([target_action, np.array(rows["target_action_id"], dtype=object)]).tolist(), pa.string()
            ),
            "target_account_id": pa.array(
                np.concatenate([target_account, np.array(rows["target_account_id"], dtype=object)]).tolist(),
                pa.string(),
            ),
            "text": pa.array(np.concatenate([text, np.array(rows["text"], dtype=object)]).tolist(), pa.string()),
        }
    )
    ht_ids = np.concatenate([action_ids[tagged], np.array([a for a, _ in op_tags], dtype=object)])
    ht_tags = np.concatenate([tag_ids, np.array([g for _, g in op_tags], dtype=object)])
    action_hashtags = pa.table(
        {"platform": pa.array(["twitter"] * len(ht_ids)), "action_id": ht_ids.tolist(), "hashtag": ht_tags.tolist()}
    )
    dom = np.char.add(np.char.add("site", (url_rank % n_domains).astype(str)), ".example.org")
    org_urls = np.char.add(np.char.add(np.char.add("https://", dom), "/a/"), url_rank.astype(str))
    action_urls = pa.table(
        {
            "platform": pa.array(["twitter"] * (len(linked) + len(op_urls))),
            "action_id": np.concatenate([action_ids[linked], np.array([u[0] for u in op_urls], dtype=object)]).tolist(),
            "url": np.concatenate([org_urls, np.array([u[1] for u in op_urls], dtype=object)]).tolist(),
            "domain": np.concatenate([dom, np.array([u[2] for u in op_urls], dtype=object)]).tolist(),
        }
    )
    action_mentions = pa.table(
        {
            "platform": pa.array(["twitter"] * len(mention_rows)),
            "action_id": action_ids[mention_rows].tolist(),
            "mentioned_account_id": mentioned.tolist(),
        }
    )
    all_accounts = np.concatenate([org_account_ids, op_ids])
    created = ts(rng.integers(-3 * 365 * 86400, -86400, len(all_accounts)))
    accounts = pa.table(
        {
            "platform": pa.array(["twitter"] * len(all_accounts)),
            "account_id": all_accounts.tolist(),
            "screen_name": all_accounts.tolist(),
            "created_at": created,
        }
    )
    roles = np.where(np.arange(n_op) < n_core, "core", "amplifier")
    truth = pa.table(
        {
            "account_id": op_ids.tolist(),
            "operation_id": ["op1"] * n_op,
            "role": roles.tolist(),
            "is_fresh": [False] * n_op,
            "created_at": created.slice(n_accounts),
            "tactics": ["fast_repost;near_duplicate_text;hashtag_campaign;link"] * n_op,
        }
    )
    return SyntheticData(accounts, actions, action_hashtags, action_urls, action_mentions, truth)


def load_into(ws: Workspace, data: SyntheticData) -> int:
    """Insert the canonical tables of ``data`` into the workspace's warehouse; returns the number of actions."""
    for name in ("accounts", "actions", "action_hashtags", "action_urls", "action_mentions"):
        ws.engine.insert_arrow(name, getattr(data, name))
    return data.actions.num_rows
