"""Candidate operations: group a run's flagged candidate networks that are tied to one another beyond chance.

Consumes a workspace whose run has stored networks (``networks``, ``network_members``, ``fused_edges``; growth
evidence in ``network_members.evidence_json``; ``infrastructure`` when the platform has login data). Produces
``operations``, ``operation_networks`` and ``operation_links`` rows for that run and returns :class:`Operation`
objects, each with the evidence of every tie that put its networks together.

Why a second level: Leiden/CPM at a small resolution deliberately cuts a large operation into small dense cells (one
planted operation of ~19.7k accounts becomes ~385 nearly pure flagged networks on the hk2019-like simulation). An
analyst needs "one candidate operation with its sub-networks", each grouping backed by a test.

Ties between two flagged networks A and B, one test per signal:

* ``co_action_links`` — fused (calibrated) co-action edges between a member of A and a member of B;
* ``shared_amplifiers`` — accounts added by growth whose ``network_votes`` name both A and B (at least
  ``MIN_VOTE`` each, i.e. at least one linked seed or most of a shared login prefix);
* ``shared_infrastructure`` — login prefixes (``infrastructure``) used by members of both.

The null is "A and B are unrelated groups", not "the graph has no structure": the count of each signal is compared
with a Poisson expectation for unrelated groups of the same sizes,

* links: ``rho0 * n_A * n_B``, where ``rho0`` is the rate at which flagged members hold calibrated links to accounts
  outside every flagged network (their background rate of links to unrelated accounts), taken at its one-sided 95%
  upper confidence bound so that an empty or tiny background is not read as zero;
* amplifiers: ``L_A * L_B / n`` — independence of "names A" and "names B" over the ``n`` active accounts that could
  have been added by growth (every active account outside the clustered members; ``L_X`` of them name X);
* infrastructure: ``sum_p P_A(p) P_B(p)``, with ``P_X(p) = 1 - (1 - f_p)^s_X`` the chance that X's ``s_X``
  member-prefix sightings hit prefix ``p`` if drawn by the prefix's popularity ``f_p``; prefixes that no flagged
  member used enter through the upper bound ``P_X(p) <= s_X f_p`` (conservative, and cheap). Prefixes both would
  share more often than not (``P_A P_B >= COMMON_PREFIX_CHANCE``, a national ISP) are left out of count and
  expectation alike: they carry no evidence, and their near-certain hits would swamp the Poisson tail.

The configuration-model expectation ``k_A k_B / 2m`` on the fused graph was tried first and rejected: when one
operation *is* most of the fused graph (hk2019-like at 5M actions: 932k of 934k fused edges lie between flagged
members), that null asks whether A prefers B over the rest of the operation, not over unrelated accounts; on links
alone at FDR 0.01 it left 108 groups where the truth has one (the largest 277 of 385 networks). The background rate
asks the question an analyst means.

Measured there (389 flagged networks, one planted operation of 19,656 accounts): 5 candidate operations; the largest
holds 366 networks and 19,659 accounts, among them every planted account found (operation recall 1.0, purity 0.9998);
the other 4 (23 networks, 115 accounts) are organic. Each signal alone leaves more pieces (links 27 operations,
infrastructure 24, amplifiers 171), which is why the tests are pooled. Grouping took about 10 s of the 268 s build.

Each signal needs at least ``min_links`` observations (one account pair, one shared account or one prefix is a single
point of failure: it was itself accepted at the kernel's false-discovery rate). P-values of every (pair, signal) with
enough observations are pooled and Benjamini–Hochberg is applied over *all* network pairs times signals (pairs with no
observation count as p = 1); a tie is linked when any of its signal tests is a discovery at ``fdr``. Its ``weight`` is
the sum of ``-log10 p`` over its signals, its ``p_value`` the smallest signal p-value times the number of signals.

Operations are the connected components of linked ties. We chose components over Leiden on the network graph: every
edge of it already passed a test against unrelated groups, so there is nothing left for a resolution parameter to
decide except to re-split what the test joined; the risk of components — a chain through one weak tie — stays
visible because every tie is stored with its counts, expectation, p-value and example accounts. A network with no
linked tie is an operation of one network. Ids are ``O0001``... by member count (descending), then smallest network id.
An operation's ``score`` is the size-weighted mean of its networks' scores, read as confidence, not proof.

To add a signal: count it per network pair, give it an expectation for unrelated groups and append it in
:func:`_tie_tests`; it joins the same pooled false-discovery control.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pyarrow as pa

from flockwatch.core import runs
from flockwatch.core.stats import bh_discoveries, chi2_ppf, poisson_log_sf, ranked_counts
from flockwatch.errors import ValidationError
from flockwatch.networks.build import DEFAULT_OPERATIONS_FDR
from flockwatch.workspace import Workspace

#: False-discovery rate over all (network pair, signal) tests.
DEFAULT_FDR = DEFAULT_OPERATIONS_FDR
#: Observations a signal needs before it is tested at all (see module docstring).
DEFAULT_MIN_LINKS = 2
#: Share of a growth vote a network needs to count as named by a grown account (one linked seed is a whole vote).
MIN_VOTE = 0.5
#: Chance (under unrelated groups) above which a prefix seen in both networks is left out of the infrastructure test.
COMMON_PREFIX_CHANCE = 0.5
#: Example account pairs / accounts / prefixes kept per tie.
EXAMPLES = 3

SIGNALS = ("co_action_links", "shared_amplifiers", "shared_infrastructure")
_LN10 = math.log(10.0)


@dataclass
class OperationLink:
    """A tie between two flagged networks, with each signal's observed count, expectation and p-value."""

    network_a: str
    network_b: str
    weight: float
    p_value: float
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "network_a": self.network_a,
            "network_b": self.network_b,
            "weight": self.weight,
            "p_value": self.p_value,
            "evidence": self.evidence,
        }


@dataclass
class Operation:
    """A candidate operation: flagged networks tied to one another beyond chance, with the evidence of each tie."""

    run_id: str
    operation_id: str
    network_ids: list[str]
    n_members: int
    score: float
    signals: dict[str, Any]
    first_at: Any = None
    last_at: Any = None
    links: list[OperationLink] = field(default_factory=list)

    @property
    def n_networks(self) -> int:
        return len(self.network_ids)

    def explanation(self) -> str:
        nets = f"{self.n_networks} candidate network{'s' if self.n_networks != 1 else ''}"
        text = (
            f"Candidate operation {self.operation_id}: {nets}, {self.n_members} accounts; "
            f"confidence score {self.score:.2f} (size-weighted mean of its networks)."
        )
        if self.links:
            fired = ", ".join(f"{k} ({v} ties)" for k, v in self.signals.get("ties", {}).items())
            text += (
                f" Its networks are joined by {len(self.links)} tie(s) that are unlikely for unrelated groups "
                f"of the same sizes: {fired}."
            )
        return text

    def to_dict(self, links: bool = True) -> dict[str, Any]:
        d = {
            "run_id": self.run_id,
            "operation_id": self.operation_id,
            "n_networks": self.n_networks,
            "n_members": self.n_members,
            "score": self.score,
            "signals": self.signals,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "networks": self.network_ids,
            "explanation": self.explanation(),
        }
        if links:
            d["links"] = [x.to_dict() for x in self.links]
        return d


def build_operations(
    ws: Workspace,
    run_id: str | None = None,
    fdr: float = DEFAULT_FDR,
    min_links: int = DEFAULT_MIN_LINKS,
    infrastructure: bool = True,
    store: bool = True,
) -> list[Operation]:
    """Group the run's flagged networks into candidate operations (see the module docstring); store them unless
    ``store=False`` (read-only workspaces, evaluation of runs built before operations existed)."""
    if not 0.0 < fdr < 1.0:
        raise ValidationError(f"fdr must be in (0, 1), got {fdr}")
    if min_links < 1:
        raise ValidationError(f"min_links must be at least 1, got {min_links}")
    rid = runs.resolve_run(ws.engine, run_id)
    nets = _flagged(ws, rid)
    members = _members(ws, rid)
    tests = _tie_tests(ws, rid, nets, members, min_links, infrastructure)
    links = _discoveries(tests, n_networks=len(nets), fdr=fdr)
    ops = _components(rid, nets, links)
    if store:
        _store(
            ws,
            rid,
            ops,
            {
                "fdr": fdr,
                "min_links": min_links,
                "infrastructure": infrastructure,
                "operations": len(ops),
                "linked_ties": len(links),
                "largest_networks": max((o.n_networks for o in ops), default=0),
            },
        )
    return ops


# -- inputs -------------------------------------------------------------------------------------------------------
@dataclass
class _Net:
    network_id: str
    size: int
    score: float
    signals: dict[str, int]
    first_at: Any
    last_at: Any


def _flagged(ws: Workspace, rid: str) -> dict[str, _Net]:
    rows = ws.engine.sql(
        """SELECT network_id, size, score, signals, first_at, last_at FROM networks
                            WHERE run_id = ? AND flagged ORDER BY network_id""",
        [rid],
    ).rows()
    return {r[0]: _Net(r[0], int(r[1]), float(r[2]), json.loads(r[3] or "{}"), r[4], r[5]) for r in rows}


def _members(ws: Workspace, rid: str) -> pa.Table:
    return ws.engine.sql(
        """SELECT m.network_id, m.account_id, coalesce(m.joined_by, 'cluster') AS joined_by,
                                   m.evidence_json
                            FROM network_members m JOIN networks n USING (run_id, network_id)
                            WHERE m.run_id = ? AND """
        + runs.flagged_member_sql("m", "n"),
        [rid],
    ).arrow()


# -- tests --------------------------------------------------------------------------------------------------------
@dataclass
class _Test:
    """One (network pair, signal) test: observed count, expectation under unrelated groups, log p."""

    signal: str
    a: str
    b: str
    observed: int
    expected: float
    log_p: float
    detail: dict[str, Any]


def _tie_tests(
    ws: Workspace, rid: str, nets: dict[str, _Net], members: pa.Table, min_links: int, infrastructure: bool
) -> list[_Test]:
    if len(nets) < 2:
        return []
    e = ws.engine
    n_flagged = members.num_rows
    active = int(e.sql("SELECT count(DISTINCT account_id) FROM actions").scalar() or 0)
    n_out = max(active - n_flagged, 1)
    with e.scratch("operations") as s:
        members_t = s.register("members", members.select(["network_id", "account_id"]))
        tests = _link_tests(e, members_t, rid, nets, n_flagged, n_out, min_links)
        n_grown = sum(1 for how in members.column("joined_by").to_pylist() if how == "grow")
        tests += _amplifier_tests(members, nets, n_out + n_grown, min_links)
        if infrastructure and e.table_exists("infrastructure") and e.count("infrastructure"):
            tests += _infrastructure_tests(e, members_t, nets, min_links)
    _poisson_log_sf(tests)
    return tests


def _poisson_log_sf(tests: list[_Test]) -> None:
    """Fill ``log_p = ln P(X >= observed)`` for X ~ Poisson(expected), in one vectorised call."""
    if not tests:
        return
    log_p = poisson_log_sf([t.observed for t in tests], [t.expected for t in tests])
    for t, lp in zip(tests, log_p, strict=False):
        t.log_p = float(lp)


def _link_tests(
    e: Any, members_t: str, rid: str, nets: dict[str, _Net], n_flagged: int, n_out: int, min_links: int
) -> list[_Test]:
    # background: calibrated links from flagged members to accounts outside every flagged network
    outside = int(
        e.sql(
            f"""
SELECT count(*) FROM fused_edges f
LEFT JOIN {members_t} ma ON ma.account_id = f.account_a LEFT JOIN {members_t} mb ON mb.account_id = f.account_b
WHERE f.run_id = ? AND ((ma.account_id IS NULL) <> (mb.account_id IS NULL))""",
            [rid],
        ).scalar()
        or 0
    )
    # the background count is often tiny (hk2019-like at 5M actions: 2 links leave the flagged networks), so the
    # rate is taken at its one-sided 95% upper confidence bound, not at the point estimate: a conservative bar
    rho0 = chi2_ppf(0.95, 2 * (outside + 1)) / 2 / (n_flagged * n_out)
    rows = e.sql(
        f"""
WITH x AS (
  SELECT least(ma.network_id, mb.network_id) AS na, greatest(ma.network_id, mb.network_id) AS nb,
         f.account_a, f.account_b, f.weight, f.detectors
  FROM fused_edges f JOIN {members_t} ma ON ma.account_id = f.account_a
  JOIN {members_t} mb ON mb.account_id = f.account_b
  WHERE f.run_id = ? AND ma.network_id <> mb.network_id)
SELECT na, nb, count(*) AS links, sum(weight) AS weight,
       list([account_a, account_b, detectors, CAST(round(weight, 2) AS VARCHAR)]
            ORDER BY weight DESC, account_a, account_b)[1:{EXAMPLES}] AS examples
FROM x GROUP BY 1, 2 HAVING count(*) >= ?""",
        [rid, min_links],
    ).rows()
    out = []
    for na, nb, links, weight, examples in rows:
        lam = rho0 * nets[na].size * nets[nb].size
        out.append(
            _Test(
                "co_action_links",
                na,
                nb,
                int(links),
                lam,
                0.0,
                {
                    "fused_weight": round(float(weight), 2),
                    "background_links_per_pair": float(f"{rho0:.3g}"),
                    "example_pairs": [
                        {"account_a": a, "account_b": b, "detectors": d, "fused_weight": float(w)}
                        for a, b, d, w in examples
                    ],
                },
            )
        )
    return out


def _amplifier_tests(members: pa.Table, nets: dict[str, _Net], n_namers: int, min_links: int) -> list[_Test]:
    named_by: Counter[str] = Counter()
    both: dict[tuple[str, str], list[str]] = defaultdict(list)
    accounts = members.column("account_id").to_pylist()
    for acc, how, ev_json in zip(
        accounts, members.column("joined_by").to_pylist(), members.column("evidence_json").to_pylist(), strict=False
    ):
        if how != "grow" or not ev_json:
            continue
        votes = json.loads(ev_json).get("network_votes") or {}
        named = sorted(k for k, v in votes.items() if k in nets and v >= MIN_VOTE)
        named_by.update(named)
        for pair in combinations(named, 2):
            both[pair].append(acc)
    out = []
    for (na, nb), accs in sorted(both.items()):
        if len(accs) < min_links:
            continue
        lam = named_by[na] * named_by[nb] / n_namers
        out.append(
            _Test(
                "shared_amplifiers",
                na,
                nb,
                len(accs),
                lam,
                0.0,
                {"named_a": named_by[na], "named_b": named_by[nb], "example_accounts": sorted(accs)[:EXAMPLES]},
            )
        )
    return out


def _infrastructure_tests(e: Any, members_t: str, nets: dict[str, _Net], min_links: int) -> list[_Test]:
    # popularity of each prefix: its share of all distinct (account, prefix) sightings
    total = int(
        e.sql(
            "SELECT count(*) FROM (SELECT DISTINCT account_id, ip_prefix FROM infrastructure "
            "WHERE ip_prefix IS NOT NULL)"
        ).scalar()
        or 0
    )
    if not total:
        return []
    sumsq = float(
        e.sql(
            """SELECT sum(power(n::DOUBLE / ?, 2)) FROM (
                             SELECT ip_prefix, count(DISTINCT account_id) AS n FROM infrastructure
                             WHERE ip_prefix IS NOT NULL GROUP BY 1)""",
            [total],
        ).scalar()
        or 0.0
    )
    rows = e.sql(f"""
WITH s AS (SELECT DISTINCT m.network_id, i.account_id, i.ip_prefix FROM infrastructure i
           JOIN {members_t} m USING (account_id) WHERE i.ip_prefix IS NOT NULL),
pop AS (SELECT ip_prefix, count(DISTINCT account_id) AS n FROM infrastructure
        WHERE ip_prefix IN (SELECT ip_prefix FROM s) GROUP BY 1)
SELECT s.network_id, s.ip_prefix, count(*) AS members, any_value(pop.n) FROM s JOIN pop USING (ip_prefix)
GROUP BY 1, 2""").rows()
    if not rows:
        return []
    ids = sorted({r[0] for r in rows})
    prefixes = sorted({r[1] for r in rows})
    ni, pi = {n: i for i, n in enumerate(ids)}, {p: i for i, p in enumerate(prefixes)}
    used = np.zeros((len(ids), len(prefixes)), dtype=np.float64)
    share = np.zeros(len(prefixes))
    for nid, prefix, n, pop in rows:
        used[ni[nid], pi[prefix]] = n
        share[pi[prefix]] = pop / total
    sightings = used.sum(axis=1)
    hit = 1.0 - np.power(1.0 - share[None, :], sightings[:, None])
    cold = max(sumsq - float(np.square(share).sum()), 0.0)
    present = used > 0
    out = []
    for i in range(len(ids) - 1):
        both = hit[i][None, :] * hit[i + 1 :]
        # a prefix both networks would share by chance more often than not (a national ISP) is no evidence, and
        # its near-certain hit would swamp the Poisson tail: it is left out of the count and of the expectation
        rare = both < COMMON_PREFIX_CHANCE
        shared = present[i][None, :] & present[i + 1 :]
        counted = shared & rare
        observed = counted.sum(axis=1)
        left_out = (shared & ~rare).sum(axis=1)
        expected = np.where(rare, both, 0.0).sum(axis=1) + sightings[i] * sightings[i + 1 :] * cold
        # examples: the prefixes most used by the less active side of the pair, ties by prefix (``prefixes`` is
        # sorted, so by column); one numpy sort per pair (tens of thousands of pairs on a large operation)
        fewer = np.minimum(used[i][None, :], used[i + 1 :])
        for off in np.flatnonzero(observed >= min_links).tolist():
            j = i + 1 + off
            common = np.flatnonzero(counted[off])
            top = common[np.lexsort((common, -fewer[off, common]))[:EXAMPLES]].tolist()
            out.append(
                _Test(
                    "shared_infrastructure",
                    ids[i],
                    ids[j],
                    int(observed[off]),
                    float(expected[off]),
                    0.0,
                    {
                        "common_prefixes_left_out": int(left_out[off]),
                        "example_prefixes": [
                            {"ip_prefix": prefixes[k], "members_a": int(used[i, k]), "members_b": int(used[j, k])}
                            for k in top
                        ],
                    },
                )
            )
    return out


# -- decisions ----------------------------------------------------------------------------------------------------
def _discoveries(tests: list[_Test], n_networks: int, fdr: float) -> list[OperationLink]:
    """Benjamini–Hochberg over every (network pair, signal); untested pairs count as p = 1 (they only raise m)."""
    if not tests:
        return []
    m = len(SIGNALS) * n_networks * (n_networks - 1) // 2
    order = sorted(tests, key=lambda t: (t.log_p, t.a, t.b, t.signal))
    hit = bh_discoveries([t.log_p for t in order], fdr, m)
    found = {(t.a, t.b, t.signal) for t, h in zip(order, hit, strict=False) if h}
    discovered = {(a, b) for a, b, _ in found}
    by_pair: dict[tuple[str, str], list[_Test]] = defaultdict(list)
    for t in tests:
        if (t.a, t.b) in discovered:
            by_pair[(t.a, t.b)].append(t)
    links = []
    for (a, b), ts in sorted(by_pair.items()):
        neg_log10 = {t.signal: min(-t.log_p / _LN10, 300.0) for t in ts}
        best = min(t.log_p for t in ts)
        evidence = {
            t.signal: {
                "observed": t.observed,
                "expected": float(f"{t.expected:.4g}"),
                "p_value": float(f"{math.exp(t.log_p):.3g}"),
                "neg_log10_p": round(neg_log10[t.signal], 2),
                "discovery": (t.a, t.b, t.signal) in found,
                **t.detail,
            }
            for t in sorted(ts, key=lambda t: SIGNALS.index(t.signal))
        }
        links.append(
            OperationLink(
                a,
                b,
                weight=round(sum(neg_log10.values()), 2),
                p_value=float(f"{min(1.0, math.exp(best) * len(SIGNALS)):.3g}"),
                evidence=evidence,
            )
        )
    return links


def _components(rid: str, nets: dict[str, _Net], links: list[OperationLink]) -> list[Operation]:
    parent = {n: n for n in nets}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for link in links:
        ra, rb = find(link.network_a), find(link.network_b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[str]] = defaultdict(list)
    for n in nets:
        groups[find(n)].append(n)
    links_of: dict[str, list[OperationLink]] = defaultdict(list)
    for link in links:
        links_of[find(link.network_a)].append(link)
    ops = []
    for root, ids in groups.items():
        ids.sort()
        size = sum(nets[n].size for n in ids)
        detectors: Counter[str] = Counter()
        for n in ids:
            detectors.update(nets[n].signals)
        ties: Counter[str] = Counter()
        for link in links_of[root]:
            ties.update(sig for sig, ev in link.evidence.items() if ev.get("discovery"))
        starts = [nets[n].first_at for n in ids if nets[n].first_at is not None]
        ends = [nets[n].last_at for n in ids if nets[n].last_at is not None]
        ops.append(
            Operation(
                run_id=rid,
                operation_id="",
                network_ids=ids,
                n_members=size,
                score=round(sum(nets[n].score * nets[n].size for n in ids) / size, 4) if size else 0.0,
                signals={"detectors": ranked_counts(detectors), "ties": ranked_counts(ties)},
                first_at=min(starts, default=None),
                last_at=max(ends, default=None),
                links=sorted(links_of[root], key=lambda x: (-x.weight, x.network_a, x.network_b)),
            )
        )
    ops.sort(key=lambda o: (-o.n_members, o.network_ids[0]))
    for i, op in enumerate(ops, 1):
        op.operation_id = f"O{i:04d}"
    return ops


# -- storage ------------------------------------------------------------------------------------------------------
def _store(ws: Workspace, rid: str, ops: list[Operation], params: dict[str, Any]) -> None:
    e = ws.engine
    links = [x for op in ops for x in op.links]
    with e.transaction():
        for table in ("operations", "operation_networks", "operation_links"):
            e.sql(f"DELETE FROM {table} WHERE run_id = ?", [rid])
        if ops:
            e.insert_arrow(
                "operations",
                pa.table(
                    {
                        "run_id": [rid] * len(ops),
                        "operation_id": [o.operation_id for o in ops],
                        "n_networks": pa.array([o.n_networks for o in ops], pa.int64()),
                        "n_members": pa.array([o.n_members for o in ops], pa.int64()),
                        "score": pa.array([o.score for o in ops], pa.float64()),
                        "signals_json": [json.dumps(o.signals) for o in ops],
                        "first_at": pa.array([o.first_at for o in ops], pa.timestamp("us")),
                        "last_at": pa.array([o.last_at for o in ops], pa.timestamp("us")),
                    }
                ),
            )
            pairs = [(o.operation_id, n) for o in ops for n in o.network_ids]
            e.insert_arrow(
                "operation_networks",
                pa.table(
                    {
                        "run_id": [rid] * len(pairs),
                        "operation_id": [p[0] for p in pairs],
                        "network_id": [p[1] for p in pairs],
                    }
                ),
            )
        if links:
            e.insert_arrow(
                "operation_links",
                pa.table(
                    {
                        "run_id": [rid] * len(links),
                        "network_a": [x.network_a for x in links],
                        "network_b": [x.network_b for x in links],
                        "weight": pa.array([x.weight for x in links], pa.float64()),
                        "p_value": pa.array([x.p_value for x in links], pa.float64()),
                        "evidence_json": [json.dumps(x.evidence, default=str) for x in links],
                    }
                ),
            )
        e.sql(
            "UPDATE detection_runs SET params_json = json_merge_patch(coalesce(params_json, '{}'), ?) WHERE run_id = ?",
            [json.dumps({"operations": params}), rid],
        )


def load_operations(ws: Workspace, run_id: str | None = None, compute_missing: bool = True) -> list[Operation]:
    """Read the stored candidate operations of a run (default: the latest). A run whose networks were built before
    operations existed has none stored; with ``compute_missing`` they are computed (not stored) with the defaults."""
    rid = runs.resolve_run(ws.engine, run_id)
    e = ws.engine
    rows = e.sql(
        """SELECT operation_id, n_members, score, signals_json, first_at, last_at FROM operations
                    WHERE run_id = ? ORDER BY operation_id""",
        [rid],
    ).rows()
    if not rows:
        has_flagged = e.sql("SELECT count(*) FROM networks WHERE run_id = ? AND flagged", [rid]).scalar()
        return build_operations(ws, rid, store=False) if compute_missing and has_flagged else []
    nets: dict[str, list[str]] = defaultdict(list)
    op_of: dict[str, str] = {}
    for oid, nid in e.sql(
        "SELECT operation_id, network_id FROM operation_networks WHERE run_id = ? ORDER BY operation_id, network_id",
        [rid],
    ).rows():
        nets[oid].append(nid)
        op_of[nid] = oid
    links: dict[str, list[OperationLink]] = defaultdict(list)
    for a, b, w, p, ev in e.sql(
        "SELECT network_a, network_b, weight, p_value, evidence_json FROM operation_links "
        "WHERE run_id = ? ORDER BY weight DESC, network_a, network_b",
        [rid],
    ).rows():
        links[op_of.get(a, "")].append(OperationLink(a, b, w, p, json.loads(ev or "{}")))
    return [
        Operation(
            run_id=rid,
            operation_id=oid,
            network_ids=nets[oid],
            n_members=int(n),
            score=float(s),
            signals=json.loads(sig or "{}"),
            first_at=fa,
            last_at=la,
            links=links[oid],
        )
        for oid, n, s, sig, fa, la in rows
    ]


def operation_members(ws: Workspace, operations: list[Operation]) -> dict[str, str]:
    """``{account_id: operation_id}`` for the members of the given operations' networks."""
    op_of = {n: op.operation_id for op in operations for n in op.network_ids}
    if not operations:
        return {}
    rid = operations[0].run_id
    rows = ws.engine.sql("SELECT network_id, account_id FROM network_members WHERE run_id = ?", [rid]).rows()
    return {acc: op_of[nid] for nid, acc in rows if nid in op_of}
