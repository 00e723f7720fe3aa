"""Attach accounts to candidate networks when their activity concentrates on the networks' footprint beyond chance.

Consumes a run's flagged networks and the detector rows the run used; produces extra members (account -> network,
with ``-log10 p``). Why: a large operation mobilises a random 5–30% of its accounts per burst, so two amplifiers
with six reposts each share too few bursts for any *pairwise* test (``detect.calibration``), yet nearly every one of
their actions lands in a burst of the operation. This is a seed-set enrichment test on the same bipartite graph of
accounts x cells (cells = (target, time bucket), as in the kernel):

* an *operation cell* is a cell with at least ``min_members_in_cell`` flagged members who make at least half of its
  accounts (the operation's footprint, read off the networks already found);
* under the null (Chung–Lu, as in calibration) an episode of account ``x`` lands on operation cells with probability
  ``pi = (incidences on operation cells) / (all incidences)`` — popular cells weigh more;
* ``k_x`` = x's episodes on operation cells, ``lambda_x = sum over detectors of d_x * pi``,
  ``p = P(Poisson(lambda_x) >= k_x)`` (a Poisson bound on the binomial tail: conservative), Benjamini–Hochberg over
  all non-member accounts. The account joins the network whose members it met most on those cells.

An organic account that sometimes reposts the same viral post as members is not attached: viral cells are not
dominated by members, and a few hits among many episodes is what ``pi`` predicts.

Cost: only the detectors' distinct cell visits are read again, not their pairs: those detection kept on the same
connection (every edge path hands its rows' visits over through ``EdgeRequest.keep_visits`` into
``kernel.keep_visits_of``; the usual ``flockwatch detect``), else computed again from the detector's
SQL (``kernel.cell_visits_sql``; a network build in another process). By default detectors declared without
``attach_cells`` (``co_near_text``: a row per LSH band; ``sync_post``: a row per action, on time slots) are left
out, and detection keeps no visits for them; pass ``detectors`` to include them. A detector with its own edge path
takes part through its rows all the same: ``theme_profile``'s rows are theme tokens, its cells (token, day) — an
account whose theme-days concentrate on a network's theme-days is attached (measured on the IRA dev data: ARI 0.396
without these cells, 0.406 with them).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.core.stats import bh_log_q, poisson_log_sf
from flockwatch.detect import kernel
from flockwatch.detect.registry import get
from flockwatch.workspace import Workspace


def attach(
    ws: Workspace,
    run_id: str,
    members: dict[str, str],
    fdr: float = 1e-3,
    min_episodes: int = 3,
    detectors: list[str] | None = None,
    min_members_in_cell: int = 3,
) -> dict[str, tuple[str, float]]:
    """Return ``{account_id: (network_id, -log10 p)}`` for non-members attached to a network in ``members``."""
    if not members:
        return {}
    e = ws.engine
    params = json.loads(e.sql("SELECT params_json FROM detection_runs WHERE run_id = ?", [run_id]).scalar() or "{}")
    results = {r["detector"]: r["params"] for r in params.get("results", [])}
    names = [d for d in (detectors or [r for r in results if get(r).attach_cells]) if d in results]
    totals: list[pa.Table] = []
    accounts = set()
    with e.scratch("attach") as s:
        members_t = s.register("members", pa.table({"account_id": list(members), "network_id": list(members.values())}))
        # per detector, kept until the attached accounts are known: the members per operation cell and network
        # (cn) and the non-members' incidences on operation cells (hits) -- what counting the members an attached
        # account met needs, a small part of all incidences
        cells: list[tuple[str, str]] = []
        for i, name in enumerate(names):
            p = dict(results[name])
            cn, hits = s.name(f"cn_{i}"), s.name(f"hits_{i}")
            cells.append((cn, hits))
            with e.scratch("attach") as d:
                kept = kernel.kept_cell_visits(e, run_id, name)
                visits = (
                    f"SELECT * FROM {kept}" if kept else kernel.cell_visits_sql(get(name).build_sql(p), p["window_s"])
                )
                e.sql(f"""
CREATE OR REPLACE TEMP TABLE {d.inc} AS
SELECT r.account_id, r.th, r.b, m.network_id
FROM ({visits}) r LEFT JOIN {members_t} m USING (account_id)""")
                e.sql(
                    f"""
CREATE OR REPLACE TEMP TABLE {d.opcells} AS
SELECT th, b, count(*) AS n FROM {d.inc} GROUP BY th, b
HAVING count(network_id) >= ? AND count(network_id) * 2 >= count(*)""",
                    [int(min_members_in_cell)],
                )
                share = e.sql(
                    f"SELECT CAST((SELECT coalesce(sum(n), 0) FROM {d.opcells}) AS DOUBLE) / "
                    f"greatest(1, (SELECT count(*) FROM {d.inc}))"
                ).scalar()
                accounts.update(
                    a for (a,) in e.sql(f"SELECT DISTINCT account_id FROM {d.inc} WHERE network_id IS NULL").rows()
                )
                totals.append(
                    e.sql(
                        f"""
SELECT i.account_id, count(o.th) AS k, CAST(count(*) AS DOUBLE) * CAST(? AS DOUBLE) AS expected
FROM {d.inc} i LEFT JOIN {d.opcells} o USING (th, b)
WHERE i.network_id IS NULL GROUP BY i.account_id HAVING count(o.th) > 0""",
                        [float(share)],
                    ).arrow()
                )
                e.sql(f"""
CREATE OR REPLACE TEMP TABLE {cn} AS
SELECT i.th, i.b, i.network_id, count(*) AS n FROM {d.inc} i SEMI JOIN {d.opcells} o USING (th, b)
WHERE i.network_id IS NOT NULL GROUP BY ALL""")
                e.sql(f"""
CREATE OR REPLACE TEMP TABLE {hits} AS
SELECT i.account_id, i.th, i.b FROM {d.inc} i SEMI JOIN {d.opcells} o USING (th, b) WHERE i.network_id IS NULL""")
        keep = _significant(totals, accounts, fdr, min_episodes)
        if not keep:
            return {}
        # members met: per operation cell and network the members there, summed over the attached account's cells
        # (the same count as joining every member incidence, without the members x accounts rows), for the attached
        # accounts only: every non-member that met a member on an operation cell is far more rows (at 5M actions on
        # the hk2019 simulation, that query was most of the attach step's time)
        attached = s.register("attached", pa.table({"account_id": pa.array(list(keep), pa.string())}))
        met = pa.concat_tables(
            [
                e.sql(f"""
SELECT x.account_id, cn.network_id, CAST(sum(cn.n) AS BIGINT) AS c
FROM {hits} x SEMI JOIN {attached} USING (account_id) JOIN {cn} cn USING (th, b) GROUP BY 1, 2""").arrow()
                for cn, hits in cells
            ]
        )
    met = met.group_by(["account_id", "network_id"]).aggregate([("c", "sum")])
    counts: dict[str, dict[str, int]] = {}
    for a, n, c in zip(
        met.column("account_id").to_pylist(),
        met.column("network_id").to_pylist(),
        met.column("c_sum").to_pylist(),
        strict=True,
    ):
        counts.setdefault(a, {})[n] = c
    return {a: (max(sorted(counts[a]), key=lambda n: counts[a][n]), w) for a, w in keep.items() if a in counts}


def _significant(totals: list[pa.Table], accounts: set[str], fdr: float, min_episodes: int) -> dict[str, float]:
    """``{account_id: -log10 p}`` of the non-members whose episodes on operation cells (``k``, summed over
    detectors) exceed their expectation beyond chance: Poisson tails, Benjamini–Hochberg over ``accounts``."""
    totals = [t for t in totals if t.num_rows]
    if not totals:
        return {}
    t = pa.concat_tables(totals).group_by("account_id").aggregate([("k", "sum"), ("expected", "sum")])
    t = t.filter(pc.greater_equal(t.column("k_sum"), min_episodes))
    if t.num_rows == 0:
        return {}
    k = t.column("k_sum").to_numpy().astype(float)
    lam = t.column("expected_sum").to_numpy()
    log_p = poisson_log_sf(k, lam)
    log_q = bh_log_q(log_p, max(1, len(accounts)))
    accs = t.column("account_id").to_pylist()
    return {accs[i]: float(-log_p[i] / math.log(10)) for i in np.flatnonzero(log_q <= math.log(fdr))}
