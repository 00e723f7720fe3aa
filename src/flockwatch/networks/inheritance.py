"""Which members of a flagged network carry its flag: a member needs evidence of its own or a specific tie.

Consumes a workspace, a run id, the run's candidate networks after the inauthenticity assessment
(``assessment.py``: verdict, supporting families, each member's own indicators) and the platform's per-account
evidence (:class:`~flockwatch.networks.assessment.AccountEvidence`); marks, in each ``coordinated_inauthentic``
network, the members that do not carry its flag: ``member_assessment[m] = WEAKLY_LINKED`` and the reason in
``member_evidence[m]["not_flagged"]``. They stay members (visible in ``networks show``, ``--all`` exports and the
console) but are not flagged accounts: exports, evaluation and candidate operations read flagged members through
``core.runs.flagged_member_sql``.

Why: a network's verdict is a statement about its members *as a group*, and a member inherits it only if something
ties that member to the group's inauthenticity. The red team's ``organic_filler`` transform (the operation's members
also repost ordinary popular posts) showed the failure: ~20 hyperactive ordinary accounts, linked to one another by
co-reposts of popular ordinary posts, formed a small coordinated cluster; growth then joined hundreds of planted
amplifiers to it (their filler reposts co-act with those hyperactive accounts more than with anyone), the grown
majority made the network ``coordinated_inauthentic``, and every ordinary member inherited the flag — 65 of 70 false
positives at strength 2 on hk2019 (seed 1), most of them showing no evidence family of the network. The same
happens to a fandom (seed 2, strength 1): the operation's filler reposts of the star's posts grow planted
amplifiers into the fans' network, and 49 fans were flagged.

A member of a ``coordinated_inauthentic`` network does **not** carry the flag when both hold:

1. **no own evidence** — it shows none of the network's *supporting* evidence families, while it has data for at
   least one of them (missing data never clears anyone: a member without profiles or logins keeps the flag);
2. **no specific tie** —
   * joined at clustering: none of the co-actions it shares with other members (``edge_evidence`` of the run) is
     with an *anchor* — a member showing at least ``min_families`` (2) of the network's supporting families, the
     bar a whole network needs — or on a post (the target of a repost, fast repost or reply) an anchor wrote. Its
     ties then run only among ordinary accounts — co-reposts of popular ordinary posts, a fandom's same-minute
     reactions to its star — which is what put it in the network, and they say nothing about the inauthentic part.
     One family is not enough for an anchor: in a fandom swept into an operation's network, two fans who log in
     through VPNs would otherwise carry the flag to every fan they co-reposted with (red team, organic_filler at
     strength 1, seed 2: 49 fans);
   * joined by growth: its behavioural evidence against the flagged members (co-actions plus amplification, in
     nats) is below ``expansion.CORROBORATION_MIN_NATS``, the expansion's own bar for behaviour: it was added on
     shared login networks (ASNs, a prefix) and corroborating signals only;
   * attached members (``attach.py``: co-actions concentrated on the network's cells beyond chance) always keep it.

Measured on the red team (hk2019, 100k actions, amplifier factor 1): at level 0 no planted member lacks own evidence
(the rule changes nothing there); see bench/results/redteam_hk2019_*.json and the README for the curves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from flockwatch.core.runs import WEAKLY_LINKED
from flockwatch.expand.expansion import CORROBORATION_MIN_NATS
from flockwatch.workspace import Workspace

if TYPE_CHECKING:
    from flockwatch.networks.assessment import AccountEvidence
    from flockwatch.networks.build import CandidateNetwork

#: detectors whose target is a post (an action id): co-actions on them are "on a post"
POST_TARGET_DETECTORS = ("co_repost", "fast_repost", "co_reply")


def mark_weak_members(
    ws: Workspace, run_id: str, networks: Sequence[CandidateNetwork], evidence: AccountEvidence
) -> dict[str, int]:
    """Mark the members of ``coordinated_inauthentic`` networks that do not carry the flag (see the module
    docstring); returns counts by how the marked members joined."""
    from flockwatch.networks.assessment import DEFAULT_MIN_FAMILIES, INAUTHENTIC

    flagged = [n for n in networks if n.flagged and n.assessment == INAUTHENTIC]
    # step 1: members with data for a supporting family but showing none
    candidates: dict[str, tuple[CandidateNetwork, list[str]]] = {}
    for net in flagged:
        supporting = list(net.assessment_detail.get("supporting_families", []))
        if not supporting:
            continue
        for m in net.members:
            if net.joined_by.get(m, "cluster") == "attach":
                continue
            if set(net.member_indicators.get(m, [])) & set(supporting):
                continue
            if not any(m in evidence.has_data.get(f, set()) for f in supporting):
                continue
            candidates[m] = (net, supporting)
    if not candidates:
        return {}
    cluster = [m for m, (net, _) in candidates.items() if net.joined_by.get(m, "cluster") == "cluster"]
    # anchors: members whose own evidence would carry a verdict (at least ``DEFAULT_MIN_FAMILIES`` of their network's
    # supporting families, the bar a network needs: one family shown by chance — a fan on a VPN — anchors nothing)
    anchors = sorted(
        m
        for n in flagged
        for m in n.members
        if len(set(n.member_indicators.get(m, [])) & set(n.assessment_detail.get("supporting_families", [])))
        >= DEFAULT_MIN_FAMILIES
    )
    specific = _specific_cluster_ties(ws, run_id, cluster, networks, anchors) if cluster else set()
    counts: dict[str, int] = {}
    for m, (net, supporting) in candidates.items():
        how = net.joined_by.get(m, "cluster")
        if how == "cluster":
            if m in specific:
                continue
            reason = (
                "linked only through popular posts: its co-actions in the network are with ordinary members (none "
                "showing evidence of its own) and on their posts, such as co-reposts of popular ordinary posts; no "
                "own evidence: shows none of the network's evidence families (" + ", ".join(supporting) + ")"
            )
            detail: dict[str, Any] = {}
        else:
            ev = net.member_evidence.get(m, {})
            behaviour = float(ev.get("co_action", {}).get("nats", 0.0) or 0.0) + float(
                ev.get("amplification", {}).get("nats", 0.0) or 0.0
            )
            if behaviour >= CORROBORATION_MIN_NATS:
                continue
            reason = (
                f"added by growth without a behavioural tie (co-actions and amplification {behaviour:.1f} nats, "
                f"below {CORROBORATION_MIN_NATS:g}): shared login networks or corroborating signals only; no own "
                "evidence: shows none of the network's evidence families (" + ", ".join(supporting) + ")"
            )
            detail = {"behaviour_nats": round(behaviour, 3)}
        net.member_assessment[m] = WEAKLY_LINKED
        net.member_evidence[m] = {
            **net.member_evidence.get(m, {}),
            "not_flagged": {"reason": reason, "joined_by": how, **detail},
        }
        counts[how] = counts.get(how, 0) + 1
    return counts


def _specific_cluster_ties(
    ws: Workspace,
    run_id: str,
    accounts: list[str],
    networks: Sequence[CandidateNetwork],
    anchors: list[str],
) -> set[str]:
    """Of ``accounts`` (clustered members), those with at least one co-action with a fellow member in
    ``anchors`` or on a post one of them wrote."""
    e = ws.engine
    member_of = {m: n.network_id or f"tmp{i}" for i, n in enumerate(networks) for m in n.members}
    with e.scratch("inherit") as s:
        cand_t = s.register(
            "cand",
            pa.table(
                {
                    "account_id": pa.array(accounts, pa.string()),
                    "nid": pa.array([member_of[a] for a in accounts], pa.string()),
                }
            ),
        )
        members_t = s.register(
            "members",
            pa.table({"account_id": pa.array(list(member_of), pa.string()), "nid": pa.array(list(member_of.values()))}),
        )
        flagged_t = s.register("authors", pa.table({"account_id": pa.array(anchors, pa.string())}))
        dets = ", ".join(f"'{d}'" for d in POST_TARGET_DETECTORS)
        rows = e.sql(
            f"""
WITH ties AS (
  SELECT c.account_id, o.account_id AS other, ev.detector, ev.target FROM edge_evidence ev
  JOIN {cand_t} c ON c.account_id = ev.account_a JOIN {members_t} o ON o.account_id = ev.account_b AND o.nid = c.nid
  WHERE ev.run_id = ?
  UNION ALL
  SELECT c.account_id, o.account_id AS other, ev.detector, ev.target FROM edge_evidence ev
  JOIN {cand_t} c ON c.account_id = ev.account_b JOIN {members_t} o ON o.account_id = ev.account_a AND o.nid = c.nid
  WHERE ev.run_id = ?),
authors AS (
  SELECT p.action_id, any_value(p.account_id) AS author FROM actions p
  WHERE p.action_id IN (SELECT target FROM ties WHERE detector IN ({dets})) GROUP BY 1)
SELECT DISTINCT t.account_id FROM ties t LEFT JOIN authors a ON a.action_id = t.target
WHERE t.other IN (SELECT account_id FROM {flagged_t}) OR a.author IN (SELECT account_id FROM {flagged_t})""",
            [run_id, run_id],
        ).rows()
    return {r[0] for r in rows}
