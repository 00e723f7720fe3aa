"""Cluster the fused graph into candidate networks with Leiden (igraph's C implementation).

Consumes fused edges ``(account_a, account_b, score)``; produces a community label per account. The objective is the
Constant Potts Model (Traag, Van Dooren & Nesterov 2011) with ``resolution`` = the minimum internal edge density a
community must have: unlike modularity, CPM does not merge small dense cells into larger ones (modularity's
resolution limit, Fortunato & Barthélemy 2007), and operations are often cells of tens of accounts.

The optimiser is igraph's ``community_leiden`` run to convergence, with igraph's random numbers drawn from a
``random.Random(seed)`` for this call only (sorted input + seed = the same partition every run). Measured on the
fused graph of the hk2019 simulation at 1M actions (10,918 accounts, 1.07M edges, one dense 9,411-account
component): 1.9 CPU-s against 29–32 CPU-s for leidenalg's ``find_partition`` to convergence, and a higher CPM
quality (342,976 vs 342,306, the same objective evaluated by leidenalg).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import igraph as ig

DEFAULT_RESOLUTION = 0.05


def leiden_communities(
    edges: Sequence[tuple[str, str, float]],
    resolution: float = DEFAULT_RESOLUTION,
    seed: int = 42,
) -> dict[str, int]:
    """Map account id -> community index (communities numbered by decreasing size, ties by first vertex)."""
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
    # igraph draws from one process-wide generator (the ``random`` module unless set); a private one seeded here
    # makes the partition independent of whatever else drew random numbers before
    ig.set_random_number_generator(random.Random(seed))
    try:
        clustering = g.community_leiden(
            objective_function="CPM", weights="weight", resolution=resolution, n_iterations=-1
        )
    finally:
        ig.set_random_number_generator(random)
    groups: dict[int, list[int]] = {}
    for v, c in enumerate(clustering.membership):
        groups.setdefault(c, []).append(v)
    ordered = sorted(groups.values(), key=lambda vs: (-len(vs), vs[0]))
    inv = {i: n for n, i in names.items()}
    return {inv[v]: c for c, members in enumerate(ordered) for v in members}
