"""Sampled sign-off for bulk actions: a stratified random sample, labelled by a reviewer, bounds the false-positive
rate of the whole action before it may be approved.

Consumes the operational store (a proposed action and its subjects with their scores); produces ``ops_samples`` rows
and :class:`SampleBound`. Public API:

    draw_sample(store, case_id, actor, size=100, seed=None) -> list[dict]   stratified by score band, proportional
    label_subject(store, case_id, actor, subject_id, label)                   label: correct | false_positive
    sample_bound(store, action_id, confidence=0.95) -> SampleBound
    check_sample(conn, action, rules)                                         used by actions.approve

Why proportional allocation: each band gets a share of the sample equal to its share of the action (at least one
subject per non-empty band), so the pooled sample is self-weighting and the pooled count of false positives is
binomial; the exact one-sided Clopper–Pearson upper bound is then ``Beta(confidence; x + 1, n - x)``
(scipy.stats.beta.ppf). The per-band rates are reported beside it, because a high rate in the lowest band is what a
reviewer acts on (exclude that band). With no false positives, 59 labels bound the rate below 5 % at 95 %.

Bands (account score): ``high`` ≥ 0.95, ``upper`` 0.8–0.95, ``middle`` 0.5–0.8, ``low`` < 0.5, ``unscored``.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review import audit
from flockwatch.review.actor import Actor
from flockwatch.store import Store, utc_now
from flockwatch.store.tables import ops_actions, ops_case_subjects, ops_samples
from flockwatch.store.users import has_role

BANDS = (("high", 0.95), ("upper", 0.8), ("middle", 0.5), ("low", float("-inf")))
LABELS = ("correct", "false_positive")


def band_of(score: float | None) -> str:
    if score is None:
        return "unscored"
    return next(name for name, lo in BANDS if score >= lo)


@dataclass(frozen=True)
class SampleBound:
    action_id: int
    drawn: int
    labelled: int
    false_positives: int
    confidence: float
    upper_bound: float | None  # None until every drawn subject is labelled
    by_band: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def clopper_pearson_upper(x: int, n: int, confidence: float = 0.95) -> float:
    """Exact one-sided upper confidence bound on a binomial proportion (x successes in n)."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={x} n={n}")
    if x == n:
        return 1.0
    from scipy.stats import beta  # on first use: importing scipy.stats costs ~1 s of every CLI command's start-up

    return float(beta.ppf(confidence, x + 1, n - x))


def _pending_action(conn: Connection, case_id: str) -> Any:
    act = conn.execute(
        select(ops_actions).where(ops_actions.c.case_id == case_id, ops_actions.c.status == "proposed")
    ).first()
    if act is None:
        raise ValidationError(f"case {case_id} has no proposed action to sample")
    return act


def draw_sample(store: Store, case_id: str, actor: Actor, size: int = 100, seed: int | None = None) -> list[dict]:
    """Draw (once per action) a stratified random sample of the proposed action's subjects for labelling."""
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"drawing a sign-off sample needs a reviewer; {actor.name} is an {actor.user.role}"
        )
    if size < 1:
        raise ValidationError("the sample size must be at least 1")
    seed = secrets.randbits(63) if seed is None else seed
    s = ops_case_subjects.c
    with store.begin() as conn:
        act = _pending_action(conn, case_id)
        if conn.execute(select(func.count()).where(ops_samples.c.action_id == act.action_id)).scalar_one():
            raise ValidationError(f"action {act.action_id} already has a sample; label it (`flockwatch case label`)")
        subs = conn.execute(
            select(s.kind, s.platform, s.subject_id, s.score)
            .where(s.action_id == act.action_id, s.status == "proposed")
            .order_by(s.kind, s.platform, s.subject_id)
        ).all()
        bands: dict[str, list[Any]] = {}
        for r in subs:
            bands.setdefault(band_of(r.score), []).append(r)
        total = len(subs)
        rng = random.Random(seed)
        now = utc_now()
        drawn = []
        for name in sorted(bands):
            members = bands[name]
            k = min(len(members), max(1, round(size * len(members) / total)))
            for r in rng.sample(members, k):
                drawn.append(
                    {
                        "action_id": act.action_id,
                        "kind": r.kind,
                        "platform": r.platform,
                        "subject_id": r.subject_id,
                        "band": name,
                        "drawn_by": actor.name,
                        "drawn_at": now,
                    }
                )
        conn.execute(insert(ops_samples), drawn)
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="sample.draw",
            object_ref=f"case:{case_id}",
            evidence=[{"action_id": act.action_id, "seed": seed}],
            after={"drawn": len(drawn), "bands": {b: len(v) for b, v in bands.items()}},
        )
    return drawn


def label_subject(store: Store, case_id: str, actor: Actor, subject_id: str, label: str) -> None:
    """Record a reviewer's verdict on one sampled subject."""
    label = label.replace("-", "_")
    if label not in LABELS:
        raise ValidationError(f"label {label!r} is not one of {list(LABELS)}")
    if not has_role(actor.user, "reviewer"):
        raise RefusedError(
            "ROLE_REQUIRED", f"labelling the sign-off sample needs a reviewer; {actor.name} is an {actor.user.role}"
        )
    with store.begin() as conn:
        act = _pending_action(conn, case_id)
        n = conn.execute(
            update(ops_samples)
            .where(ops_samples.c.action_id == act.action_id, ops_samples.c.subject_id == subject_id)
            .values(label=label, labelled_by=actor.name, labelled_at=utc_now())
        ).rowcount
        if not n:
            raise ValidationError(f"{subject_id} is not in the sign-off sample of action {act.action_id}")
        audit.append(
            conn,
            actor=actor.name,
            os_user=actor.os_user,
            action="sample.label",
            object_ref=f"case:{case_id}",
            evidence=[{"action_id": act.action_id, "subject_id": subject_id}],
            after={"label": label},
        )


def _bound(conn: Connection, action_id: int, confidence: float) -> SampleBound:
    rows = conn.execute(
        select(ops_samples.c.band, ops_samples.c.label, func.count())
        .where(ops_samples.c.action_id == action_id)
        .group_by(ops_samples.c.band, ops_samples.c.label)
    ).all()
    by_band: dict[str, dict[str, int]] = {}
    for band, label, n in rows:
        d = by_band.setdefault(band, {"drawn": 0, "labelled": 0, "false_positives": 0})
        d["drawn"] += int(n)
        if label is not None:
            d["labelled"] += int(n)
        if label == "false_positive":
            d["false_positives"] += int(n)
    drawn = sum(d["drawn"] for d in by_band.values())
    labelled = sum(d["labelled"] for d in by_band.values())
    fps = sum(d["false_positives"] for d in by_band.values())
    upper = clopper_pearson_upper(fps, labelled, confidence) if drawn and labelled == drawn else None
    return SampleBound(action_id, drawn, labelled, fps, confidence, upper, by_band)


def sample_bound(store: Store, action_id: int, confidence: float = 0.95) -> SampleBound:
    with store.connect() as conn:
        return _bound(conn, action_id, confidence)


def check_sample(conn: Connection, action: Any, sample_over_n: int, fp_limit: float, confidence: float) -> None:
    """Refuse approval of an action over ``sample_over_n`` subjects without a fully labelled sample whose exact upper
    bound on the false-positive rate is at most ``fp_limit``."""
    if action.n_subjects <= sample_over_n:
        return
    b = _bound(conn, int(action.action_id), confidence)
    if b.drawn == 0 or b.upper_bound is None:
        raise RefusedError(
            "SAMPLE_REQUIRED",
            f"action {action.action_id} covers {action.n_subjects:,} subjects (over {sample_over_n:,}): draw and label "
            f"a sign-off sample first ({b.labelled}/{b.drawn} labelled; `flockwatch case sample` / `case label`)",
        )
    if b.upper_bound > fp_limit:
        raise RefusedError(
            "SAMPLE_BOUND",
            f"{b.false_positives} false positives in {b.labelled} sampled: the false-positive rate may be up to "
            f"{b.upper_bound:.1%} ({confidence:.0%} Clopper–Pearson upper bound), above the limit {fp_limit:.1%}",
        )
