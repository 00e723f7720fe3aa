"""Compare candidate networks with an external account labelling (e.g. Linvill & Warren's IRA categories).

Consumes a workspace with built networks and ``{account_id: category}``; produces the adjusted Rand index (Hubert &
Arabie 1985) between categories and network membership over the labelled accounts (accounts in no flagged network
form one "no network" cluster), and a confusion table category x network (the largest networks, the rest pooled).
There is no target value: it says how far coordination, as detected, follows the analysts' functional categories.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from math import comb
from pathlib import Path
from typing import Any

from flockwatch.core import runs
from flockwatch.errors import InputFileError
from flockwatch.workspace import Workspace

NO_NETWORK = "(none)"


def adjusted_rand_index(a: list[str], b: list[str]) -> float:
    """ARI of two labellings of the same items (1 = identical partitions, ~0 = chance)."""
    if len(a) != len(b):
        raise ValueError("labellings differ in length")
    n = len(a)
    if n < 2:
        return 1.0
    table = Counter(zip(a, b, strict=False))
    sum_cells = sum(comb(v, 2) for v in table.values())
    sum_a = sum(comb(v, 2) for v in Counter(a).values())
    sum_b = sum(comb(v, 2) for v in Counter(b).values())
    expected = sum_a * sum_b / comb(n, 2)
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return float((sum_cells - expected) / (maximum - expected))


def read_categories(path: str | Path, id_column: str, category_column: str) -> dict[str, str]:
    p = Path(path)
    if not p.exists():
        raise InputFileError(p, "categories file not found")
    with p.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if not reader.fieldnames or id_column not in reader.fieldnames or category_column not in reader.fieldnames:
            raise InputFileError(p, f"needs columns {id_column!r} and {category_column!r}")
        return {r[id_column]: r[category_column] for r in reader if r.get(id_column)}


def compare_with_categories(
    ws: Workspace, categories: dict[str, str], run_id: str | None = None, top_networks: int = 8
) -> dict[str, Any]:
    rid = runs.resolve_run(ws.engine, run_id)
    membership = dict(
        ws.engine.sql(
            """SELECT m.account_id, m.network_id FROM network_members m JOIN networks n
           ON n.run_id = m.run_id AND n.network_id = m.network_id WHERE m.run_id = ? AND """
            + runs.flagged_member_sql("m", "n"),
            [rid],
        ).rows()
    )
    present = {a for (a,) in ws.engine.sql("SELECT DISTINCT account_id FROM actions").rows()}
    accounts = sorted(a for a in categories if a in present)
    cats = [categories[a] for a in accounts]
    nets = [membership.get(a, NO_NETWORK) for a in accounts]
    in_networks = [i for i, n in enumerate(nets) if n != NO_NETWORK]
    sizes = Counter(n for n in nets if n != NO_NETWORK)
    shown = [n for n, _ in sizes.most_common(top_networks)]
    confusion: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c, n in zip(cats, nets, strict=False):
        col = n if n in shown or n == NO_NETWORK else "(other networks)"
        confusion[c][col] += 1
    return {
        "run_id": rid,
        "labelled_accounts": len(accounts),
        "accounts_in_flagged_networks": len(in_networks),
        "flagged_networks": len(sizes),
        "ari_all_labelled": round(adjusted_rand_index(cats, nets), 4),
        "ari_within_networks": round(
            adjusted_rand_index([cats[i] for i in in_networks], [nets[i] for i in in_networks]), 4
        )
        if len(in_networks) > 1
        else None,
        "columns": shown + (["(other networks)"] if len(sizes) > len(shown) else []) + [NO_NETWORK],
        "confusion": {c: dict(v) for c, v in sorted(confusion.items())},
    }
