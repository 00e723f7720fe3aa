"""Benchmark: matching a 10,000-indicator peer tip against a 1M-account workspace (target <= 10 s).

Builds, in memory, a receiving platform of ``--accounts`` accounts (handles, display names, creation times), two
actions per account (texts from templates, a URL on one of 50,000 domains, one of 20,000 hashtags) and one login
observation per account (100,000 prefixes, 5,000 ASNs); then a peer bundle of ``--indicators`` indicators, in the
mix a real tip has: user-accounts (handles, half of them held here, with display names), domains, URLs, hashtags, IP
prefixes, ASNs and text fingerprints (exact and MinHash). Times ``share.intake.match_tip`` (parsing the bundle,
every match, scoring), twice: the first run also builds the workspace's text-fingerprint index, the second finds it.

    .venv/bin/python bench/share_tips.py --accounts 1000000 --indicators 10000

Results: bench/results/share_tips.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from flockwatch.core.fingerprints import encode_minhash, exact_fingerprint, minhash
from flockwatch.share import intake
from flockwatch.workspace import Workspace

HERE = Path(__file__).resolve().parent
TEMPLATES = [
    "The situation in {w} is getting worse every day and nobody in {v} talks about it",
    "Breaking: officials in {w} confirm the new measures for {v} starting next week",
    "I cannot believe what happened in {w} today, thoughts with everyone in {v}",
    "Our team in {w} is hiring engineers who want to work on {v} problems",
]
WORDS = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "po", "ra", "si", "tu", "ve", "zo") for b in range(500)]


def build(ws: Workspace, n: int, seed: int = 11) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    ids = np.array([f"u{i}" for i in range(n)], dtype=object)
    handles = np.array([f"user_{i}_{rng.integers(0, 99)}" for i in range(n)], dtype=object)
    first = np.array(["Anna", "John", "Maria", "Wei", "Ali", "Olga", "Sam", "Lee"], dtype=object)
    names = np.char.add(
        np.char.add(first[rng.integers(0, 8, n)].astype(str), " "), rng.integers(0, 50_000, n).astype(str)
    )
    e = ws.engine
    e.insert_arrow(
        "accounts",
        pa.table(
            {
                "platform": pa.array(["vk"] * n),
                "account_id": pa.array(ids, pa.string()),
                "screen_name": pa.array(handles, pa.string()),
                "display_name": pa.array(names, pa.string()),
            }
        ),
        columns=["platform", "account_id", "screen_name", "display_name"],
    )
    e.sql("INSERT INTO account_handles SELECT platform, account_id, screen_name, NULL, NULL FROM accounts")
    m = 2 * n
    acc = rng.integers(0, n, m)
    # a quarter of the posts fill a stock template (the hot MinHash bins the matcher leaves out), the rest are
    # twelve words drawn from a 5,000-word vocabulary
    tmpl = rng.integers(0, len(TEMPLATES), m)
    w1, w2 = rng.integers(0, len(WORDS), m), rng.integers(0, len(WORDS), m)
    words = rng.integers(0, len(WORDS), (m, 12))
    texts = [
        TEMPLATES[tmpl[i]].format(w=WORDS[w1[i]], v=WORDS[w2[i]])
        if i % 4 == 0
        else " ".join(WORDS[j] for j in words[i])
        for i in range(m)
    ]
    action_ids = [f"a{i}" for i in range(m)]
    e.insert_arrow(
        "actions",
        pa.table(
            {
                "platform": pa.array(["vk"] * m),
                "action_id": pa.array(action_ids),
                "account_id": pa.array(ids[acc], pa.string()),
                "kind": pa.array(["post"] * m),
                "text": pa.array(texts),
            }
        ),
        columns=["platform", "action_id", "account_id", "kind", "text"],
    )
    dom = rng.integers(0, 50_000, m)
    e.insert_arrow(
        "action_urls",
        pa.table(
            {
                "platform": pa.array(["vk"] * m),
                "action_id": pa.array(action_ids),
                "url": pa.array([f"https://site{d}.example/p/{i % 97}" for i, d in enumerate(dom)]),
                "domain": pa.array([f"site{d}.example" for d in dom]),
            }
        ),
    )
    e.insert_arrow(
        "action_hashtags",
        pa.table(
            {
                "platform": pa.array(["vk"] * m),
                "action_id": pa.array(action_ids),
                "hashtag": pa.array([f"tag{t}" for t in rng.integers(0, 20_000, m)]),
            }
        ),
    )
    pre = rng.integers(0, 100_000, n)
    e.insert_arrow(
        "infrastructure",
        pa.table(
            {
                "platform": pa.array(["vk"] * n),
                "account_id": pa.array(ids, pa.string()),
                "ip_prefix": pa.array([f"10.{p // 256 % 256}.{p % 256}.0/24" for p in pre]),
                "asn": pa.array((64512 + pre % 5000).astype(np.int64)),
            }
        ),
        columns=["platform", "account_id", "ip_prefix", "asn"],
    )
    return {"build_s": time.perf_counter() - t0, "accounts": n, "actions": m, "texts": m}


def tip(ws: Workspace, n_indicators: int, seed: int = 5) -> dict:
    """A bundle of ``n_indicators`` indicators (dicts in STIX 2.1 shape)."""
    rng = np.random.default_rng(seed)
    amber = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
    objs: list[dict] = [
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": amber,
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": "TLP:AMBER",
            "definition": {"tlp": "amber"},
        },
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": "identity--00000000-0000-4000-8000-000000000001",
            "created": "2026-01-01T00:00:00.000Z",
            "modified": "2026-01-01T00:00:00.000Z",
            "name": "Peer",
            "identity_class": "organization",
        },
    ]
    known = ws.engine.sql("SELECT screen_name, display_name FROM accounts USING SAMPLE 2000 ROWS (reservoir, 3)").rows()
    texts = [r[0] for r in ws.engine.sql("SELECT text FROM actions USING SAMPLE 250 ROWS (reservoir, 4)").rows()]
    n_acc = int(n_indicators * 0.4)
    k = 0
    for i in range(n_acc):
        if i < len(known):
            login, name = known[i]
        else:
            login, name = f"elsewhere_{i}", f"Someone {i}"
        obj = {
            "type": "user-account",
            "spec_version": "2.1",
            "id": f"user-account--{k:08d}-0000-4000-8000-000000000000",
            "account_login": login,
            "object_marking_refs": [amber],
        }
        if i % 4 == 0:
            obj["display_name"] = name
        objs.append(obj)
        k += 1

    def ind(pattern: str) -> None:
        nonlocal k
        objs.append(
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": f"indicator--{k:08d}-0000-4000-8000-000000000000",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "pattern": pattern,
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
                "object_marking_refs": [amber],
            }
        )
        k += 1

    rest = n_indicators - n_acc
    mix = {"domain": 0.3, "url": 0.2, "hashtag": 0.2, "ip": 0.1, "asn": 0.1, "text": 0.1}
    for _ in range(int(rest * mix["domain"])):
        ind(f"[domain-name:value = 'site{rng.integers(0, 100_000)}.example']")
    for _ in range(int(rest * mix["url"])):
        ind(f"[url:value = 'https://site{rng.integers(0, 100_000)}.example/p/{rng.integers(0, 97)}']")
    for _ in range(int(rest * mix["hashtag"])):
        ind(f"[x-flockwatch-hashtag:value = 'tag{rng.integers(0, 40_000)}']")
    for _ in range(int(rest * mix["ip"])):
        p = rng.integers(0, 200_000)
        ind(f"[ipv4-addr:value = '10.{p // 256 % 256}.{p % 256}.0/24']")
    for _ in range(int(rest * mix["asn"])):
        ind(f"[autonomous-system:number = {64512 + rng.integers(0, 10_000)}]")
    n_text = n_indicators - (len(objs) - 2)
    for i in range(n_text):
        t = texts[i % len(texts)] + ("" if i < len(texts) else f" variant {i}")
        fp, sig = exact_fingerprint(t), minhash(t)
        ind(
            f"[x-flockwatch-text-fingerprint:normalised_sha256 = '{fp}' OR x-flockwatch-text-fingerprint:minhash = '{encode_minhash(sig)}']"
        )
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000009", "objects": objs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--indicators", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "share_tips.json")
    args = ap.parse_args()
    ws = Workspace.memory()
    info = build(ws, args.accounts)
    print(f"built {args.accounts:,} accounts in {info['build_s']:.1f} s", flush=True)
    bundle = tip(ws, args.indicators)
    runs = []
    for label in ("first (builds the text index)", "second"):
        t0 = time.perf_counter()
        result = intake.match_tip(ws, bundle, trust=0.7)
        s = time.perf_counter() - t0
        bands = {b: sum(1 for m in result.matches if m.confidence == b) for b in ("high", "medium", "low")}
        runs.append(
            {
                "run": label,
                "seconds": round(s, 2),
                "indicators": len(result.indicators),
                "matches": len(result.matches),
                **bands,
            }
        )
    ws.close()
    print(f"workspace: {info['accounts']:,} accounts, {info['actions']:,} actions (built in {info['build_s']:.1f} s)")
    print(f"{'run':<32} {'seconds':>8} {'indicators':>11} {'matches':>8} {'high':>5} {'medium':>7} {'low':>6}")
    for r in runs:
        print(
            f"{r['run']:<32} {r['seconds']:>8.2f} {r['indicators']:>11,} {r['matches']:>8,} {r['high']:>5} {r['medium']:>7} {r['low']:>6}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "workspace": info,
                "tip_objects": len(bundle["objects"]),
                "runs": runs,
                "load_avg": os.getloadavg(),
                "cpus": os.cpu_count(),
            },
            indent=1,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
