"""Fusing a run's per-detector edges into one weighted pair each (networks/fuse.py)."""

from __future__ import annotations

import json

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from flockwatch.networks.fuse import fuse
from flockwatch.workspace import Workspace

RUN = "run-fuse"
DETECTORS = ["co_hashtag", "co_near_text", "co_repost", "co_text", "sync_post"]


def _load(ws: Workspace, rows: list[tuple[str, str, str, float]]) -> None:
    e = ws.engine
    e.sql("DELETE FROM edges WHERE run_id = ?", [RUN])
    e.insert_arrow(
        "edges",
        pa.table(
            {
                "run_id": [RUN] * len(rows),
                "detector": [d for d, *_ in rows],
                "account_a": [a for _, a, _, _ in rows],
                "account_b": [b for _, _, b, _ in rows],
                "weight": pa.array([w for *_, w in rows], pa.float64()),
            }
        ),
    )


def _fused(ws: Workspace) -> list[tuple]:
    return ws.engine.sql(
        "SELECT account_a, account_b, weight, score, detectors, components_json FROM fused_edges "
        "WHERE run_id = ? ORDER BY account_a, account_b",
        [RUN],
    ).rows()


def test_fused_pair_sums_its_detectors_in_detector_order(ws):
    rows = [("sync_post", "a", "b", 0.1), ("co_repost", "a", "b", 0.2), ("co_hashtag", "a", "b", 30.12345)]
    rows += [("co_text", "a", "c", 3.0)]
    _load(ws, rows)
    assert fuse(ws, RUN, saturation=20.0) == 2
    (ab, ac) = _fused(ws)
    # sequential, in detector order: the same float whatever order the rows came in
    assert ab[2] == (30.12345 + 0.2) + 0.1
    assert ab[3] == 1.0 and ab[4] == "co_hashtag,co_repost,sync_post"
    assert json.loads(ab[5]) == {"co_hashtag": 30.123, "co_repost": 0.2, "sync_post": 0.1}
    assert ac[2:] == (3.0, 3.0 / 20.0, "co_text", '{"co_text":3.0}')


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(DETECTORS),
            st.sampled_from(["a", "b", "c", "d"]),
            st.floats(min_value=1e-6, max_value=300.0, allow_nan=False),
        ),
        min_size=1,
        max_size=40,
        unique_by=lambda r: (r[0], r[1]),
    ),
    st.randoms(use_true_random=False),
)
def test_fused_rows_do_not_depend_on_the_order_edges_arrive_in(tmp_path_factory, edges, rnd):
    """Property: the fused rows (weights to the last bit) are the same for any insertion order of the edges."""
    rows = [(d, "a0" if x != "a" else "b0", x, w) for d, x, w in edges]
    ws = Workspace.create(tmp_path_factory.mktemp("fuse"))
    try:
        _load(ws, rows)
        fuse(ws, RUN)
        first = _fused(ws)
        shuffled = list(rows)
        rnd.shuffle(shuffled)
        _load(ws, shuffled)
        fuse(ws, RUN)
        assert _fused(ws) == first
        by_pair: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for d, a, b, w in rows:
            by_pair.setdefault((a, b), []).append((d, w))
        assert [r[:2] for r in first] == sorted(by_pair)
        for a, b, weight, _score, detectors, _ in first:
            parts = sorted(by_pair[(a, b)])
            assert detectors == ",".join(d for d, _ in parts)
            assert weight == sum((w for _, w in parts), 0.0)
    finally:
        ws.close()
