"""Cluster the fused graph into candidate networks with Leiden (igraph + leidenalg).

Consumes fused edges ``(account_a, account_b, score)``; produces a community label per account. The objective is the
Constant Potts Model (Traag, Van Dooren & Nesterov 2011) with ``resolution`` = the minimum internal edge density a
community must have: unlike modularity, CPM does not merge small dense cells into larger ones (modularity's
resolution limit, Fortunato & Barthélemy 2007), and operations are often cells of tens of accounts.
"""

from __future__ import annotations

from collections.abc import Sequence

import igraph as ig
import leidenalg

DEFAULT_RESOLUTION = 0.05


def leiden_communities(
    edges: Sequence[tuple[str, str, float]],
    resolution: float = DEFAULT_RESOLUTION,
    seed: int = 42,
) -> dict[str, int]:
    """Map account id -> community index (communities numbered by decreasing size)."""
    if not edges:
        return {}
    names: dict[str, int] = {}
    pairs = []
    weights = []
    for a, b, w in edges:
        ia = names.setdefault(a, len(names))
        ib = names.setdefault(b, len(names))
        pairs.append((ia, ib))
        weights.append(float(w))
    g = ig.Graph(n=len(names), edges=pairs, directed=False)
    g.es["weight"] = weights
    part = leidenalg.find_partition(
        g,
        leidenalg.CPMVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        seed=seed,
        n_iterations=-1,
    )
    inv = {i: n for n, i in names.items()}
    return {inv[v]: c for c, members in enumerate(part) for v in members}
