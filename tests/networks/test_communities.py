"""The columnar clustering step (``cluster.leiden_partition``, ``build._communities``) against the per-link loop it
replaced, kept here as the reference: the same vertex order, partition, member scores, densities and signals."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

import igraph as ig
import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.networks.build import _communities
from flockwatch.networks.cluster import leiden_communities, leiden_partition


def _reference_labels(edges, resolution=0.05, seed=42):
    names: dict[str, int] = {}
    pairs, weights = [], []
    for a, b, w in edges:
        pairs.append((names.setdefault(a, len(names)), names.setdefault(b, len(names))))
        weights.append(float(w))
    g = ig.Graph(n=len(names), edges=pairs, directed=False)
    g.es["weight"] = weights
    ig.set_random_number_generator(random.Random(seed))
    try:
        cl = g.community_leiden(objective_function="CPM", weights="weight", resolution=resolution, n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
    groups: dict[int, list[int]] = {}
    for v, c in enumerate(cl.membership):
        groups.setdefault(c, []).append(v)
    ordered = sorted(groups.values(), key=lambda vs: (-len(vs), vs[0]))
    inv = {i: n for n, i in names.items()}
    return {inv[v]: c for c, members in enumerate(ordered) for v in members}


def _reference_networks(fused, labels, min_size, min_score):
    groups: dict[int, list[str]] = defaultdict(list)
    for acc, c in labels.items():
        groups[c].append(acc)
    miss: dict[str, float] = defaultdict(lambda: 1.0)
    internal: dict[int, list] = defaultdict(list)
    for a, b, s, dets in fused:
        if labels[a] == labels[b]:
            miss[a] *= 1.0 - min(s, 1.0)
            miss[b] *= 1.0 - min(s, 1.0)
            internal[labels[a]].append((a, b, s, dets))
    out = []
    for c, members in groups.items():
        if len(members) < 2:
            continue
        n = len(members)
        account_scores = {m: round(1.0 - miss[m], 4) for m in members}
        score = round(sum(account_scores.values()) / n, 4)
        signals: Counter[str] = Counter()
        for *_, dets in internal[c]:
            signals.update(dets.split(","))
        out.append(
            (
                sorted(members),
                score,
                n >= min_size and score >= min_score,
                round(len(internal[c]) / (n * (n - 1) / 2), 4),
                sorted(signals.items(), key=lambda kv: (-kv[1], kv[0])),  # largest first, ties by name
                list(account_scores.items()),
            )
        )
    return out


_DETECTORS = ["co_repost", "co_repost,co_text", "co_hashtag", "co_hashtag,co_repost,sync_post", "co_text"]


@st.composite
def fused_graphs(draw):
    n = draw(st.integers(2, 40))
    ids = [f"u{draw(st.integers(0, 10**6))}_{i}" for i in range(n)]
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=150, unique=True)
    )
    rows = {}
    for i, j in pairs:
        if i == j:
            continue
        a, b = sorted((ids[i], ids[j]))
        score = draw(st.sampled_from([1.0, 0.5, 0.05, 0.999999, 0.3333333333, 0.1234567891234]))
        rows[(a, b)] = (a, b, score, draw(st.sampled_from(_DETECTORS)))
    return [rows[k] for k in sorted(rows)]


@settings(max_examples=150, deadline=None)
@given(fused_graphs())
def test_columnar_clustering_matches_the_per_link_loop(fused):
    if not fused:
        return
    edges = [(a, b, round(s, 9)) for a, b, s, _ in fused]
    want_labels = _reference_labels(edges)
    assert leiden_communities(edges) == want_labels
    assert list(leiden_communities(edges)) == list(want_labels)  # the same order, too
    part = leiden_partition(
        pa.array([f[0] for f in fused]),
        pa.array([f[1] for f in fused]),
        np.array([round(f[2], 9) for f in fused]),
    )
    got = _communities("r", part, np.array([f[2] for f in fused]), pa.chunked_array([[f[3] for f in fused]]), 3, 0.2)
    want = _reference_networks(fused, want_labels, 3, 0.2)
    assert [
        (
            net.members,
            net.score,
            net.flagged,
            net.density,
            list(net.signals.items()),
            list(net.account_scores.items()),
        )
        for net in got
    ] == want


def test_no_links_no_communities():
    part = leiden_partition(pa.array([], pa.string()), pa.array([], pa.string()), np.zeros(0))
    assert part.names == [] and leiden_communities([]) == {}
    assert _communities("r", part, np.zeros(0), pa.chunked_array([], pa.string()), 3, 0.2) == []
