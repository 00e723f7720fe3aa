"""The co-action edge path: detector rows -> kernel co-actions -> calibrated edges, with their evidence.

Consumes an :class:`~flockwatch.detect.base.EdgeRequest` (a detector's SQL, its parameters, the run's settings and
scratch); produces :class:`~flockwatch.detect.base.EdgeTables`: the significant pairs (``calibration.py``) of the
co-actions the kernel enumerated (``kernel.py``) and a bounded sample of those co-actions per edge as evidence.
This is the edge builder of every detector that does not bring its own (``Detector.edge_builder is None``).
"""

from __future__ import annotations

from flockwatch.detect import calibration, kernel
from flockwatch.detect.base import EdgeRequest, EdgeTables


def coaction_edges(req: EdgeRequest) -> EdgeTables:
    """Kernel rows and pairs, null model, Benjamini–Hochberg threshold; edges and evidence left in ``req.scratch``."""
    e, s, params, stages = req.engine, req.scratch, req.params, req.stages
    # a detector may carry its own hot-cell limit (sync_post); otherwise the run's applies
    hot = int(params.get("hot_cell_actions", req.hot_cell_actions))
    with stages("kernel rows"):
        n_rows = kernel.build_rows(e, req.detector_sql, params["window_s"], hot, s, req.first_shared_slot)
    with stages("null model"):
        model = calibration.null_model(e, s, hot)
        # every cell visit (s.rows holds only the rows that can pair), for the network build's attach step; the
        # full cells are read by nothing after this
        if req.keep_visits is not None:
            req.keep_visits(f"SELECT a.account_id, v.th, v.b FROM {s.visits} v JOIN {s.accounts} a USING (acc)")
        e.drop_relations([s.visits, s.cells])
    # co-actions are aggregated into candidate pairs as they are joined, never stored all at once; only the
    # co-actions of pairs that can still pass are kept (s.pairs_live) for episodes, time span and evidence
    counts: dict[str, int] = {}
    n_edges = calibration.significant_pairs(
        e,
        s,
        model,
        req.fdr,
        req.min_co_actions,
        req.min_lift,
        pairs_among=lambda accounts: kernel.pairs_sql(
            s.rows if accounts is None else kernel.build_rows_among(e, s, accounts, req.first_shared_slot),
            params["window_s"],
            hot,
            req.first_shared_slot,
            adjacent_buckets=model.adjacent_pairs != 0,
        ),
        stages=stages,
        counts=counts,
        single_episode_test=req.first_shared_slot,
    )
    edges_sql = f"""
SELECT aa.account_id AS account_a, ab.account_id AS account_b,
       x.co_actions AS co_actions_count, x.k AS episodes_count, x.d_a AS activity_a_count,
       x.d_b AS activity_b_count, x.expected AS expected_count, x.p_value, x.q_value, x.weight,
       make_timestamp(CAST(x.first_t * 1e6 AS BIGINT)) AS first_at,
       make_timestamp(CAST(x.last_t * 1e6 AS BIGINT)) AS last_at, x.mean_dt_s
FROM {s.edges} x JOIN {s.accounts} aa ON aa.acc = x.a JOIN {s.accounts} ab ON ab.acc = x.b"""
    # the first evidence_per_edge co-actions of each edge (by time, then row ids); an edge with no more co-actions
    # than that keeps them all (s.pairs_live holds every co-action of a live pair, as many as its co_actions), so
    # only the edges with more are ranked: on a 5M-row co_repost run every edge had at most 20 co-actions, and the
    # window over their 2.1M co-actions was half of the evidence statement
    n = int(req.evidence_per_edge)
    on_edge = "x.a = least(p.acc_l, p.acc_r) AND x.b = greatest(p.acc_l, p.acc_r)"
    evidence_sql = f"""
SELECT aa.account_id AS account_a, ab.account_id AS account_b,
       la.action_id AS action_id_a, lb.action_id AS action_id_b, tg.target,
       make_timestamp(CAST(la.t * 1e6 AS BIGINT)) AS acted_at_a, lb.t - la.t AS dt_s
FROM (
  SELECT p.*, 1 AS rn FROM {s.pairs_live} p
  SEMI JOIN (SELECT a, b FROM {s.edges} WHERE co_actions <= {n}) x ON {on_edge}
  UNION ALL
  SELECT p.*, row_number() OVER (PARTITION BY least(p.acc_l, p.acc_r), greatest(p.acc_l, p.acc_r)
                                 ORDER BY p.t_l, p.rid_l, p.rid_r) AS rn
  FROM {s.pairs_live} p
  SEMI JOIN (SELECT a, b FROM {s.edges} WHERE co_actions > {n}) x ON {on_edge}
) s
JOIN {s.rows} la ON la.rid = CASE WHEN s.acc_l < s.acc_r THEN s.rid_l ELSE s.rid_r END
JOIN {s.rows} lb ON lb.rid = CASE WHEN s.acc_l < s.acc_r THEN s.rid_r ELSE s.rid_l END
JOIN {s.accounts} aa ON aa.acc = la.acc JOIN {s.accounts} ab ON ab.acc = lb.acc JOIN {s.targets} tg ON tg.th = la.th
WHERE s.rn <= {n}"""
    return EdgeTables(
        edges_sql, evidence_sql, n_rows, counts["co_actions"], counts["candidates"], n_edges, model.to_dict()
    )
