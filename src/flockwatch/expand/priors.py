"""Account-level priors: what a new account's sign-up says about it before it has done much.

Consumes the workspace's ``accounts`` table (the background: every account the platform knows), a known network
(account ids: seeds and their expansion, later also accounts the watcher flags), and then profiles of new accounts
as they sign up (canonical ``accounts`` rows: ``account_id, screen_name, created_at, language, reported_location,
description``); produces, per account, per-feature log-likelihood ratios (nats) with the evidence behind each one
(:class:`PriorEvidence`: feature, value, how many network / background accounts share it).

Features (each one a platform's trust-and-safety team holds at the moment an account first acts):

- ``name_template``: the handle's length-coded shape (``core.handles.handle_shape``: ``wan83721946`` →
  ``L3D8``) and, coarser, its digit runs only (``LD8``); the stronger of the two counts (they are nested, not
  independent evidence).
- ``creation``: the stronger of
  - ``creation_day``: the share of the network created that day against the share of the background created that
    day (a network whose members keep being made on the same days);
  - ``creation_burst``: the day's creations against the platform's rate over the preceding ``burst_background_days``
    (their median, so that a burst spanning several days does not become the background of its own second day;
    Poisson test, as ``signals.creation_bursts``): when the day is a significant burst, ln(excess / expected) — the
    odds that an account made that day is one of the excess rather than the ordinary daily sign-ups — plus the
    log-ratio of the share of the network and of the background created on burst days (how much more this network
    relies on bulk creation than the platform does). Counted only when both parts are positive: a sign-up wave
    means nothing about a network that was not bulk-made.
- ``language``, ``reported_location``, ``description`` (normalised text; empty is a value too: bulk-made accounts
  often leave profiles blank, ordinary users seldom do — the background says how seldom): categorical ratios.

A categorical ratio is ``ln[((k + a) / (N_net + 2a)) / ((m + a) / (N_bg + 2a))]`` with ``k`` network accounts of
``N_net`` and ``m`` background accounts of ``N_bg`` sharing the value (``a`` = ``smoothing``), counted only when at
least ``min_network_accounts`` network accounts share it, and floored at 0: a missing or unusual profile value
lowers nothing — account-level evidence can only add to behavioural evidence, never cancel it. The background is
every known account outside the network, so undiscovered network members dilute the ratios (conservative).

Features are combined naive-Bayes style (a sum of log ratios). They are correlated in practice (a bulk-made account
has a template name *and* a burst day *and* an empty profile), so the sum overstates the evidence; the watcher
compensates by applying its expansion-calibrated threshold, which is far stricter than the 0.95 posterior such a
sum would nominally need.

State is in memory and incremental: a sign-up adds to the background counts and the day's creation count; an
account that joins the network moves from the background counts to the network counts. Extending: add a column to
:func:`feature_sql` and, when it is a plain categorical feature, its name to :data:`CATEGORICAL`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from flockwatch.core.handles import handle_shape_sql as shape_sql
from flockwatch.core.stats import poisson_log_sf
from flockwatch.engine import Engine
from flockwatch.expand.links import fetch_arrow

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

#: Categorical features: name → column of :func:`feature_sql`.
CATEGORICAL = ("name_shape", "name_digits", "language", "reported_location", "description", "created_day")

#: Feature families, as they appear in evidence rows.
FEATURES = ("name_template", "creation", "language", "reported_location", "description")

PROFILE_COLUMNS = ("account_id", "screen_name", "created_at", "language", "reported_location", "description")


def feature_sql(rel: str) -> str:
    """SELECT of the categorical features (:data:`CATEGORICAL`) of the profiles in relation ``rel``."""
    return rf"""
SELECT CAST(account_id AS VARCHAR) AS account_id,
       CASE WHEN nullif(trim(screen_name), '') IS NULL THEN NULL ELSE {shape_sql("screen_name")} END AS name_shape,
       -- letters collapsed, digit runs kept: 'LD8' (any name + 8 digits)
       CASE WHEN nullif(trim(screen_name), '') IS NULL THEN NULL
            ELSE regexp_replace({shape_sql("screen_name")}, 'L[0-9]+', 'L', 'g') END AS name_digits,
       coalesce(nullif(lower(trim(CAST(language AS VARCHAR))), ''), '(none)') AS language,
       coalesce(nullif(trim(regexp_replace(lower(CAST(reported_location AS VARCHAR)), '\s+', ' ', 'g')), ''),
                '(none)') AS reported_location,
       coalesce(nullif(left(trim(regexp_replace(lower(CAST(description AS VARCHAR)), '\s+', ' ', 'g')), 200), ''),
                '(none)') AS description,
       CAST(CAST(created_at AS DATE) AS VARCHAR) AS created_day
  FROM {rel}
"""


#: The workspace's accounts as profiles. Handles of pseudonymised accounts are hashes: their shape carries nothing.
WORKSPACE_PROFILES = """(SELECT account_id, created_at, language, reported_location, description,
                               CASE WHEN coalesce(id_is_pseudonymised, false) THEN NULL ELSE screen_name END
                                 AS screen_name FROM accounts)"""


@dataclass
class PriorParams:
    """``smoothing``: pseudo-count of the categorical ratios; ``min_network_accounts``: network accounts that must
    share a value before it is evidence (one account's quirk is not a template); ``burst_background_days``: days
    before a sign-up day whose mean rate is the expected one; ``burst_max_p``: significance of a creation burst;
    ``min_expected_per_day``: floor of the expected daily sign-ups (sparse history); ``features``: the feature
    families used (ablations, or a platform whose profiles lack a field)."""

    smoothing: float = 0.5
    min_network_accounts: int = 2
    burst_background_days: int = 15
    burst_max_p: float = 0.001
    min_expected_per_day: float = 0.5
    features: tuple[str, ...] = FEATURES


@dataclass
class PriorEvidence:
    """One feature's contribution to an account's prior."""

    feature: str
    value: str
    nats: float
    network_accounts: int
    background_accounts: int
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "feature": self.feature,
            "value": self.value,
            "nats": round(self.nats, 3),
            "network_accounts_sharing": self.network_accounts,
            "background_accounts_sharing": self.background_accounts,
        }
        out.update(self.detail)
        return out


class AccountPriors:
    """Per-feature log-likelihood ratios of account profiles against a known network and the workspace background."""

    def __init__(self, ws: Workspace, network_ids: Iterable[str], params: PriorParams | None = None) -> None:
        self.e: Engine = ws.engine
        self.p = params or PriorParams()
        self.profiles: dict[str, tuple[str | None, ...]] = {}
        self.network: set[str] = set()
        self.net: dict[str, Counter] = {f: Counter() for f in CATEGORICAL}
        self.bg: dict[str, Counter] = {f: Counter() for f in CATEGORICAL}
        self.n_net = dict.fromkeys(CATEGORICAL, 0)
        self.n_bg = dict.fromkeys(CATEGORICAL, 0)
        self.daily: Counter = Counter()
        self._burst_cache: dict[str, tuple[int, float, float]] = {}
        rows = self._features(WORKSPACE_PROFILES)
        net = set(network_ids)
        for acc, vals in rows:
            self.profiles[acc] = vals
            self._count(vals, acc in net, +1)
            if vals[-1] is not None:
                self.daily[vals[-1]] += 1
        self.network = {a for a in net if a in self.profiles}
        # How much more the network than the background was made on burst days (fixed at start: the history).
        burst_days = {d for d in self.daily if self._burst(d)[2] <= self.p.burst_max_p}
        day_i = CATEGORICAL.index("created_day")
        k = sum(1 for a in self.network if self.profiles[a][day_i] in burst_days)
        n_net = sum(1 for a in self.network if self.profiles[a][day_i] is not None)
        m = sum(1 for a, v in self.profiles.items() if a not in self.network and v[day_i] in burst_days)
        n_bg = sum(1 for a, v in self.profiles.items() if a not in self.network and v[day_i] is not None)
        self.network_burst_share = k / n_net if n_net else 0.0
        self.background_burst_share = m / n_bg if n_bg else 0.0
        # (smoothing alone would make a small network look bulk-made against a large background: require support)
        self.bulk_nats = self._ratio(k, n_net, m, n_bg) if k >= self.p.min_network_accounts else 0.0

    # -- state ----------------------------------------------------------------------------------------------------
    def _features(self, rel: str) -> list[tuple[str, tuple[str | None, ...]]]:
        t = fetch_arrow(self.e.sql(feature_sql(rel)))
        cols = [t.column(f).to_pylist() for f in CATEGORICAL]
        return (
            list(zip(t.column("account_id").to_pylist(), zip(*cols, strict=False), strict=False)) if t.num_rows else []
        )

    def _count(self, vals: tuple[str | None, ...], in_network: bool, sign: int) -> None:
        counts, totals = (self.net, self.n_net) if in_network else (self.bg, self.n_bg)
        for f, v in zip(CATEGORICAL, vals, strict=False):
            if v is not None:
                counts[f][v] += sign
                totals[f] += sign

    def observe(self, profiles: pa.Table) -> int:
        """Add sign-ups (``accounts``-shaped rows; only ``account_id`` is required) to the background; returns how
        many were new. A profile seen again replaces the stored one (a renamed account)."""
        if profiles is None or profiles.num_rows == 0:
            return 0
        cols = {
            c: (profiles.column(c) if c in profiles.column_names else pa.nulls(profiles.num_rows, pa.string()))
            for c in PROFILE_COLUMNS
        }
        if "created_at" in profiles.column_names:
            cols["created_at"] = profiles.column("created_at").cast(pa.timestamp("us"))
        t = pa.table({c: (v if c == "created_at" else v.cast(pa.string())) for c, v in cols.items()})
        with self.e.scratch("priors") as s:
            rows = self._features(s.register("new", t))
        new = 0
        self._burst_cache.clear()
        for acc, vals in rows:
            old = self.profiles.get(acc)
            if old is not None:
                self._count(old, acc in self.network, -1)
                if old[-1] is not None:
                    self.daily[old[-1]] -= 1
            else:
                new += 1
            self.profiles[acc] = vals
            self._count(vals, acc in self.network, +1)
            if vals[-1] is not None:
                self.daily[vals[-1]] += 1
        return new

    def add_to_network(self, account_ids: Iterable[str]) -> None:
        """Accounts now believed to belong to the network (flagged): their profile values count for the network."""
        for a in account_ids:
            if a in self.network or a not in self.profiles:
                continue
            self._count(self.profiles[a], False, -1)
            self._count(self.profiles[a], True, +1)
            self.network.add(a)

    def knows(self, account_id: str) -> bool:
        return account_id in self.profiles

    # -- scoring ---------------------------------------------------------------------------------------------------
    def _ratio(self, k: int, n_net: int, m: int, n_bg: int) -> float:
        a = self.p.smoothing
        return math.log(((k + a) / (n_net + 2 * a)) / ((m + a) / (n_bg + 2 * a)))

    def _categorical(self, f: str, v: str | None) -> PriorEvidence | None:
        if v is None:
            return None
        k, m = self.net[f][v], self.bg[f][v]
        if k < self.p.min_network_accounts:
            return None
        nats = self._ratio(k, self.n_net[f], m, self.n_bg[f])
        if nats <= 0:
            return None
        return PriorEvidence(
            f,
            v,
            nats,
            k,
            m,
            {
                "network_share": round(k / max(self.n_net[f], 1), 6),
                "background_share": round(m / max(self.n_bg[f], 1), 6),
            },
        )

    def _burst(self, day: str) -> tuple[int, float, float]:
        """(sign-ups that day, expected from the preceding days, Poisson P(K >= k))."""
        if day in self._burst_cache:
            return self._burst_cache[day]
        d = dt.date.fromisoformat(day)
        b = self.p.burst_background_days
        prev = [self.daily.get((d - dt.timedelta(days=i)).isoformat(), 0) for i in range(1, b + 1)]
        mu = max(float(np.median(prev)), self.p.min_expected_per_day)
        k = self.daily.get(day, 0)
        out = (k, mu, float(np.exp(poisson_log_sf(k, mu))))
        self._burst_cache[day] = out
        return out

    def _creation_burst(self, day: str | None) -> PriorEvidence | None:
        if day is None or self.bulk_nats <= 0:
            return None
        k, mu, p = self._burst(day)
        if p > self.p.burst_max_p or k <= mu:
            return None
        excess_nats = math.log((k - mu) / mu)
        if excess_nats <= 0:
            return None
        return PriorEvidence(
            "creation_burst",
            day,
            excess_nats + self.bulk_nats,
            0,
            k,
            {
                "accounts_created_that_day": k,
                "expected_per_day": round(mu, 3),
                "p_value": p,
                "excess_nats": round(excess_nats, 3),
                "network_burst_share": round(self.network_burst_share, 4),
                "background_burst_share": round(self.background_burst_share, 4),
                "bulk_creation_nats": round(self.bulk_nats, 3),
            },
        )

    def evidence(self, account_id: str) -> list[PriorEvidence]:
        """The positive per-feature evidence of one account (empty when its profile is unknown)."""
        vals = self.profiles.get(account_id)
        if vals is None:
            return []
        v = dict(zip(CATEGORICAL, vals, strict=False))
        out: list[PriorEvidence] = []
        # nested features: the stronger one counts
        name = [
            x
            for x in (
                self._categorical("name_shape", v["name_shape"]),
                self._categorical("name_digits", v["name_digits"]),
            )
            if x
        ]
        created = [
            x for x in (self._categorical("created_day", v["created_day"]), self._creation_burst(v["created_day"])) if x
        ]
        for group, label in ((name, "name_template"), (created, "creation")):
            if group:
                best = max(group, key=lambda x: x.nats)
                best.detail["measure"] = best.feature
                best.feature = label
                out.append(best)
        for f in ("language", "reported_location", "description"):
            x = self._categorical(f, v[f])
            if x:
                out.append(x)
        return [x for x in out if x.feature in self.p.features]

    def nats(self, account_id: str) -> float:
        return float(sum(x.nats for x in self.evidence(account_id)))
