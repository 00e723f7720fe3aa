"""Text detectors normalise each distinct raw text once and join the actions back: every action keeps its own row.

``co_text`` and ``co_near_text`` run the normalisation on ``SELECT DISTINCT text`` and join on the raw text; these
tests pin what that join must preserve: one row per qualifying action (repeated texts included), the target of the
action's own normalised text (the Python ``normalise_text``), and nothing for texts too short once normalised.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from flockwatch.core.text import normalise_text
from flockwatch.detect import get, kernel

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
    got: dict[str, set[str]] = {}
    for action_id, target in ws.engine.sql(f"SELECT action_id, target FROM ({det.sql()})").rows():
        got.setdefault(action_id, set()).add(target)
    texts = dict(zip(actions.column("action_id").to_pylist(), actions.column("text").to_pylist(), strict=True))
    assert got
    for action_id, targets in got.items():
        assert targets == set(_band_targets(texts[action_id], p))


def _band_targets(text: str, p) -> list[str]:
    """The band targets of ``text`` in band order: one-permutation MinHash of its normalised text's shingles, banded,
    each band key hashed with ``fw_hash64`` (the detector's SQL, in Python)."""
    k, bins, r = p["shingle_chars"], p["bins"], p["rows_per_band"]
    nt = normalise_text(text)
    mins: list[int | None] = [None] * bins
    for i in range(len(nt) - k + 1):
        h = _fw_hash64(nt[i : i + k])
        b, m = h % bins, h // bins
        cur = mins[b]
        mins[b] = m if cur is None else min(cur, m)
    out = []
    for band in range(bins // r):
        filled = [f"{j}={mins[j]}" for j in range(band * r, band * r + r) if mins[j] is not None]
        out.append(str(_fw_hash64(f"{band}:" + ",".join(filled))))
    return out


def _variant_sharing_only_later_bands(p) -> tuple[str, list[int]]:
    """A one-letter edit of ``LONG`` whose first band differs from ``LONG``'s but that shares a later one; returns
    the variant and the bands the two texts share."""
    base = _band_targets(LONG, p)
    for pos in range(len(LONG)):
        for letter in "xqz":
            text = LONG[:pos] + letter + LONG[pos + 1 :]
            bands = _band_targets(text, p)
            shared = [j for j, (x, y) in enumerate(zip(base, bands, strict=True)) if x == y]
            if shared and shared[0] > 0:
                return text, shared
    raise AssertionError("no one-letter variant of LONG shares only later bands")


def _near_text_co_actions(ws, first_shared_slot: bool) -> list[tuple[str, str, str]]:
    """co_near_text's co-actions through the kernel (no hot-cell rule): ``(action, action, band target)``."""
    det = get("co_near_text")
    window_s = det.default_params["window_s"]
    with ws.engine.scratch("test") as s:
        kernel.build_rows(ws.engine, det.sql(), window_s, 0, s, first_shared_slot)
        kernel.build_pairs(ws.engine, window_s, 0, s, first_shared_slot)
        rows = ws.engine.sql(
            f"SELECT least(l.action_id, r.action_id), greatest(l.action_id, r.action_id), tg.target FROM {s.pairs} p "
            f"JOIN {s.rows} l ON l.rid = p.rid_l JOIN {s.rows} r ON r.rid = p.rid_r JOIN {s.targets} tg ON tg.th = l.th"
        ).rows()
    return sorted(rows)


def test_co_near_text_counts_a_post_pair_once_on_its_first_shared_band(ws):
    """Two posts of one text share all 8 bands and co-act once (band 0); a one-letter edit that shares only later
    bands still co-acts, once, on the first band it shares. Without the rule they co-acted once per shared band."""
    p = get("co_near_text").default_params
    variant, shared = _variant_sharing_only_later_bands(p)
    rows = [
        {"action_id": aid, "account_id": acc, "text": text, "t": T0 + dt_s}
        for aid, acc, text, dt_s in (("p0", "u0", LONG, 0), ("p1", "u1", LONG, 20), ("p2", "u2", variant, 40))
    ]
    actions = pa.Table.from_pylist(
        [
            {
                "platform": "twitter",
                "action_id": r["action_id"],
                "account_id": r["account_id"],
                "kind": "post",
                "acted_at": dt.datetime.fromtimestamp(r["t"], dt.UTC).replace(tzinfo=None),
                "target_action_id": None,
                "target_account_id": None,
                "text": r["text"],
            }
            for r in rows
        ]
    ).select(COLUMNS)
    load(ws, {"actions": actions})
    base = _band_targets(LONG, p)
    bands = p["bins"] // p["rows_per_band"]
    assert sorted(_near_text_co_actions(ws, first_shared_slot=False)) == sorted(
        [("p0", "p1", t) for t in base] + [(a, "p2", base[j]) for a in ("p0", "p1") for j in shared]
    )
    assert len(base) == bands
    assert _near_text_co_actions(ws, first_shared_slot=True) == [
        ("p0", "p1", base[0]),
        ("p0", "p2", base[shared[0]]),
        ("p1", "p2", base[shared[0]]),
    ]
