"""Inauthenticity assessment of candidate networks: coordinated *inauthentic* behaviour, or genuine people acting
together?

Consumes a workspace and candidate networks (coordination already established by the detectors); produces, per
network, an :class:`Assessment` — ``coordinated_inauthentic``, ``coordinated_authentic`` or
``insufficient_evidence`` — with one evidence row per evidence family, and per member its own indicators and label.
Platforms remove *coordinated inauthentic behaviour* (fake, bulk-created, automated or concealed accounts working
together), not people who act together: a fandom retweeting its star within minutes, thousands of people at one
event hashtag, news outlets syndicating one wire story, sports fans during a match.

Evidence families (each reuses an account signal of ``flockwatch.signals`` with its own false-positive notes; a
member *shows* a family when its signal passes the family's cut):

==================  ===============================  ==============================================================
family              signal (cut)                     what it says about a member
==================  ===============================  ==============================================================
creation_burst      creation_burst (>= 0.999)        created on a day far above the platform's sign-up rate
account_age         account_age (>= 0.9)             first acted within ~5 weeks of being created
name_template       name_template shape              its handle has the network's over-represented shape
profile_reuse       profile_reuse (>= 0.9)           bio/website shared with 10+ accounts
infrastructure      vpn_use (>= 0.5) or              mostly logs in through VPN exits, or from an IP prefix shared
                    shared_infrastructure (>= 0.95)  with 20+ accounts
location_login      location_login_mismatch (>=0.5)  claims a place it does not log in from (the 2019 case)
automation          automation_cadence (>= 0.5)      scheduler-regular timing
follower_anomaly    follower_anomaly (>= 0.5)        at most 9 followers
history_            history_discontinuity (>= 0.5)   dormant 30+ days then active, switched its dominant language,
discontinuity                                        or seen under two or more handles
==================  ===============================  ==============================================================

Per family and network: ``k`` of the ``n`` members with data show it; the background rate ``p0`` is the share among
the platform's *uncoordinated* accounts (in no candidate network of ``min_size`` or more; all accounts when that set
is empty, e.g. a takedown archive), with a +1/+2 prior. On a platform of more than ``BACKGROUND_SAMPLE_ACCOUNTS``
accounts the background is a deterministic sample of that many accounts (by a hash of the id), the members always
in: a share estimated on 50,000 accounts is within ~0.1 percentage point of the census (binomial standard error at
p0 = 1%: 0.045 points), and the signals then read the sample's actions instead of every account's. The family
**supports** inauthenticity when the members' share ``k / n`` is at least ``min_share`` and at least ``min_lift``
times ``p0`` (or, near-unanimous, at least ``NEAR_UNANIMOUS_SHARE`` and ``NEAR_UNANIMOUS_MIN_LIFT`` times ``p0`` —
added after the red team showed aged accounts evading: a location contradicted by every member's logins is strong
evidence even where half of ordinary accounts show some mismatch), and the Poisson tail ``P(K >= k | n p0)`` is at
most ``max_p`` (a conservative stand-in for the binomial tail when ``p0`` is small). For
``name_template`` the shape tested is the members' most over-represented one, ``p0`` that shape's background share.

Verdict:

* ``coordinated_inauthentic`` — at least ``min_families`` (2) families support it: no single family (a name shape,
  young accounts) carries a verdict alone, and ``flockwatch.evaluate``'s ablation removes each in turn;
* ``coordinated_authentic`` — positive evidence of authenticity: creation dates *and* follower counts known for at
  least ``min_coverage`` of the members, at least ``min_covered_families`` (4) families with data for that share of
  members, and fewer than ``min_families`` supporting (a file of ids and creation dates alone is not enough to
  clear anyone);
* ``insufficient_evidence`` — otherwise (no profiles or logins, as in a CNT or CooRTweet share log or the IRA
  files): missing data never makes a network look authentic. Such networks stay flagged on coordination alone and
  say so.

Inauthenticity score (in [0, 1], an ordering, not a probability): the noisy-OR ``1 - prod(1 - e_f)`` over supporting
families of the excess share ``e_f = (k/n - p0) / (1 - p0)``; 0.5 (unknown) for insufficient evidence, 0 for
authentic. Queue priority = coordination score x inauthenticity x reach, reach = ``log10(1 + followers of the
members) / log10(1 + the largest such sum in the run)``. Calibration: the coordination score is calibrated against
chance co-action (``detect/calibration.py``), the inauthenticity families against the platform's uncoordinated
accounts; reach is relative to the run. The product orders the queue; it is not a probability of a violation.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flockwatch.core.stats import poisson_log_sf, ranked_counts
from flockwatch.errors import UnknownNameError
from flockwatch.signals.base import account_scope
from flockwatch.signals.registry import compute_signals
from flockwatch.workspace import Workspace

INAUTHENTIC = "coordinated_inauthentic"
AUTHENTIC = "coordinated_authentic"
INSUFFICIENT = "insufficient_evidence"
ASSESSMENTS = (INAUTHENTIC, AUTHENTIC, INSUFFICIENT)

#: family → (signal rows it reads, cut on the signal value; None = handled by shape).
FAMILIES: dict[str, tuple[tuple[str, ...], float | None]] = {
    "creation_burst": (("creation_burst",), 0.999),
    "account_age": (("account_age",), 0.9),
    "name_template": (("name_template",), None),
    "profile_reuse": (("profile_reuse",), 0.9),
    "infrastructure": (("vpn_use", "shared_infrastructure"), None),
    "location_login": (("location_login_mismatch",), 0.5),
    "automation": (("automation_cadence",), 0.5),
    "follower_anomaly": (("follower_anomaly",), 0.5),
    "history_discontinuity": (("history_discontinuity",), 0.5),
}
#: signal families (``signals/registry.py``) computed for the assessment
SIGNAL_FAMILIES = (
    "creation_burst",
    "account_age",
    "name_template",
    "profile_reuse",
    "infrastructure",
    "location_login",
    "automation_cadence",
    "follower_anomaly",
    "history_discontinuity",
)
_INFRA_CUTS = {"vpn_use": 0.5, "shared_infrastructure": 0.95}

DEFAULT_MIN_SHARE = 0.2
DEFAULT_MIN_LIFT = 3.0
#: a family shown by nearly all members needs only ``NEAR_UNANIMOUS_MIN_LIFT`` times the background (see below)
NEAR_UNANIMOUS_SHARE = 0.8
NEAR_UNANIMOUS_MIN_LIFT = 2.0
DEFAULT_MAX_P = 1e-3
DEFAULT_MIN_FAMILIES = 2
DEFAULT_MIN_COVERAGE = 0.5
DEFAULT_MIN_COVERED_FAMILIES = 4
#: inauthenticity given to a network whose data cannot tell (neither evidence for nor against)
UNKNOWN_INAUTHENTICITY = 0.5


@dataclass
class Assessment:
    """The inauthenticity assessment of one network: verdict, score, evidence rows and each member's indicators."""

    assessment: str
    inauthenticity: float
    reach: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    member_indicators: dict[str, list[str]] = field(default_factory=dict)
    member_assessment: dict[str, str] = field(default_factory=dict)
    priority: float = 0.0

    def supporting(self) -> list[str]:
        return [r["family"] for r in self.rows if r["supports"]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "inauthenticity": self.inauthenticity,
            "reach_followers": self.reach,
            "priority": self.priority,
            "reason": self.reason,
            "supporting_families": self.supporting(),
            "evidence": self.rows,
        }


#: Background accounts read by :func:`collect` when it is given the members: above this many accounts, a sample of
#: this many (plus the members) stands for the platform.
BACKGROUND_SAMPLE_ACCOUNTS = 50_000


@dataclass
class AccountEvidence:
    """Per-account family indicators over the platform (the background; a sample of it on a large platform, see
    :func:`collect`) and the accounts' reach."""

    has_data: dict[str, set[str]]
    shows: dict[str, set[str]]
    shape: dict[str, str]
    created_known: set[str]
    followers: dict[str, int]
    #: accounts the background was read from, and all accounts of the platform (equal when no sample was drawn)
    background_accounts: int = 0
    platform_accounts: int = 0

    @property
    def sampled(self) -> bool:
        return self.background_accounts < self.platform_accounts


#: signal family → SQL that is true when the workspace holds the input the family reads; a family without it
#: yields no rows (its signal joins on or filters by that input), so it is not computed at all. Share logs
#: (coordination-network-toolkit, CooRTweet files) hold no profiles, logins or follower counts.
_SIGNAL_INPUTS = {
    "creation_burst": "EXISTS (SELECT 1 FROM accounts WHERE created_at IS NOT NULL)",
    "account_age": "EXISTS (SELECT 1 FROM accounts WHERE created_at IS NOT NULL)",
    "follower_anomaly": "EXISTS (SELECT 1 FROM accounts WHERE follower_count IS NOT NULL)",
    "infrastructure": "EXISTS (SELECT 1 FROM infrastructure)",
    "location_login": "EXISTS (SELECT 1 FROM infrastructure) AND EXISTS (SELECT 1 FROM accounts "
    "WHERE reported_location IS NOT NULL)",
}


def _signal_families_with_input(ws: Workspace) -> list[str]:
    """The assessment's signal families whose input the workspace holds (see ``_SIGNAL_INPUTS``)."""
    inputs = dict(_SIGNAL_INPUTS)
    avatar = ws.engine.sql(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'avatar_hash'"
    ).scalar()
    if not avatar:  # profile_reuse reads descriptions, profile URLs and (where the column exists) avatar hashes
        inputs["profile_reuse"] = (
            "EXISTS (SELECT 1 FROM accounts WHERE description IS NOT NULL OR profile_url IS NOT NULL)"
        )
    names = [f for f in SIGNAL_FAMILIES if f in inputs]
    checks = ws.engine.sql("SELECT " + ", ".join(inputs[f] for f in names)).one() or ()
    missing = {f for f, ok in zip(names, checks, strict=True) if not ok}
    return [f for f in SIGNAL_FAMILIES if f not in missing]


def collect(
    ws: Workspace,
    families: Sequence[str] | None = None,
    members: Iterable[str] | None = None,
    background_sample: int | None = BACKGROUND_SAMPLE_ACCOUNTS,
) -> AccountEvidence:
    """Family indicators of the accounts the assessment reads: every account (one pass over the platform) unless
    ``members`` is given and the platform has more than ``background_sample`` accounts; then ``members`` plus a
    deterministic sample of ``background_sample`` accounts (DuckDB's ``hash`` of the id: the same accounts on every
    run of the same data), whose shares stand for the platform's."""
    scope, n_background, n_all = _evidence_scope(ws, members, background_sample)
    table = compute_signals(ws, scope, families=_signal_families_with_input(ws))
    accs = table.column("account_id").to_pylist()
    sigs = table.column("signal").to_pylist()
    vals = table.column("value").to_pylist()
    evs = table.column("evidence").to_pylist()
    wanted = set(families or FAMILIES)
    signal_family = {s: f for f, (signals, _) in FAMILIES.items() for s in signals if f in wanted}
    has_data: dict[str, set[str]] = defaultdict(set)
    shows: dict[str, set[str]] = defaultdict(set)
    shape: dict[str, str] = {}
    for acc, sig, val, ev in zip(accs, sigs, vals, evs, strict=True):
        fam = signal_family.get(sig)
        if fam is None:
            continue
        has_data[fam].add(acc)
        if fam == "name_template":
            shape[acc] = json.loads(ev).get("shape") or ""
            continue
        cut = _INFRA_CUTS[sig] if fam == "infrastructure" else FAMILIES[fam][1]
        if cut is not None and val is not None and val >= cut:
            shows[fam].add(acc)
    created_known = {
        a for (a,) in ws.engine.sql("SELECT DISTINCT account_id FROM accounts WHERE created_at IS NOT NULL").rows()
    }
    followers = {
        a: int(f)
        for a, f in ws.engine.sql(
            "SELECT account_id, max(follower_count) FROM accounts WHERE follower_count IS NOT NULL GROUP BY 1"
        ).rows()
    }
    return AccountEvidence(dict(has_data), dict(shows), shape, created_known, followers, n_background, n_all)


def _evidence_scope(
    ws: Workspace, members: Iterable[str] | None, background_sample: int | None
) -> tuple[list[str] | None, int, int]:
    """``(account ids or None for all, background accounts read, platform accounts)`` for :func:`collect`."""
    e = ws.engine
    with account_scope(e) as everyone, e.scratch("evidencescope") as s:  # the signals' own "every account"
        # the distinct accounts once (a pass over every action), then counted and sampled
        e.sql(
            f"CREATE TEMP TABLE {s.every} AS SELECT account_id, hash(account_id) % 1000000 AS h "
            f"FROM (SELECT DISTINCT account_id FROM {everyone.accounts_sql})"
        )
        n_all = e.count(s.every)
        if members is None or background_sample is None or n_all <= background_sample:
            return None, n_all, n_all
        # a share of the hash space, so the sample is the same set of accounts whatever order the data came in
        per_million = max(1, math.ceil(1_000_000 * background_sample / n_all))
        sample = [a for (a,) in e.sql(f"SELECT account_id FROM {s.every} WHERE h < {per_million}").rows()]
    return sorted(set(sample) | set(members)), len(sample), n_all


def assess_groups(
    ws: Workspace,
    groups: dict[str, list[str]],
    coordination: dict[str, float],
    evidence: AccountEvidence | None = None,
    background_exclude: Iterable[str] = (),
    drop_families: Sequence[str] = (),
    min_share: float = DEFAULT_MIN_SHARE,
    min_lift: float = DEFAULT_MIN_LIFT,
    max_p: float = DEFAULT_MAX_P,
    min_families: int = DEFAULT_MIN_FAMILIES,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    min_covered_families: int = DEFAULT_MIN_COVERED_FAMILIES,
) -> dict[str, Assessment]:
    """Assess each group of accounts (key → members); ``coordination`` gives each group's coordination score.

    ``background_exclude``: accounts left out of the background (members of candidate networks).
    ``drop_families``: evidence families ignored (the ablation).
    """
    for f in drop_families:
        if f not in FAMILIES:
            raise UnknownNameError("evidence family", f, list(FAMILIES))
    ev = evidence or collect(ws)
    families = [f for f in FAMILIES if f not in drop_families]
    excluded = set(background_exclude)
    base: dict[str, tuple[int, int]] = {}
    for f in families:
        data = ev.has_data.get(f, set())
        bg = data - excluded if len(data - excluded) >= 10 else data
        if f == "name_template":
            base[f] = (len(bg), 0)
        else:
            base[f] = (len(bg), len(bg & ev.shows.get(f, set())))
    bg_shapes: Counter[str] = Counter()
    if "name_template" in families:
        data = ev.has_data.get("name_template", set())
        bg = data - excluded if len(data - excluded) >= 10 else data
        bg_shapes = Counter(ev.shape.get(a, "") for a in bg)
    out: dict[str, Assessment] = {}
    for key, members in groups.items():
        out[key] = _assess_one(
            members,
            ev,
            families,
            base,
            bg_shapes,
            min_share,
            min_lift,
            max_p,
            min_families,
            min_coverage,
            min_covered_families,
        )
    reaches = [a.reach for a in out.values()]
    top = max(reaches, default=0)
    for key, a in out.items():
        reach_factor = math.log10(1 + a.reach) / math.log10(1 + top) if top > 0 else 1.0
        a.priority = round(coordination.get(key, 0.0) * a.inauthenticity * reach_factor, 4)
    return out


def _assess_one(
    members: list[str],
    ev: AccountEvidence,
    families: list[str],
    base: dict[str, tuple[int, int]],
    bg_shapes: Counter[str],
    min_share: float,
    min_lift: float,
    max_p: float,
    min_families: int,
    min_coverage: float,
    min_covered_families: int,
) -> Assessment:
    mset = set(members)
    rows: list[dict[str, Any]] = []
    indicators: dict[str, list[str]] = defaultdict(list)
    for f in families:
        data = mset & ev.has_data.get(f, set())
        n = len(data)
        n_bg, k_bg = base[f]
        detail: dict[str, Any] = {}
        if f == "name_template":
            shapes = Counter(ev.shape.get(a, "") for a in data)
            best, k, p0 = "", 0, 1.0
            best_lift = 0.0
            # the twenty most common shapes, ties by shape (a Counter's order of equal counts is the order the
            # members' set gave them, which differs between processes, and so did the shape picked)
            for s, c in list(ranked_counts(shapes).items())[:20]:
                q = (bg_shapes.get(s, 0) + 1) / (n_bg + 2)
                if (c / n) / q > best_lift:
                    best, k, p0, best_lift = s, c, q, (c / n) / q
            hits = {a for a in data if ev.shape.get(a, "") == best} if best else set()
            detail["shape"] = best
        else:
            hits = data & ev.shows.get(f, set())
            k = len(hits)
            p0 = (k_bg + 1) / (n_bg + 2)
        share = k / n if n else 0.0
        lift = share / p0 if n else 0.0
        log_p = float(poisson_log_sf(np.array([k]), np.array([max(n * p0, 1e-12)]))[0]) if k else 0.0
        p_value = math.exp(log_p)
        # near-unanimity is a strong effect even over a common background (red team, aged accounts: every member
        # claiming Hong Kong logged in elsewhere, against 46% of ordinary accounts with a mismatched location)
        strong = share >= min_share and lift >= min_lift
        unanimous = share >= NEAR_UNANIMOUS_SHARE and lift >= NEAR_UNANIMOUS_MIN_LIFT
        supports = n >= 3 and (strong or unanimous) and p_value <= max_p
        if supports:
            for a in hits:
                indicators[a].append(f)
        rows.append(
            {
                "family": f,
                "members_with_data": n,
                "members_showing": k,
                "share": round(share, 4),
                "background_share": round(p0, 6),
                "background_accounts": n_bg,
                "lift": round(lift, 2),
                "p_value": p_value,
                "supports": supports,
                **detail,
            }
        )
    supporting = [r for r in rows if r["supports"]]
    size = max(1, len(mset))
    covered = [r for r in rows if r["members_with_data"] >= min_coverage * size]
    created = len(mset & ev.created_known) / size
    with_followers = sum(1 for a in mset if a in ev.followers) / size
    reach = sum(ev.followers.get(a, 0) for a in mset)
    if len(supporting) >= min_families:
        miss = 1.0
        for r in supporting:
            p0 = r["background_share"]
            miss *= 1.0 - max(0.0, (r["share"] - p0) / (1.0 - p0)) if p0 < 1 else 1.0
        verdict, score = INAUTHENTIC, round(1.0 - miss, 4)
        reason = (
            f"{len(supporting)} independent evidence families set the members apart from the platform's "
            f"uncoordinated accounts: "
            + "; ".join(
                f"{r['family']} ({r['members_showing']}/{r['members_with_data']} members, "
                f"{r['lift']:.0f}x the background)"
                for r in supporting
            )
            + "."
        )
    elif created >= min_coverage and with_followers >= min_coverage and len(covered) >= min_covered_families:
        verdict, score = AUTHENTIC, 0.0
        reason = (
            f"Coordinated, but the members look like genuine accounts: profiles and activity of most members were "
            f"examined in {len(covered)} evidence families and "
            + (
                f"only {supporting[0]['family']} departs from the platform's uncoordinated accounts"
                if supporting
                else "none departs from the platform's uncoordinated accounts"
            )
            + f" (at least {min_families} needed). People who act together are not, by that alone, inauthentic."
        )
    else:
        verdict, score = INSUFFICIENT, UNKNOWN_INAUTHENTICITY
        reason = (
            "The data cannot tell whether these accounts are authentic: "
            f"creation dates for {created:.0%} and follower counts for {with_followers:.0%} of members, "
            f"{len(covered)} evidence families with data for most members (profiles, logins or activity missing, as "
            "in share logs and public archives). The network "
            "stays flagged on coordination alone; missing data never counts as authentic."
        )
    # each member's own indicators: the families it shows itself (the name shape only where the family supports)
    own: dict[str, list[str]] = {}
    for a in mset:
        mine = [f for f in families if f != "name_template" and a in ev.shows.get(f, set())]
        if "name_template" in indicators.get(a, []):
            mine.append("name_template")
        own[a] = sorted(mine)
    member_assessment = {}
    for a in mset:
        if verdict == AUTHENTIC and len(own[a]) > min_families:
            member_assessment[a] = INAUTHENTIC
        else:
            member_assessment[a] = verdict
    return Assessment(
        assessment=verdict,
        inauthenticity=score,
        reach=reach,
        rows=rows,
        reason=reason,
        member_indicators={a: v for a, v in own.items() if v},
        member_assessment=member_assessment,
    )
