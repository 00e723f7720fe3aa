"""Hand-made timelines (helpers shared by the expansion tests) for expansion and watch tests: a few seeds, one planted amplifier, an organic crowd."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

T0 = dt.datetime(2019, 8, 12, 2, 0, 0)

ACTION_COLS = (
    "platform",
    "action_id",
    "account_id",
    "kind",
    "acted_at",
    "target_action_id",
    "target_account_id",
    "text",
    "language",
    "client",
)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def insert_actions(ws, rows: list[dict]) -> None:
    table = pa.table(
        {
            c: pa.array(
                [r.get(c, "twitter" if c == "platform" else None) for r in rows],
                pa.timestamp("us") if c == "acted_at" else pa.string(),
            )
            for c in ACTION_COLS
        }
    )
    ws.engine.insert_arrow("actions", table)


def insert_accounts(ws, rows: list[dict]) -> None:
    cols = ("platform", "account_id", "screen_name", "created_at")
    table = pa.table(
        {
            c: pa.array(
                [r.get(c, "twitter" if c == "platform" else None) for r in rows],
                pa.timestamp("us") if c == "created_at" else pa.string(),
            )
            for c in cols
        }
    )
    ws.engine.insert_arrow("accounts", table)


def insert_entities(ws, table: str, col: str, rows: list[tuple[str, str]]) -> None:
    t = pa.table(
        {
            "platform": pa.array(["twitter"] * len(rows), pa.string()),
            "action_id": pa.array([r[0] for r in rows], pa.string()),
            col: pa.array([r[1] for r in rows], pa.string()),
        }
    )
    ws.engine.insert_arrow(table, t)


def insert_infra(ws, rows: list[tuple[str, str, int, str, bool]]) -> None:
    t = pa.table(
        {
            "platform": pa.array(["twitter"] * len(rows)),
            "account_id": pa.array([r[0] for r in rows]),
            "seen_at": pa.array([T0] * len(rows), pa.timestamp("us")),
            "ip_prefix": pa.array([r[1] for r in rows]),
            "asn": pa.array([r[2] for r in rows], pa.int64()),
            "country": pa.array([r[3] for r in rows]),
            "via_vpn": pa.array([r[4] for r in rows], pa.bool_()),
        }
    )
    ws.engine.insert_arrow("infrastructure", t)


def build_scenario(ws, amp_delay_min: float = 2.0, with_amp: bool = True) -> dict:
    """Seeds s1..s4 post 10 narrative posts each; ``amp`` reposts 8 of them ``amp_delay_min`` later; 60 organic
    accounts post and repost a popular organic post; everybody (seeds included) uses the hot hashtag #news."""
    acts: list[dict] = []
    tags: list[tuple[str, str]] = []
    seeds = [f"s{i}" for i in range(1, 5)]
    for si, s in enumerate(seeds):
        for k in range(10):
            aid = f"{s}_p{k}"
            acts.append(
                {
                    "action_id": aid,
                    "account_id": s,
                    "kind": "post",
                    "acted_at": at(si * 7 + k * 97),
                    "text": f"narrative {k}: the protests are organised from abroad, seed {s}",
                }
            )
            tags.append((aid, "news"))
    if with_amp:
        for k in range(8):
            src = f"s{1 + k % 4}_p{k}"
            si = k % 4
            acts.append(
                {
                    "action_id": f"amp_r{k}",
                    "account_id": "amp",
                    "kind": "repost",
                    "acted_at": at(si * 7 + k * 97 + amp_delay_min),
                    "target_action_id": src,
                    "target_account_id": f"s{1 + si}",
                    "text": "RT",
                }
            )
    for o in range(60):
        acc = f"o{o}"
        for k in range(6):
            aid = f"{acc}_p{k}"
            acts.append(
                {
                    "action_id": aid,
                    "account_id": acc,
                    "kind": "post",
                    "acted_at": at(13 * o + 211 * k),
                    "text": f"my own day {o} {k} was long and sunny",
                }
            )
            tags.append((aid, "news"))
        acts.append(
            {
                "action_id": f"{acc}_r",
                "account_id": acc,
                "kind": "repost",
                "acted_at": at(5 + 3 * o),
                "target_action_id": "o0_p0",
                "target_account_id": "o0",
                "text": "RT",
            }
        )
    insert_actions(ws, acts)
    insert_entities(ws, "action_hashtags", "hashtag", tags)
    return {"seeds": seeds, "organic": [f"o{o}" for o in range(60)]}
