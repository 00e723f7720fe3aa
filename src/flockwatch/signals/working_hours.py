"""Working-hours fingerprint: from activity by hour of week to the most likely UTC offset and the shape of the day.

Consumes ``actions(account_id, acted_at)`` (UTC); produces, for an account set or for each account, a
:class:`WorkingHoursFingerprint` (and, through :func:`compute`, one ``working_hours`` signal row per account).

How: activity is counted as *active hour slots* (distinct account × UTC hour), so a burst of 50 posts in one hour
counts once — bursts would otherwise swamp the daily rhythm. The 168-bin hour-of-week histogram (Monday 00h = bin
0) is compared with three activity shapes written in *local* time:

- ``office``: weekdays 9–18 with a lunch dip at 12h, quiet evenings, near-silent nights and weekends (a staffed
  office or a troll farm on shifts that follow the working week);
- ``diurnal``: awake 8–23 every day, asleep 2–6 (an individual, or shifts that ignore the weekend);
- ``flat``: no rhythm at all (schedulers, 24/7 shifts) — it fits every offset equally, so a flat account spreads its
  probability over all offsets instead of producing a confident wrong answer.

For every candidate standard offset (UTC−12 … UTC+14, whole hours) and summer-time rule (none; EU: last Sunday of
March to last Sunday of October; US: second Sunday of March to first Sunday of November, switching at about 08:00
UTC) the log-likelihood of the slots under each shape is computed (a multinomial; one matrix product for all
accounts). A posterior over (offset, rule, shape) with a mild prior follows; the reported confidence is the
posterior mass of the best (offset, rule). Activity observed only in summer cannot tell "UTC+1 with summer time"
from "UTC+2 without": both appear in ``alternatives`` with their posterior.

False-positive risks: shift work, and operators who deliberately post in the target's daytime, move the fingerprint
to the target's zone (the offset is "when the accounts are worked", not "where the people sit"); scheduled posts
queued in office hours for release later look like activity at the release time; half-hour zones (India, UTC+5:30)
fall between two whole-hour candidates; southern-hemisphere summer time is not modelled; few slots give low
confidence by construction (see ``confidence_level``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.signals.base import (
    Scope,
    account_scope,
    empty_signals,
    fetch_arrow,
    finish,
)

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

NAME = "working_hours"

OFFSETS_H = np.arange(-12, 15)
RULES = ("none", "eu", "us")
SHAPES = ("office", "diurnal", "flat")
_RULE_PRIOR = {"none": 0.5, "eu": 0.25, "us": 0.25}
_SHAPE_PRIOR = {"office": 0.4, "diurnal": 0.4, "flat": 0.2}
#: each rhythmic shape also at reduced strength (mixed with round-the-clock activity: bots, 24/7 shifts, several
#: shifts pooled) — a strong template alone calls any broad-but-rhythmic set "flat" and loses its zone
_MIX_UNIFORM = (0.0, 0.35, 0.7)
_RULE_LABEL = {"none": "", "eu": " with EU summer time", "us": " with US summer time"}


def _office_day(weekday: bool) -> np.ndarray:
    h = np.full(24, 0.03)
    if weekday:
        h[7], h[8] = 0.2, 0.6
        h[9:12] = 1.0
        h[12] = 0.55
        h[13:18] = 1.0
        h[18], h[19:22], h[22:24] = 0.5, 0.15, 0.06
    else:
        h[9:22] = 0.08
    return h


def _templates() -> dict[str, np.ndarray]:
    office = np.concatenate([_office_day(d < 5) for d in range(7)])
    day = np.full(24, 1.0)
    day[0], day[1], day[2:6], day[6], day[7], day[23] = 0.25, 0.12, 0.04, 0.1, 0.35, 0.6
    diurnal = np.tile(day, 7)
    flat = np.ones(168)
    return {k: v / v.sum() for k, v in {"office": office, "diurnal": diurnal, "flat": flat}.items()}


TEMPLATES = _templates()


def _variants() -> list[tuple[str, np.ndarray, float]]:
    """(shape, 168-bin probabilities, prior) for every template variant."""
    out = []
    for shape in SHAPES:
        mixes = (0.0,) if shape == "flat" else _MIX_UNIFORM
        for mix in mixes:
            q = (1 - mix) * TEMPLATES[shape] + mix / 168
            out.append((shape, q / q.sum(), _SHAPE_PRIOR[shape] / len(mixes)))
    return out


_VARIANTS = _variants()
_VARIANT_SHAPE = np.array([SHAPES.index(v[0]) for v in _VARIANTS])
_VARIANT_LOG_PRIOR = np.log([v[2] for v in _VARIANTS])


def _shifted_log_templates(extra_h: int) -> np.ndarray:
    """``L[v, o, i] = log q_v[(i + o + extra_h) mod 168]``: so that ``H @ L[v, o]`` is the log-likelihood of UTC
    histogram H read in local time UTC+o (+1 inside summer time)."""
    idx = (np.arange(168)[None, :] + OFFSETS_H[:, None] + extra_h) % 168
    return np.stack([np.log(q)[idx] for _, q, _ in _VARIANTS])


_LOGQ = _shifted_log_templates(0)
_LOGQ_SUMMER = _shifted_log_templates(1)


@dataclass
class WorkingHoursFingerprint:
    """Where in the day an account set is active, read as a time zone. Never a location: a hypothesis with a
    confidence."""

    utc_offset_h: int | None
    """Most likely *standard* offset (hours east of UTC)."""
    dst_rule: str | None
    """``none``, ``eu`` or ``us``: the summer-time rule that fits best."""
    observed_offsets_h: list[int]
    """Offsets the activity was actually seen at (two when a summer-time rule applies)."""
    shape: str | None
    """``office``, ``diurnal`` or ``flat``: the best-fitting activity shape."""
    confidence: float
    """Posterior probability of the best (offset, rule) together with the readings this data cannot tell apart
    from it (``equivalent_readings``)."""
    confidence_level: str
    """``low`` / ``moderate`` / ``high`` — from the posterior and the number of slots."""
    n_slots: int
    """Active hour slots the fingerprint rests on."""
    shape_posterior: dict[str, float] = field(default_factory=dict)
    alternatives: list[dict] = field(default_factory=list)
    equivalent_readings: list[str] = field(default_factory=list)
    """Labels of readings that place every slot at the same local hour as the best one (e.g. UTC+2 and UTC+1 with
    summer time when all activity falls in summer)."""
    office_hours: dict[str, float] = field(default_factory=dict)
    """Measured in local time at the best offset: weekday share, share of weekday activity 9–18, lunch dip ratio."""
    hour_of_week_local: list[float] = field(default_factory=list)

    @property
    def reading(self) -> str:
        """The best reading alone (``UTC+1 with EU summer time``)."""
        if self.utc_offset_h is None:
            return "no activity"
        return f"{format_offset(self.utc_offset_h)}{_RULE_LABEL[self.dst_rule or 'none']}"

    @property
    def label(self) -> str:
        """The best reading and the readings this data cannot tell from it."""
        if self.utc_offset_h is None:
            return "no activity"
        best = self.reading
        others = [r for r in self.equivalent_readings if r != best]
        return best if not others else f"{best} (= {' = '.join(others)} on this data)"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label"] = self.label
        d["reading"] = self.reading
        return d


def format_offset(offset_h: int) -> str:
    return "UTC" if offset_h == 0 else f"UTC{offset_h:+d}"


def _level(confidence: float, n_slots: int, min_slots: int) -> str:
    if n_slots < min_slots:
        return "low"
    if confidence >= 0.9 and n_slots >= 5 * min_slots:
        return "high"
    if confidence >= 0.6:
        return "moderate"
    return "low"


def _slot_histograms(
    engine: Engine, scope: Scope
) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-account active-slot histograms (all slots, slots inside EU / US / both summer times) and active days."""
    res = fetch_arrow(
        engine,
        f"""
        WITH slots AS (
          SELECT DISTINCT platform, account_id, date_trunc('hour', acted_at) AS slot
          FROM {scope.actions_sql} WHERE acted_at IS NOT NULL
        ), y AS (
          SELECT *, year(slot) AS yr,
            make_date(year(slot), 3, 31) AS mar31, make_date(year(slot), 10, 31) AS oct31,
            make_date(year(slot), 3, 1) AS mar1, make_date(year(slot), 11, 1) AS nov1
          FROM slots
        ), flags AS (
          SELECT platform, account_id,
            ((isodow(slot) - 1) * 24 + hour(slot))::INTEGER AS how,
            (slot >= (mar31 - to_days(isodow(mar31) % 7))::TIMESTAMP + INTERVAL 1 HOUR
             AND slot < (oct31 - to_days(isodow(oct31) % 7))::TIMESTAMP + INTERVAL 1 HOUR) AS eu,
            (slot >= (mar1 + to_days((7 - isodow(mar1)) % 7 + 7))::TIMESTAMP + INTERVAL 8 HOUR
             AND slot < (nov1 + to_days((7 - isodow(nov1)) % 7))::TIMESTAMP + INTERVAL 8 HOUR) AS us
          FROM y
        )
        SELECT platform, account_id, how, eu, us, count(*)::BIGINT AS n FROM flags GROUP BY ALL
        ORDER BY platform, account_id
        """,
    )
    if res.num_rows == 0:
        z = np.zeros((0, 168))
        return [], z, z, z, z, np.zeros(0)
    plat = res.column("platform").to_pylist()
    acc = res.column("account_id").to_pylist()
    keys_sorted: list[tuple[str, str]] = []
    index = np.empty(res.num_rows, dtype=np.int64)
    # rows arrive sorted by account: the account index increments where the key changes (vectorised below)
    plat_a = np.array(plat, dtype=object)
    acc_a = np.array(acc, dtype=object)
    change = np.ones(res.num_rows, dtype=bool)
    change[1:] = (plat_a[1:] != plat_a[:-1]) | (acc_a[1:] != acc_a[:-1])
    index[:] = np.cumsum(change) - 1
    starts = np.flatnonzero(change)
    keys_sorted = list(zip(plat_a[starts].tolist(), acc_a[starts].tolist(), strict=False))
    how = res.column("how").to_numpy()
    n = res.column("n").to_numpy().astype(float)
    eu = res.column("eu").to_numpy(zero_copy_only=False).astype(bool)
    us = res.column("us").to_numpy(zero_copy_only=False).astype(bool)
    a = len(keys_sorted)
    h_all, h_eu, h_us, h_both = (np.zeros((a, 168)) for _ in range(4))
    np.add.at(h_all, (index, how), n)
    np.add.at(h_eu, (index[eu], how[eu]), n[eu])
    np.add.at(h_us, (index[us], how[us]), n[us])
    np.add.at(h_both, (index[eu & us], how[eu & us]), n[eu & us])
    days = {
        (p, a): int(d)
        for p, a, d in engine.sql(
            f"SELECT platform, account_id, count(DISTINCT acted_at::DATE) FROM {scope.actions_sql} "
            f"WHERE acted_at IS NOT NULL GROUP BY ALL"
        ).rows()
    }
    n_days = np.array([days.get(k, 0) for k in keys_sorted], dtype=float)
    return keys_sorted, h_all, h_eu, h_us, h_both, n_days


def _posterior(h_all: np.ndarray, h_eu: np.ndarray, h_us: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Log-posterior (unnormalised) with shape (accounts, rules, template variants, offsets).

    One matrix product per rule (BLAS): accounts × 168 against 168 × (variants · offsets)."""
    v, o = _LOGQ.shape[0], _LOGQ.shape[1]
    base = _LOGQ.reshape(v * o, 168).T
    summer = _LOGQ_SUMMER.reshape(v * o, 168).T
    out = []
    for rule in RULES:
        if rule == "none":
            ll = h_all @ base
        else:
            inside = h_eu if rule == "eu" else h_us
            ll = (h_all - inside) @ base + inside @ summer
        ll = ll.reshape(-1, v, o)
        prior = np.log(_RULE_PRIOR[rule]) + _VARIANT_LOG_PRIOR[None, :, None]
        out.append(ll * weight[:, None, None] + prior)
    return np.stack(out, axis=1)


_PARTITIONS = ((1, 1), (1, 0), (0, 1), (0, 0))


def _office_measures_many(local: np.ndarray) -> list[dict[str, float]]:
    """:func:`_office_measures` for every row of ``local`` (rows × 168), computed column-wise."""
    total = local.sum(axis=1)
    by_day = local.reshape(-1, 7, 24)
    weekday = by_day[:, :5]
    wk_total = weekday.sum(axis=(1, 2))
    per_hour = weekday.sum(axis=1)
    around_lunch = per_hour[:, [10, 11, 14, 15]].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        wshare = np.where(total > 0, wk_total / total, 0.0)
        office = np.where(wk_total > 0, weekday[:, :, 9:18].sum(axis=(1, 2)) / wk_total, 0.0)
        lunch = np.where(around_lunch > 0, per_hour[:, 12] / around_lunch, 0.0)
    return [
        {}
        if total[i] == 0
        else {
            "weekday_share": round(float(wshare[i]), 4),
            "weekday_share_if_uniform": round(5 / 7, 4),
            "weekday_9_18_share": round(float(office[i]), 4),
            "lunch_dip_ratio": round(float(lunch[i]), 4),
        }
        for i in range(local.shape[0])
    ]


def fingerprint_histograms(
    h_all: np.ndarray,
    h_eu: np.ndarray,
    h_us: np.ndarray,
    min_slots: int = 20,
    h_both: np.ndarray | None = None,
    n_days: np.ndarray | None = None,
    keep_local: bool = True,
    chunk_rows: int = 20_000,
) -> list[WorkingHoursFingerprint]:
    """Fingerprints for stacked hour-of-week slot histograms (rows = accounts or account sets).

    ``h_eu`` / ``h_us``: the slots inside EU / US summer time; ``h_both``: inside both (defaults to the elementwise
    minimum, exact when one period contains the other, as EU's nearly always sits inside the US one).
    ``n_days``: active days per row. Slots of one day are not independent (a session spans hours), so the
    log-likelihood is scaled by days/slots: the evidence counts as many observations as there were active days.
    Without it every slot counts fully. ``keep_local=False`` leaves ``hour_of_week_local`` empty (per-account runs
    over a whole platform need not hold 168 numbers per account); rows are processed ``chunk_rows`` at a time.
    """
    h_all = np.atleast_2d(np.asarray(h_all, dtype=float))
    if h_all.shape[0] > chunk_rows:
        h_eu, h_us = np.atleast_2d(h_eu), np.atleast_2d(h_us)
        out: list[WorkingHoursFingerprint] = []
        for lo in range(0, h_all.shape[0], chunk_rows):
            sl = slice(lo, lo + chunk_rows)
            out.extend(
                fingerprint_histograms(
                    h_all[sl],
                    h_eu[sl],
                    h_us[sl],
                    min_slots,
                    None if h_both is None else np.atleast_2d(h_both)[sl],
                    None if n_days is None else np.asarray(n_days).reshape(-1)[sl],
                    keep_local,
                    chunk_rows,
                )
            )
        return out
    h_all, h_eu, h_us = (np.atleast_2d(np.asarray(x, dtype=float)) for x in (h_all, h_eu, h_us))
    n_rows = h_all.shape[0]
    if n_rows == 0:
        return []
    h_both = np.minimum(h_eu, h_us) if h_both is None else np.atleast_2d(np.asarray(h_both, dtype=float))
    both, eu_n, us_n, all_n = (x.sum(axis=1) for x in (h_both, h_eu, h_us, h_all))
    # slot counts in the four summer-time partitions, in the order of _PARTITIONS
    parts = np.stack([both, eu_n - both, us_n - both, all_n - eu_n - us_n + both], axis=1)
    weight = (
        np.ones(n_rows)
        if n_days is None
        else np.clip(np.asarray(n_days, dtype=float).reshape(-1) / np.maximum(all_n, 1), 0.0, 1.0)
    )
    logp = _posterior(h_all, h_eu, h_us, weight)  # (rows, rules, variants, offsets)
    flat = logp.reshape(n_rows, -1)
    flat = flat - flat.max(axis=1, keepdims=True)
    p = np.exp(flat)
    p /= p.sum(axis=1, keepdims=True)
    p = p.reshape(logp.shape)
    ro = p.sum(axis=2).reshape(n_rows, -1)  # (rows, rules * offsets)
    p_variant = p.sum(axis=(1, 3))
    p_shape = np.stack([p_variant[:, k == _VARIANT_SHAPE].sum(axis=1) for k in range(len(SHAPES))], axis=1)

    k = min(6, ro.shape[1])
    top = np.argsort(-ro, axis=1, kind="stable")[:, :k]  # (rows, k) best readings first
    top_p = np.take_along_axis(ro, top, axis=1)
    rule_i, off_i = np.divmod(top, len(OFFSETS_H))
    off_h = OFFSETS_H[off_i]
    # hours each reading shifts the slots of each partition by: offset (+1 inside its own summer time)
    part_eu = np.array([e for e, _ in _PARTITIONS])
    part_us = np.array([u for _, u in _PARTITIONS])
    shift = (
        off_h[:, :, None]
        + np.where(rule_i[:, :, None] == 1, part_eu, 0)
        + np.where(rule_i[:, :, None] == 2, part_us, 0)
    )  # (rows, k, 4)
    # readings that shift every observed slot as the best one does are indistinguishable on this data (summer-
    # only activity: "UTC+1 with summer time" = "UTC+2"); their posterior mass counts together
    same = ((shift == shift[:, :1, :]) | (parts[:, None, :] == 0)).all(axis=2)
    conf = (top_p * same).sum(axis=1)

    best_rule, best_off = rule_i[:, 0], off_h[:, 0]
    cols = np.arange(168)[None, :]
    inside = np.where((best_rule == 1)[:, None], h_eu, np.where((best_rule == 2)[:, None], h_us, 0.0))
    local = np.take_along_axis(h_all - inside, (cols - best_off[:, None]) % 168, axis=1) + np.take_along_axis(
        inside, (cols - best_off[:, None] - 1) % 168, axis=1
    )
    office = _office_measures_many(local)

    results = []
    for i in range(n_rows):
        n_slots = int(all_n[i])
        if n_slots == 0:
            results.append(WorkingHoursFingerprint(None, None, [], None, 0.0, "low", 0))
            continue
        rule, off = RULES[best_rule[i]], int(best_off[i])
        labels = [f"{format_offset(int(off_h[i, j]))}{_RULE_LABEL[RULES[rule_i[i, j]]]}" for j in range(k)]
        alts = [
            {
                "label": labels[j],
                "utc_offset_h": int(off_h[i, j]),
                "dst_rule": RULES[rule_i[i, j]],
                "posterior": round(float(top_p[i, j]), 4),
                "equivalent_to_best": bool(same[i, j]),
            }
            for j in range(min(4, k))
        ]
        shape_post = {sh: round(float(p_shape[i, c]), 4) for c, sh in enumerate(SHAPES)}
        c = float(conf[i])
        results.append(
            WorkingHoursFingerprint(
                utc_offset_h=off,
                dst_rule=rule,
                observed_offsets_h=[off] if rule == "none" else [off, off + 1],
                shape=max(shape_post, key=shape_post.get),
                confidence=round(c, 4),
                confidence_level=_level(c, n_slots, min_slots),
                n_slots=n_slots,
                shape_posterior=shape_post,
                alternatives=alts,
                equivalent_readings=[labels[j] for j in range(k) if same[i, j]],
                office_hours=office[i] if office[i] else {},
                hour_of_week_local=[float(x) for x in local[i]] if keep_local else [],
            )
        )
    return results


def working_hours_fingerprint(
    ws: Workspace, account_ids: Sequence[str] | None = None, platform: str | None = None, min_slots: int = 20
) -> WorkingHoursFingerprint:
    """The fingerprint of an account set (all accounts when ``account_ids`` is None), pooled over its members."""
    return fingerprint_of(ws.engine, account_ids, platform, min_slots)


def fingerprint_of(
    engine: Engine, account_ids: Sequence[str] | None = None, platform: str | None = None, min_slots: int = 20
) -> WorkingHoursFingerprint:
    """:func:`working_hours_fingerprint` on an engine (for stages that hold one inside a scratch: attribution)."""
    with account_scope(engine, account_ids, platform) as scope:
        _, h_all, h_eu, h_us, h_both, n_days = _slot_histograms(engine, scope)
    if h_all.shape[0] == 0:
        return WorkingHoursFingerprint(None, None, [], None, 0.0, "low", 0)
    return fingerprint_histograms(
        h_all.sum(0), h_eu.sum(0), h_us.sum(0), min_slots, h_both.sum(0), np.array([n_days.sum()])
    )[0]


def fingerprints_by_account(
    ws: Workspace, account_ids: Sequence[str] | None = None, platform: str | None = None, min_slots: int = 20
) -> dict[tuple[str, str], WorkingHoursFingerprint]:
    """One fingerprint per account, keyed by (platform, account_id)."""
    engine = ws.engine
    with account_scope(engine, account_ids, platform) as scope:
        keys, h_all, h_eu, h_us, h_both, n_days = _slot_histograms(engine, scope)
    return dict(
        zip(keys, fingerprint_histograms(h_all, h_eu, h_us, min_slots, h_both, n_days, keep_local=False), strict=False)
    )


def compute(engine: Engine, scope: Scope, min_slots: int = 20) -> pa.Table:
    """``working_hours`` rows: ``value`` = posterior of the best offset (0 when no activity)."""
    keys, h_all, h_eu, h_us, h_both, n_days = _slot_histograms(engine, scope)
    if not keys:
        return empty_signals()
    fps = fingerprint_histograms(h_all, h_eu, h_us, min_slots, h_both, n_days, keep_local=False)
    evidence = [
        json.dumps(
            {
                "utc_offset_h": f.utc_offset_h,
                "dst_rule": f.dst_rule,
                "label": f.label,
                "shape": f.shape,
                "confidence_level": f.confidence_level,
                "n_slots": f.n_slots,
                "alternatives": f.alternatives[:3],
                "equivalent_readings": f.equivalent_readings,
                "office_hours": f.office_hours,
            }
        )
        for f in fps
    ]
    return finish(
        pa.table(
            {
                "platform": [k[0] for k in keys],
                "account_id": [k[1] for k in keys],
                "signal": [NAME] * len(keys),
                "value": [f.confidence for f in fps],
                "evidence": evidence,
            }
        )
    )
