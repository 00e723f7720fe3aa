"""Hand-made co-action scenarios, rendered into canonical tables in each detector's own modality.

A scenario is a list of events ``(account_id, target_key, t_s)``: "this account acted on this shared thing at this
second". ``render(detector, events)`` turns them into the rows through which that detector sees a shared target
(a repost of a post, a text, a URL, a hashtag, a reply, a mention, a fast repost, a post in a time slot).
"""

from __future__ import annotations

import random

import pyarrow as pa

T0 = 1_565_000_000  # 2019-08-05

COLUMNS = ["platform", "action_id", "account_id", "kind", "acted_at", "target_action_id", "target_account_id", "text"]


def standard_events(
    seed: int = 1,
    n_background: int = 300,
    n_targets: int = 3000,
    viral_accounts: int = 150,
    group: int = 5,
    episodes: int = 8,
) -> list[tuple[str, str, float]]:
    """Background noise, a viral target with many coincidental co-actors, and one coordinated group."""
    rng = random.Random(seed)
    events = []
    for i in range(n_background):
        for _ in range(10):
            events.append((f"bg{i}", f"t{rng.randrange(n_targets)}", T0 + rng.uniform(0, 10 * 86400)))
    # a viral target: many organic accounts act on it within two minutes, each once
    for i in range(viral_accounts):
        events.append((f"bg{i}", "viral", T0 + 5 * 86400 + rng.uniform(0, 120)))
    # the coordinated group: the same rare targets, within seconds of each other, on separate days
    for e in range(episodes):
        t = T0 + e * 86400 + 3600 + rng.uniform(0, 600)
        for g in range(group):
            events.append((f"co{g}", f"rare{e}", t + rng.uniform(0, 8)))
    return events


def _ts(t: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None)


def _near_text(key: str, account: str) -> str:
    rng = random.Random(key)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 8))) for _ in range(14)]
    # each account changes one word: near-duplicates, not identical
    words[random.Random(account + key).randrange(len(words))] = account
    return " ".join(words)


def render(detector: str, events: list[tuple[str, str, float]]) -> dict[str, pa.Table]:
    """Canonical tables in which ``detector`` sees exactly the shared targets of ``events``."""
    actions: list[dict] = []
    hashtags: list[tuple[str, str]] = []
    urls: list[tuple[str, str, str]] = []
    mentions: list[tuple[str, str]] = []
    originals: dict[str, float] = {}
    if detector == "fast_repost":
        for _, key, t in events:
            originals[key] = min(originals.get(key, t), t)
        for key, t in originals.items():
            actions.append(
                dict(
                    action_id=f"orig-{key}",
                    account_id=f"author-{key}",
                    kind="post",
                    acted_at=_ts(t - 3),
                    text=None,
                    target_action_id=None,
                )
            )
    for i, (acc, key, t) in enumerate(events):
        aid = f"a{i}"
        row = dict(action_id=aid, account_id=acc, kind="post", acted_at=_ts(t), text=None, target_action_id=None)
        if detector == "co_repost":
            row.update(kind="repost", target_action_id=f"post-{key}")
        elif detector == "fast_repost":
            row.update(kind="repost", target_action_id=f"orig-{key}")
        elif detector == "co_reply":
            row.update(kind="reply", target_action_id=f"post-{key}", text="a reply")
        elif detector == "co_text":
            row.update(text=f"RT @someone: The shared message number {key}!! https://t.co/{i}")
        elif detector == "co_near_text":
            row.update(text=_near_text(key, acc))
        elif detector == "co_link":
            urls.append((aid, f"https://www.site.example/story/{key}?utm_source={acc}", "www.site.example"))
        elif detector == "co_domain":
            urls.append((aid, f"https://{key}.example/x/{i}", f"{key}.example"))
        elif detector in ("co_hashtag", "co_theme", "theme_profile"):
            hashtags.append((aid, f"tag{key}"))
        elif detector == "co_mention":
            mentions.append((aid, f"user-{key}"))
        elif detector == "sync_post":
            pass  # the target is the time slot itself; see sync_events()
        else:
            raise KeyError(detector)
        actions.append(row)
    n = len(actions)
    tables = {
        "actions": pa.table(
            {
                "platform": ["twitter"] * n,
                "action_id": [a["action_id"] for a in actions],
                "account_id": [a["account_id"] for a in actions],
                "kind": [a["kind"] for a in actions],
                "acted_at": pa.array([a["acted_at"] for a in actions], pa.timestamp("us")),
                "target_action_id": pa.array([a["target_action_id"] for a in actions], pa.string()),
                "text": pa.array([a["text"] for a in actions], pa.string()),
            }
        ),
        "action_hashtags": pa.table(
            {
                "platform": ["twitter"] * len(hashtags),
                "action_id": [h[0] for h in hashtags],
                "hashtag": [h[1] for h in hashtags],
            }
        ),
        "action_urls": pa.table(
            {
                "platform": ["twitter"] * len(urls),
                "action_id": [u[0] for u in urls],
                "url": [u[1] for u in urls],
                "domain": [u[2] for u in urls],
            }
        ),
        "action_mentions": pa.table(
            {
                "platform": ["twitter"] * len(mentions),
                "action_id": [m[0] for m in mentions],
                "mentioned_account_id": [m[1] for m in mentions],
            }
        ),
    }
    return tables


def sync_events(seed: int = 1) -> list[tuple[str, str, float]]:
    """For ``sync_post``: background posting at random seconds, one very busy second, and a group that posts in
    the same second on many occasions."""
    rng = random.Random(seed)
    events = []
    for i in range(300):
        for _ in range(10):
            events.append((f"bg{i}", "-", T0 + rng.uniform(0, 10 * 86400)))
    busy = T0 + 5 * 86400 + 0.2
    for i in range(150):
        events.append((f"bg{i}", "-", busy + rng.uniform(0, 0.5)))
    for e in range(10):
        t = T0 + e * 86400 + 3600 + rng.uniform(0, 600)
        for g in range(5):
            events.append((f"co{g}", "-", t + rng.uniform(0, 0.3)))
    return events


def load(ws, tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        if table.num_rows:
            ws.engine.insert_arrow(name, table)
