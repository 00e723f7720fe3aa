"""Fuse per-detector edges of one run into a single weighted multiplex graph.

Consumes ``edges`` rows of a run (one per detector and account pair, weight = ``-log10 p``); produces ``fused_edges``
rows (one per account pair): ``weight`` is the sum of the detector weights — for independent detectors, the
log-likelihood sum behind Fisher's combination — ``score`` maps it onto [0, 1] as ``min(1, weight / saturation)``
(the quantity clustering and network scores use), and ``components_json`` keeps each detector's share, so an analyst
sees which signals link a pair.
"""

from __future__ import annotations

from flockwatch.workspace import Workspace

#: A fused weight (sum of -log10 p) at which a pair counts as fully linked in clustering and scores.
DEFAULT_SATURATION = 20.0


def fuse(ws: Workspace, run_id: str, saturation: float = DEFAULT_SATURATION) -> int:
    """(Re)build ``fused_edges`` for ``run_id``; returns the number of fused pairs."""
    e = ws.engine
    with e.transaction():
        e.sql("DELETE FROM fused_edges WHERE run_id = ?", [run_id])
        # One ordered list per pair, sorted once (by detector: an edge's key holds each detector once), read three
        # ways: the weights are summed in detector order, so the fused weight is the same float on every run (a
        # plain sum() adds in arrival order, which varies with the thread schedule in the last bits), and the three
        # ORDER BY aggregates that built the detector list and components each sorted the group again
        # (1.1M fused pairs at 5M actions: 1.5 -> 0.8 s).
        e.append(
            "fused_edges",
            ["run_id", "account_a", "account_b", "weight", "score", "detectors", "components_json"],
            f"""
SELECT run_id, account_a, account_b, w, least(1.0, w / {float(saturation)!r}),
       array_to_string(list_transform(c, lambda x: x.d), ','),
       to_json(map(list_transform(c, lambda x: x.d), list_transform(c, lambda x: round(x.w, 3))))::VARCHAR
FROM (SELECT run_id, account_a, account_b, c, list_sum(list_transform(c, lambda x: x.w)) AS w
      FROM (SELECT run_id, account_a, account_b, list_sort(list({{'d': detector, 'w': weight}})) AS c
            FROM edges WHERE run_id = ? GROUP BY run_id, account_a, account_b))""",
            [run_id],
        )
    return int(e.sql("SELECT count(*) FROM fused_edges WHERE run_id = ?", [run_id]).scalar())
