"""Candidate networks: fuse a run's edges, cluster them, score, explain and store.

Consumes a workspace with a detection run (``edges``, ``edge_evidence``); produces ``fused_edges``, ``networks`` and
``network_members`` rows for that run and returns :class:`CandidateNetwork` objects.

Scores (all in [0, 1], read as confidence, not proof):

* ``account_score`` — how firmly the account is tied to the network: the noisy-OR ``1 - prod(1 - s)`` of its fused
  link scores ``s`` to other members (one saturated link, ``-log10 p >= saturation``, is enough for 1; several
  weaker links add up); for an account attached by the account-versus-network test (``attach.py``),
  ``min(1, -log10 p / saturation)``;
  for an account added by growth (``grow.py``), the expansion's calibrated score;
* ``network score`` — the mean account score of its members: large sparse operations (each amplifier tied to a few
  others) score as high as small dense cells, while a chain of weak chance links scores low. ``density`` (the share
  of member pairs that are linked) is reported beside it.

A network is *coordinated* when it has at least ``min_size`` members and a score of at least ``min_score``. Every
coordinated network is then assessed for inauthenticity (``assessment.py``): ``coordinated_inauthentic``,
``coordinated_authentic`` (genuine people acting together: a fandom, an event hashtag, syndicated news) or
``insufficient_evidence`` (no profiles or logins). A network is *flagged* when it is coordinated and not assessed
authentic; exports write flagged networks unless asked for all. Networks are numbered in queue order: flagged first,
then by priority (coordination x inauthenticity x reach). A member of a ``coordinated_inauthentic`` network carries
the flag only with evidence of its own or a specific tie to the network (``inheritance.py``); the others stay members,
marked ``weakly_linked`` with the reason.

After flagging, growth (``grow.py``, on unless ``grow=False``) runs the seed-anchored expansion once from all flagged
members and adds each account scoring at least ``grow_min_score`` to the flagged network its evidence links it to
most. Every member records how it joined (``joined_by``: ``cluster``, ``attach`` or ``grow``); attached and grown
members also keep the evidence that added them (``evidence_json``).

Last, flagged networks tied to one another beyond chance are grouped into candidate operations
(``operations.py``; tables ``operations``, ``operation_networks``, ``operation_links``).
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.core import runs
from flockwatch.core.stats import ranked_counts
from flockwatch.core.timing import Stages
from flockwatch.errors import ValidationError
from flockwatch.networks.cluster import DEFAULT_RESOLUTION, Partition, leiden_partition
from flockwatch.networks.fuse import DEFAULT_SATURATION, fuse
from flockwatch.networks.grow import DEFAULT_GROW_MIN_SCORE
from flockwatch.workspace import Workspace

if TYPE_CHECKING:
    from flockwatch.networks.assessment import AccountEvidence

DEFAULT_MIN_SIZE = 3
DEFAULT_MIN_SCORE = 0.5
DEFAULT_ATTACH_FDR = 1e-3
#: False-discovery rate of the ties that group flagged networks into candidate operations (``operations.py``).
DEFAULT_OPERATIONS_FDR = 1e-3

#: Pseudo-signals counting members added after clustering (not detector pairs).
ADDED_BY = ("attached", "grown")


@dataclass
class CandidateNetwork:
    """A group of accounts whose co-actions are unlikely under chance, with the evidence for it."""

    run_id: str
    network_id: str
    members: list[str]
    score: float
    flagged: bool
    density: float
    signals: dict[str, int]
    first_at: Any = None
    last_at: Any = None
    top_targets: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    account_scores: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    #: how each member joined: ``cluster`` (default, not stored here), ``attach`` or ``grow``
    joined_by: dict[str, str] = field(default_factory=dict)
    #: evidence that added an attached or grown member
    member_evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: passes the coordination threshold (size and score); ``flagged`` also needs an assessment other than authentic
    coordinated: bool = False
    #: ``coordinated_inauthentic``, ``coordinated_authentic``, ``insufficient_evidence`` ("" when not assessed)
    assessment: str = ""
    inauthenticity: float = 0.0
    priority: float = 0.0
    #: the assessment's reason and evidence rows (``assessment.Assessment.to_dict``)
    assessment_detail: dict[str, Any] = field(default_factory=dict)
    #: each member's own verdict and indicators
    member_assessment: dict[str, str] = field(default_factory=dict)
    member_indicators: dict[str, list[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def flagged_members(self) -> list[str]:
        """The members that carry the flag: none unless the network is flagged; never a ``weakly_linked`` member
        (``inheritance.py``, ``core.runs.flagged_member_sql``)."""
        if not self.flagged:
            return []
        return [m for m in self.members if self.member_assessment.get(m) != runs.WEAKLY_LINKED]

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "network_id": self.network_id,
            "size": self.size,
            "score": self.score,
            "flagged": self.flagged,
            "density": self.density,
            "signals": self.signals,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "top_targets": self.top_targets,
            "timeline": self.timeline,
            "members": self.members,
            "account_scores": self.account_scores,
            "joined_by": {m: self.joined_by.get(m, "cluster") for m in self.members},
            "member_evidence": self.member_evidence,
            "coordinated": self.coordinated,
            "assessment": self.assessment,
            "inauthenticity": self.inauthenticity,
            "priority": self.priority,
            "assessment_detail": self.assessment_detail,
            "member_assessment": self.member_assessment,
            "member_indicators": self.member_indicators,
            "explanation": self.explanation,
        }


def build_networks(
    ws: Workspace,
    run_id: str | None = None,
    resolution: float = DEFAULT_RESOLUTION,
    saturation: float = DEFAULT_SATURATION,
    min_size: int = DEFAULT_MIN_SIZE,
    min_score: float = DEFAULT_MIN_SCORE,
    seed: int = 42,
    attach_fdr: float | None = DEFAULT_ATTACH_FDR,
    grow: bool = True,
    grow_min_score: float = DEFAULT_GROW_MIN_SCORE,
    operations_fdr: float = DEFAULT_OPERATIONS_FDR,
    assess: bool = True,
    drop_families: Sequence[str] = (),
    inherit: bool = True,
) -> list[CandidateNetwork]:
    """Fuse, cluster (Leiden/CPM), score, attach, explain and store the candidate networks of a run.

    ``attach_fdr``: false-discovery rate of the account-versus-network test (``attach.py``) that adds accounts
    whose co-actions with a flagged network as a whole are unlikely under chance; ``None`` turns it off.
    ``grow``: add low-activity accounts tied to flagged members (``grow.py``) when their calibrated expansion score
    is at least ``grow_min_score``.
    ``operations_fdr``: false-discovery rate of the ties that group flagged networks into candidate operations
    (``operations.py``), built and stored after the networks.
    ``assess``: assess coordinated networks for inauthenticity (``assessment.py``) and flag only those not assessed
    ``coordinated_authentic``; off, every coordinated network is flagged and none carries an assessment.
    ``drop_families``: inauthenticity evidence families to ignore (the ablation).
    ``inherit``: members of ``coordinated_inauthentic`` networks carry the flag only with evidence of their own or a
    specific tie (``inheritance.py``); off, every member of a flagged network is flagged.
    """
    if not 0.0 < grow_min_score <= 1.0:
        raise ValidationError(f"grow_min_score must be in (0, 1], got {grow_min_score}")
    rid = runs.resolve_run(ws.engine, run_id)
    e = ws.engine
    stages = Stages("networks: ")
    with stages("fuse"):
        fuse(ws, rid, saturation)
    # Deterministic clustering: Leiden's result depends on the order vertices and edges are given in (not only on
    # the seed), and an edge's weight may differ in its last bits between engines (parallel sums in the detector's
    # statistics; fuse.py adds a pair's weights in a fixed order); sorted input and scores rounded to 1e-9 give the
    # same partition for the same edges.
    with stages("leiden"):
        fused = e.sql(
            "SELECT account_a, account_b, score, detectors FROM fused_edges WHERE run_id = ? "
            "ORDER BY account_a, account_b",
            [rid],
        ).arrow()
        scores = fused.column("score").to_numpy()
        part = leiden_partition(
            fused.column("account_a"),
            fused.column("account_b"),
            # vectorised (a Python round() per pair took 0.6 s of 1.1M fused pairs at 5M actions; the same values)
            np.round(scores, 9),
            resolution=resolution,
            seed=seed,
        )
        networks = _communities(rid, part, scores, fused.column("detectors"), min_size, min_score)
    if attach_fdr:
        with stages("attach"):
            _attach(ws, rid, networks, attach_fdr, saturation, min_size, min_score)
    growth_stats: dict[str, Any] = {"enabled": False}
    grown_into: dict[str, CandidateNetwork] = {}
    if grow:
        with stages("grow"):
            growth_stats, grown_into = _grow(ws, networks, grow_min_score, min_size, min_score)
    # Assessed once, on the final members. Assessing before attachment and growth too (so that genuine communities
    # never seed them) was measured on hk2019 at 1M actions: planted recall fell from 0.960 to 0.900 at the same
    # precision (1.000) and no hard negative flagged either way, so growth starts from every coordinated network.
    evidence = None
    collect_s = None
    weakly_linked: dict[str, int] = {}
    if assess:
        from flockwatch.networks.assessment import collect

        t_collect = time.perf_counter()
        with stages("assessment evidence"):
            # members of every network: the assessed ones and the background's exclusions (assess_groups)
            evidence = collect(ws, members={m for net in networks for m in net.members})
        collect_s = round(time.perf_counter() - t_collect, 2)
        with stages("assess"):
            _assess(ws, networks, drop_families, evidence)
        if inherit:
            from flockwatch.networks.inheritance import mark_weak_members

            with stages("inherit"):
                weakly_linked = mark_weak_members(ws, rid, networks, evidence)
    else:
        for net in networks:
            net.coordinated = net.flagged
    networks.sort(key=lambda x: (-x.flagged, -x.priority, -x.score * x.size, x.members[0]))
    for i, net in enumerate(networks, 1):
        net.network_id = f"N{i:04d}"
    _name_votes(networks, grown_into)
    with stages("describe"):
        _describe(ws, rid, networks)
    params: dict[str, Any] = {
        "resolution": resolution,
        "saturation": saturation,
        "min_size": min_size,
        "min_score": min_score,
        "attach_fdr": attach_fdr,
        "growth": growth_stats,
        "assess": assess,
        "drop_families": list(drop_families),
        "assessment_evidence_s": collect_s,
        "assessment_background": None
        if evidence is None
        else {"accounts": evidence.background_accounts, "platform_accounts": evidence.platform_accounts},
        "inherit": inherit,
        "weakly_linked_members": weakly_linked,
    }
    with stages("store"):
        _store(ws, rid, networks, params)
    # the coarser level: flagged networks tied beyond chance form candidate operations (replaces the run's rows);
    # imported here because operations.py imports this module
    from flockwatch.networks.operations import build_operations

    with stages("operations"):
        build_operations(ws, rid, fdr=operations_fdr)
    return networks


def _communities(
    rid: str,
    part: Partition,
    scores: np.ndarray,
    detectors: pa.ChunkedArray,
    min_size: int,
    min_score: float,
) -> list[CandidateNetwork]:
    """Candidate networks of Leiden's communities (two members or more, largest first): each member's score is
    ``1 - prod(1 - min(s, 1))`` over its links inside the community, the network's the mean; density and the
    detectors that fired count the internal links. Columnar over the links (a million at 5M actions)."""
    label = part.label
    k = int(label.max()) + 1 if len(label) else 0
    inside = label[part.edge_a] == label[part.edge_b]
    # multiplied link by link in the links' order, a then b, as a loop over the links would: the same floats
    miss = np.ones(len(part.names))
    ends = np.column_stack((part.edge_a[inside], part.edge_b[inside])).ravel()
    np.multiply.at(miss, ends, np.repeat(1.0 - np.minimum(scores[inside], 1.0), 2))
    inner = label[part.edge_a[inside]]  # the community of each internal link
    internal = np.bincount(inner, minlength=k)
    # detectors per community: each distinct (community, detectors) once, in order of first appearance, so that
    # ties in the counts keep the order in which the detectors were first seen
    encoded = pc.dictionary_encode(detectors.combine_chunks())
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    names = encoded.dictionary.to_pylist()
    width = max(len(names), 1)
    uniq, first, counts = np.unique(inner * width + codes[inside], return_index=True, return_counts=True)
    signals: list[Counter[str]] = [Counter() for _ in range(k)]
    for i in np.argsort(first, kind="stable").tolist():
        c, code = divmod(int(uniq[i]), width)
        for d in names[code].split(","):
            signals[c][d] += int(counts[i])
    members_of: list[list[int]] = [[] for _ in range(k)]
    for v, c in enumerate(label.tolist()):
        members_of[c].append(v)
    networks: list[CandidateNetwork] = []
    for c, vertices in enumerate(members_of):
        n = len(vertices)
        if n < 2:
            continue
        account_scores = {part.names[v]: round(1.0 - float(miss[v]), 4) for v in vertices}
        score = round(sum(account_scores.values()) / n, 4)
        networks.append(
            CandidateNetwork(
                run_id=rid,
                network_id="",
                members=sorted(account_scores),
                score=score,
                flagged=n >= min_size and score >= min_score,
                density=round(int(internal[c]) / (n * (n - 1) / 2), 4),
                signals=ranked_counts(signals[c]),
                account_scores=account_scores,
            )
        )
    return networks


def _attach(
    ws: Workspace,
    rid: str,
    networks: list[CandidateNetwork],
    fdr: float,
    saturation: float,
    min_size: int,
    min_score: float,
) -> None:
    from flockwatch.networks.attach import attach

    flagged = {n.network_id or f"tmp{i}": n for i, n in enumerate(networks) if n.flagged}
    for key, net in flagged.items():
        net.network_id = key
    members = {m: key for key, net in flagged.items() for m in net.members}
    added = attach(ws, rid, members, fdr=fdr)
    taken_from: dict[str, CandidateNetwork] = {}
    for net in networks:
        for m in net.members:
            taken_from[m] = net
    for acc, (key, weight) in added.items():
        net = flagged[key]
        old = taken_from.get(acc)
        if old is not None and old is not net:
            old.members.remove(acc)
            old.account_scores.pop(acc, None)
        net.members.append(acc)
        net.account_scores[acc] = round(min(1.0, weight / saturation), 4)
        net.signals["attached"] = net.signals.get("attached", 0) + 1
        net.joined_by[acc] = "attach"
        net.member_evidence[acc] = {
            "joined_by": "attach",
            "neg_log10_p": round(weight, 3),
            "test": "episodes on the network's co-action cells beyond chance",
        }
    _rescore(networks, min_size, min_score)


def _grow(
    ws: Workspace, networks: list[CandidateNetwork], min_score_grow: float, min_size: int, min_score: float
) -> tuple[dict[str, Any], dict[str, CandidateNetwork]]:
    """Add accounts the seed-anchored expansion ties to flagged members (``grow.py``); returns its statistics and
    the networks by the provisional keys the evidence names (renamed by :func:`_name_votes`)."""
    from flockwatch.networks.grow import grow

    flagged = {f"tmp{i}": n for i, n in enumerate(networks) if n.flagged}
    members = {m: key for key, net in flagged.items() for m in net.members}
    growth = grow(ws, members, min_score=min_score_grow)
    taken_from = {m: net for net in networks for m in net.members}
    for acc, (key, score, evidence) in growth.joins.items():
        net = flagged[key]
        old = taken_from.get(acc)
        if old is not None and old is not net:
            old.members.remove(acc)
            old.account_scores.pop(acc, None)
            old.joined_by.pop(acc, None)
            old.member_evidence.pop(acc, None)
        net.members.append(acc)
        net.account_scores[acc] = score
        net.signals["grown"] = net.signals.get("grown", 0) + 1
        net.joined_by[acc] = "grow"
        net.member_evidence[acc] = evidence
    _rescore(networks, min_size, min_score)
    return {"enabled": True, **growth.stats}, flagged


def _assess(
    ws: Workspace, networks: list[CandidateNetwork], drop_families: Sequence[str], evidence: AccountEvidence
) -> None:
    """Assess every coordinated network (``assessment.py``); authentic ones stay visible but are not flagged.

    ``flagged`` on entry is the coordination threshold (size and score, as clustering and ``_rescore`` set it)."""
    from flockwatch.networks.assessment import AUTHENTIC, assess_groups

    for net in networks:
        net.coordinated = net.flagged
        if not net.coordinated:
            net.assessment, net.inauthenticity, net.priority = "", 0.0, 0.0
            net.assessment_detail, net.member_assessment, net.member_indicators = {}, {}, {}
    coordinated = {f"c{i}": n for i, n in enumerate(networks) if n.coordinated}
    if not coordinated:
        return
    result = assess_groups(
        ws,
        {k: n.members for k, n in coordinated.items()},
        {k: n.score for k, n in coordinated.items()},
        evidence=evidence,
        background_exclude=[m for n in coordinated.values() for m in n.members],
        drop_families=drop_families,
    )
    for key, net in coordinated.items():
        a = result[key]
        net.assessment = a.assessment
        net.inauthenticity = a.inauthenticity
        net.priority = a.priority
        net.assessment_detail = a.to_dict()
        net.member_assessment = a.member_assessment
        net.member_indicators = a.member_indicators
        net.flagged = net.coordinated and a.assessment != AUTHENTIC


def _name_votes(networks: list[CandidateNetwork], by_key: dict[str, CandidateNetwork]) -> None:
    """Replace provisional network keys in grown members' ``network_votes`` with final ids (top 5 kept)."""
    for net in networks:
        for ev in net.member_evidence.values():
            votes = ev.get("network_votes")
            if ev.get("joined_by") == "grow" and votes:
                named = [(by_key[k].network_id, v) for k, v in votes.items() if k in by_key]
                ev["network_votes"] = dict(sorted(named, key=lambda kv: -kv[1])[:5])


def _rescore(networks: list[CandidateNetwork], min_size: int, min_score: float) -> None:
    for net in networks:
        net.members.sort()
        net.network_id = ""
        if net.members:
            net.score = round(sum(net.account_scores.values()) / len(net.members), 4)
        net.flagged = len(net.members) >= min_size and net.score >= min_score
    networks[:] = [n for n in networks if len(n.members) >= 2]


def _describe(ws: Workspace, rid: str, networks: list[CandidateNetwork]) -> None:
    """Timeline, top shared targets and the readable explanation, from the stored evidence of internal edges."""
    e = ws.engine
    membership = [(net.network_id, m) for net in networks if net.flagged or net.size >= 3 for m in net.members]
    if not membership:
        for net in networks:
            net.explanation = _explain(net)
        return
    import pyarrow as pa

    with e.scratch("describe") as s:
        members_t = s.register(
            "members", pa.table({"network_id": [x for x, _ in membership], "account_id": [m for _, m in membership]})
        )
        # the internal edges' evidence, joined to the members once and read by the three summaries below
        e.sql(
            f"""CREATE OR REPLACE TEMP TABLE {s.internal} AS
                SELECT ma.network_id, ev.detector, ev.target, ev.acted_at_a
                  FROM edge_evidence ev JOIN {members_t} ma ON ma.account_id = ev.account_a
                  JOIN {members_t} mb ON mb.account_id = ev.account_b AND mb.network_id = ma.network_id
                 WHERE ev.run_id = ?""",
            [rid],
        )
        span = {
            r[0]: (r[1], r[2])
            for r in e.sql(f"SELECT network_id, min(acted_at_a), max(acted_at_a) FROM {s.internal} GROUP BY 1").rows()
        }
        targets: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for nid, det, target, cnt in e.sql(
            f"""
SELECT network_id, detector, target, cnt FROM (
  SELECT network_id, detector, target, count(*) AS cnt,
         row_number() OVER (PARTITION BY network_id ORDER BY count(*) DESC, target, detector) AS rn
    FROM {s.internal} GROUP BY 1, 2, 3) WHERE rn <= 5 ORDER BY network_id, rn"""
        ).rows():
            targets[nid].append({"detector": det, "target": target, "co_actions": cnt})
        timeline: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for nid, day, cnt in e.sql(
            f"SELECT network_id, CAST(acted_at_a AS DATE) AS day, count(*) FROM {s.internal} GROUP BY 1, 2 ORDER BY 1, 2"
        ).rows():
            timeline[nid].append({"day": day.isoformat(), "co_actions": cnt})
    for net in networks:
        net.first_at, net.last_at = span.get(net.network_id, (None, None))
        net.top_targets = targets.get(net.network_id, [])
        net.timeline = timeline.get(net.network_id, [])
        net.explanation = _explain(net)


def _explain(net: CandidateNetwork) -> str:
    signals = ", ".join(f"{d} ({n} pairs)" for d, n in net.signals.items() if d not in ADDED_BY) or "none"
    level = "high" if net.score >= 0.8 else "moderate" if net.score >= DEFAULT_MIN_SCORE else "low"
    text = (
        f"Candidate network of {net.size} accounts; {level} confidence (score {net.score:.2f}). "
        f"{net.density:.0%} of member pairs are linked by co-actions that are unlikely under chance "
        f"given each account's activity and each target's popularity. Signals: {signals}."
    )
    if net.first_at and net.last_at:
        text += f" Evidence spans {net.first_at:%Y-%m-%d %H:%M} to {net.last_at:%Y-%m-%d %H:%M} UTC."
    if net.top_targets:
        t = net.top_targets[0]
        text += f" Most shared target: {t['target'][:80]!r} ({t['detector']}, {t['co_actions']} co-actions)."
    if net.signals.get("attached"):
        text += (
            f" {net.signals['attached']} account(s) were attached because their activity concentrates on this "
            "network's co-action targets beyond chance."
        )
    if net.assessment:
        text += f" Assessment: {net.assessment.replace('_', ' ')}. {net.assessment_detail.get('reason', '')}"
    weak = sum(1 for v in net.member_assessment.values() if v == runs.WEAKLY_LINKED)
    if weak:
        text += (
            f" {weak} member(s) do not carry the flag: linked only through popular ordinary posts or growth without "
            "a behavioural tie, and showing none of the network's evidence families themselves (see each member)."
        )
    if net.signals.get("grown"):
        text += (
            f" {net.signals['grown']} low-activity account(s) were added by growth: their co-actions with, "
            "amplification of, or shared login infrastructure with members are unlikely for unrelated accounts "
            "(calibrated against decoy account sets); see each member's evidence."
        )
    return text


def _store(ws: Workspace, rid: str, networks: list[CandidateNetwork], params: dict[str, Any]) -> None:
    import pyarrow as pa

    e = ws.engine
    with e.transaction():
        e.sql("DELETE FROM networks WHERE run_id = ?", [rid])
        e.sql("DELETE FROM network_members WHERE run_id = ?", [rid])
        if not networks:
            return
        e.insert_arrow(
            "networks",
            pa.table(
                {
                    "run_id": [rid] * len(networks),
                    "network_id": [n.network_id for n in networks],
                    "size": [n.size for n in networks],
                    "score": [n.score for n in networks],
                    "flagged": [n.flagged for n in networks],
                    "density": [n.density for n in networks],
                    "signals": [json.dumps(n.signals) for n in networks],
                    "first_at": pa.array([n.first_at for n in networks], pa.timestamp("us")),
                    "last_at": pa.array([n.last_at for n in networks], pa.timestamp("us")),
                    "top_targets_json": [json.dumps(n.top_targets) for n in networks],
                    "timeline_json": [json.dumps(n.timeline) for n in networks],
                    "explanation": [n.explanation for n in networks],
                    "coordinated": [n.coordinated for n in networks],
                    "assessment": pa.array([n.assessment or None for n in networks], pa.string()),
                    "inauthenticity": [n.inauthenticity for n in networks],
                    "priority": [n.priority for n in networks],
                    "assessment_json": pa.array(
                        [json.dumps(n.assessment_detail) if n.assessment else None for n in networks], pa.string()
                    ),
                }
            ),
        )
        rows = [
            (
                n.network_id,
                m,
                n.account_scores[m],
                n.joined_by.get(m, "cluster"),
                json.dumps(n.member_evidence[m], default=str) if m in n.member_evidence else None,
                n.member_assessment.get(m),
                json.dumps(n.member_indicators[m]) if m in n.member_indicators else None,
            )
            for n in networks
            for m in n.members
        ]
        e.insert_arrow(
            "network_members",
            pa.table(
                {
                    "run_id": [rid] * len(rows),
                    "network_id": [r[0] for r in rows],
                    "account_id": [r[1] for r in rows],
                    "account_score": [r[2] for r in rows],
                    "joined_by": [r[3] for r in rows],
                    "evidence_json": pa.array([r[4] for r in rows], pa.string()),
                    "assessment": pa.array([r[5] for r in rows], pa.string()),
                    "indicators": pa.array([r[6] for r in rows], pa.string()),
                }
            ),
        )
        e.sql(
            "UPDATE detection_runs SET params_json = json_merge_patch(params_json, ?) WHERE run_id = ?",
            [json.dumps({"networks": params}), rid],
        )


def load_networks(ws: Workspace, run_id: str | None = None, flagged_only: bool = False) -> list[CandidateNetwork]:
    """Read the stored candidate networks of a run (default: the latest)."""
    rid = runs.resolve_run(ws.engine, run_id)
    e = ws.engine
    where = " AND flagged" if flagged_only else ""
    members: dict[str, dict[str, float]] = defaultdict(dict)
    joined: dict[str, dict[str, str]] = defaultdict(dict)
    evidence: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    verdicts: dict[str, dict[str, str]] = defaultdict(dict)
    indicators: dict[str, dict[str, list[str]]] = defaultdict(dict)
    for nid, acc, s, how, ev, verdict, ind in e.sql(
        "SELECT network_id, account_id, account_score, joined_by, evidence_json, assessment, indicators "
        "FROM network_members "
        "WHERE run_id = ? ORDER BY network_id, account_score DESC, account_id",
        [rid],
    ).rows():
        members[nid][acc] = s
        if how and how != "cluster":
            joined[nid][acc] = how
        if ev:
            evidence[nid][acc] = json.loads(ev)
        if verdict:
            verdicts[nid][acc] = verdict
        if ind:
            indicators[nid][acc] = json.loads(ind)
    out = []
    for r in e.sql(f"SELECT * FROM networks WHERE run_id = ?{where} ORDER BY network_id", [rid]).dicts():
        nid = r["network_id"]
        m = members.get(r["network_id"], {})
        out.append(
            CandidateNetwork(
                run_id=rid,
                network_id=r["network_id"],
                members=sorted(m),
                score=r["score"],
                flagged=r["flagged"],
                density=r["density"],
                signals=json.loads(r["signals"] or "{}"),
                first_at=r["first_at"],
                last_at=r["last_at"],
                top_targets=json.loads(r["top_targets_json"] or "[]"),
                timeline=json.loads(r["timeline_json"] or "[]"),
                account_scores=m,
                explanation=r["explanation"],
                joined_by=joined.get(r["network_id"], {}),
                member_evidence=evidence.get(r["network_id"], {}),
                coordinated=bool(r["coordinated"]) if r["coordinated"] is not None else bool(r["flagged"]),
                assessment=r["assessment"] or "",
                inauthenticity=r["inauthenticity"] or 0.0,
                priority=r["priority"] or 0.0,
                assessment_detail=json.loads(r["assessment_json"]) if r["assessment_json"] else {},
                member_assessment=verdicts.get(nid, {}),
                member_indicators=indicators.get(nid, {}),
            )
        )
    return out


def explain_pair(
    ws: Workspace, account_a: str, account_b: str, run_id: str | None = None, evidence_limit: int = 5
) -> dict[str, Any]:
    """Why two accounts are linked: per-detector observed vs expected co-actions, p-values and sample evidence."""
    rid = runs.resolve_run(ws.engine, run_id)
    a, b = sorted((account_a, account_b))
    e = ws.engine
    comps = e.sql(
        """SELECT detector, episodes_count, co_actions_count, expected_count, p_value, q_value, weight,
                            mean_dt_s FROM edges WHERE run_id = ? AND account_a = ? AND account_b = ?
                     ORDER BY weight DESC, detector""",
        [rid, a, b],
    ).dicts()
    evidence = e.sql(
        """SELECT detector, action_id_a, action_id_b, target, acted_at_a, dt_s FROM edge_evidence
                        WHERE run_id = ? AND account_a = ? AND account_b = ? ORDER BY detector, acted_at_a
                        LIMIT ?""",
        [rid, a, b, evidence_limit * max(1, len(comps))],
    ).dicts()
    lines = []
    for c in comps:
        lines.append(
            f"{c['detector']}: {c['episodes_count']} co-action episodes where about "
            f"{c['expected_count']:.2g} were expected by chance (p = {c['p_value']:.1e}, "
            f"mean gap {c['mean_dt_s']:.0f} s)"
        )
    text = (
        (f"{a} and {b} are linked by {len(comps)} signal(s): " + "; ".join(lines) + ".")
        if comps
        else f"No calibrated link between {a} and {b} in run {rid}."
    )
    return {
        "run_id": rid,
        "account_a": a,
        "account_b": b,
        "components": comps,
        "evidence": evidence,
        "explanation": text,
    }


def explain_member(ws: Workspace, account_id: str, run_id: str | None = None) -> dict[str, Any]:
    """Why an account is a member of its candidate network: how it joined, its score and, for accounts added after
    clustering, the stored evidence (which members it co-acted with, action ids, shared login prefixes)."""
    rid = runs.resolve_run(ws.engine, run_id)
    rows = ws.engine.sql(
        """SELECT m.network_id, m.account_score, m.joined_by, m.evidence_json, n.flagged, m.assessment
                            FROM network_members m JOIN networks n USING (run_id, network_id)
                            WHERE m.run_id = ? AND m.account_id = ?""",
        [rid, account_id],
    ).rows()
    if not rows:
        return {
            "run_id": rid,
            "account_id": account_id,
            "network_id": None,
            "evidence": None,
            "explanation": f"{account_id} is in no candidate network of run {rid}.",
        }
    nid, score, how, ev_json, flagged, verdict = rows[0]
    how = how or "cluster"
    ev = json.loads(ev_json) if ev_json else None
    kind = "candidate network" if flagged else "candidate network (below the flagging threshold)"
    text = f"{account_id} is a member of {kind} {nid} (account score {score:.2f}, read as confidence). "
    if how == "cluster":
        text += "It joined through its calibrated co-action links to other members; see `networks explain A B`."
    elif how == "attach":
        text += (
            (
                "It was attached because its activity concentrates on the network's co-action targets beyond "
                f"chance (-log10 p = {ev.get('neg_log10_p', 0):.1f})."
            )
            if ev
            else "It was attached."
        )
    else:
        text += "It was added by growth from the flagged members: " + _growth_reasons(ev or {}) + "."
    if verdict == runs.WEAKLY_LINKED and ev and "not_flagged" in ev:
        text += f" It does not carry the network's flag: {ev['not_flagged']['reason']}."
    return {
        "run_id": rid,
        "account_id": account_id,
        "network_id": nid,
        "account_score": score,
        "joined_by": how,
        "evidence": ev,
        "explanation": text,
    }


def _growth_reasons(ev: dict[str, Any]) -> str:
    parts = []
    if "co_action" in ev:
        c = ev["co_action"]
        parts.append(f"{c['hits']} co-action(s) with members where about {c['expected']:.2g} were expected by chance")
    if "amplification" in ev:
        a = ev["amplification"]
        parts.append(f"{a['actions']} action(s) amplifying members where about {a['expected']:.2g} were expected")
    if "infrastructure" in ev:
        prefixes = ", ".join(ev["infrastructure"].get("shared_prefixes", [])[:3]) or "shared ASNs"
        parts.append(f"login infrastructure shared with members ({prefixes})")
    if "creation" in ev:
        parts.append(f"created on {ev['creation'].get('created_day')} in a burst with members (corroborating)")
    if "name_template" in ev:
        parts.append(f"screen name of the members' template {ev['name_template'].get('template')!r} (corroborating)")
    linked = ", ".join(ev.get("linked_accounts", [])[:5])
    text = "; ".join(parts) or "evidence against the members"
    if linked:
        text += f" (linked members include {linked})"
    if "score" in ev:
        text += f"; calibrated score {ev['score']:.2f} against decoy account sets"
    return text
