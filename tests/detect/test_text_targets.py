"""Text detectors normalise each distinct raw text once and join the actions back: every action keeps its own row.

``co_text`` and ``co_near_text`` run the normalisation on ``SELECT DISTINCT text`` and join on the raw text; these
tests pin what that join must preserve: one row per qualifying action (repeated texts included), the target of the
action's own normalised text (the Python ``normalise_text``), and nothing for texts too short once normalised.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from flockwatch.core.text import normalise_text
from flockwatch.detect import get

from scenario import COLUMNS, T0, load

LONG = "Stand with Hong Kong, the police must answer for this"
# raw variants of LONG that normalise to the same text (case, punctuation, a URL, a mention, spacing, RT prefix)
VARIANTS = [
    LONG,
    LONG.upper(),
    LONG + "!!!",
    LONG + " https://t.co/abc123",
    "@someone " + LONG,
    LONG.replace(" ", "   "),
    "RT @hk_news: " + LONG,
]
SHORT = ["ok!!", "thanks @friend https://t.co/x", "Same here"]  # under min_text_chars once normalised


def _actions() -> pa.Table:
    rows = []
    texts = [*VARIANTS, *VARIANTS, *SHORT, "A different post entirely, long enough to be kept by both"]
    for i, text in enumerate(texts):
        kind = "repost" if text.startswith("RT @") else ("reply" if i % 5 == 4 else "post")
        rows.append(
            {
                "platform": "twitter",
                "action_id": f"a{i}",
                "account_id": f"u{i % 6}",
                "kind": kind,
                "acted_at": dt.datetime.fromtimestamp(T0 + 10 * i, dt.UTC).replace(tzinfo=None),
                "target_action_id": None,
                "target_account_id": None,
                "text": text,
            }
        )
    return pa.Table.from_pylist(rows).select(COLUMNS)


def test_co_text_gives_every_action_its_own_normalised_text(ws):
    actions = _actions()
    load(ws, {"actions": actions})
    det = get("co_text")
    got = dict(ws.engine.sql(f"SELECT action_id, target FROM ({det.sql()})").rows())
    min_chars = det.default_params["min_text_chars"]
    want = {
        a: normalise_text(t)
        for a, t in zip(actions.column("action_id").to_pylist(), actions.column("text").to_pylist(), strict=True)
        if len(normalise_text(t)) >= min_chars
    }
    assert got == want
    assert len({got[f"a{i}"] for i in range(len(VARIANTS))}) == 1  # the variants are one target


def test_co_near_text_gives_every_post_all_its_bands(ws):
    actions = _actions()
    load(ws, {"actions": actions})
    det = get("co_near_text")
    p = det.default_params
    bands = p["bins"] // p["rows_per_band"]
    rows = ws.engine.sql(f"SELECT action_id, target FROM ({det.sql()})").rows()
    by_action: dict[str, set[str]] = {}
    for action_id, target in rows:
        by_action.setdefault(action_id, set()).add(target)
    kinds = dict(zip(actions.column("action_id").to_pylist(), actions.column("kind").to_pylist(), strict=True))
    texts = dict(zip(actions.column("action_id").to_pylist(), actions.column("text").to_pylist(), strict=True))
    want = {
        a
        for a, k in kinds.items()
        if k in ("post", "reply", "quote") and len(normalise_text(texts[a])) >= p["min_text_chars"]
    }
    assert set(by_action) == want
    assert len(rows) == bands * len(want)  # one row per band and post, repeated texts included
    assert all(len(keys) == bands for keys in by_action.values())
    # posts whose raw texts differ but normalise alike share every band key
    same = [a for a in want if normalise_text(texts[a]) == normalise_text(LONG)]
    assert len(same) >= 4
    assert len({frozenset(by_action[a]) for a in same}) == 1


def _fw_hash64(x: str) -> int:
    """``fw_hash64`` (engine.dialect) in Python: the first 15 hex digits of MD5 of the UTF-8 bytes."""
    import hashlib

    return int(hashlib.md5(x.encode("utf-8")).hexdigest()[:15], 16)


def test_co_near_text_targets_are_the_portable_hash_of_the_band_keys(ws):
    """The band target is ``fw_hash64("<band>:<bin>=<min>,...")`` over the filled bins of the one-permutation
    MinHash of the normalised text, computed here in Python: a value every engine reproduces."""
    actions = _actions()
    load(ws, {"actions": actions})
    det = get("co_near_text")
    p = det.default_params
    k, bins, r = p["shingle_chars"], p["bins"], p["rows_per_band"]
    got: dict[str, set[str]] = {}
    for action_id, target in ws.engine.sql(f"SELECT action_id, target FROM ({det.sql()})").rows():
        got.setdefault(action_id, set()).add(target)
    texts = dict(zip(actions.column("action_id").to_pylist(), actions.column("text").to_pylist(), strict=True))
    assert got
    for action_id, targets in got.items():
        nt = normalise_text(texts[action_id])
        mins: list[int | None] = [None] * bins
        for i in range(len(nt) - k + 1):
            h = _fw_hash64(nt[i : i + k])
            b, m = h % bins, h // bins
            cur = mins[b]
            mins[b] = m if cur is None else min(cur, m)
        want = set()
        for band in range(bins // r):
            filled = [f"{j}={mins[j]}" for j in range(band * r, band * r + r) if mins[j] is not None]
            want.add(str(_fw_hash64(f"{band}:" + ",".join(filled))))
        assert targets == want
