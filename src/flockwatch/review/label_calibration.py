"""Reviewers' sample labels fed back as calibration: the observed false-positive rate per score band.

Consumes every labelled row of ``ops_samples`` in the store (each one a subject drawn at random from its band of a
proposed bulk action and judged ``correct`` or ``false_positive`` by a reviewer); produces, per score band
(:data:`flockwatch.review.sampling.BANDS`), the labelled count, the false positives, the observed rate and exact
Clopper–Pearson bounds at ``confidence`` (each bound one-sided at that level), and the calibrated precision
``1 - rate`` with its bounds.

What it is used for:

- ``flockwatch case calibration`` shows the table: how often a subject of each band turned out to be a false
  positive when a reviewer looked, across all past actions of this store (the detector's score is a model's
  estimate; these are the reviewers' observations).
- ``flockwatch case show`` puts it beside a case's scores: the expected number of false positives among the case's
  subjects (each band's count times its observed rate) and an upper figure (times its upper bound).
- :func:`suggested_sample_size` (through :func:`next_sample_size`, the size ``flockwatch case sample`` draws when
  ``--size`` is not given) turns the pooled observed rate into the prior for the next sign-off sample: the
  smallest sample whose Clopper–Pearson upper bound would be within the limit if false positives occur at the rate
  seen so far (59 at 5 % and 95 % when nothing was ever a false positive; none when the observed rate is already at
  the limit — then more labels will not help, excluding the weak bands will).

Bands with no labels have no rate (``None``), never an assumed one.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy.stats import beta
from sqlalchemy import func, select

from flockwatch.review.sampling import BANDS, band_of, clopper_pearson_upper
from flockwatch.store import Store
from flockwatch.store.tables import ops_case_subjects, ops_samples

BAND_ORDER = (*(name for name, _ in BANDS), "unscored")


def clopper_pearson_lower(x: int, n: int, confidence: float = 0.95) -> float:
    """Exact one-sided lower confidence bound on a binomial proportion (x successes in n)."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={x} n={n}")
    if x == 0:
        return 0.0
    return float(beta.ppf(1 - confidence, x, n - x + 1))


@dataclass(frozen=True)
class BandCalibration:
    band: str
    labelled: int
    false_positives: int
    fp_rate: float | None
    fp_lower: float | None
    fp_upper: float | None
    confidence: float

    @property
    def precision(self) -> float | None:
        return None if self.fp_rate is None else 1.0 - self.fp_rate

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["precision"] = self.precision
        d["precision_lower"] = None if self.fp_upper is None else 1.0 - self.fp_upper
        return d


def _calibrate(band: str, labelled: int, fps: int, confidence: float) -> BandCalibration:
    if labelled == 0:
        return BandCalibration(band, 0, 0, None, None, None, confidence)
    return BandCalibration(
        band,
        labelled,
        fps,
        fps / labelled,
        clopper_pearson_lower(fps, labelled, confidence),
        clopper_pearson_upper(fps, labelled, confidence),
        confidence,
    )


def band_calibration(store: Store, confidence: float = 0.95) -> list[BandCalibration]:
    """Per score band (highest first), what reviewers' labels say about its false-positive rate."""
    s = ops_samples.c
    with store.connect() as conn:
        rows = conn.execute(
            select(s.band, s.label, func.count()).where(s.label.is_not(None)).group_by(s.band, s.label)
        ).all()
    counts: dict[str, list[int]] = {b: [0, 0] for b in BAND_ORDER}
    for band, label, n in rows:
        c = counts.setdefault(band, [0, 0])
        c[0] += int(n)
        if label == "false_positive":
            c[1] += int(n)
    return [_calibrate(b, n, x, confidence) for b, (n, x) in counts.items()]


def pooled(store: Store, confidence: float = 0.95) -> BandCalibration:
    """All bands together (the rate of a sample drawn in proportion to the bands of past actions)."""
    cal = band_calibration(store, confidence)
    return _calibrate("all", sum(c.labelled for c in cal), sum(c.false_positives for c in cal), confidence)


def suggested_sample_size(
    fp_rate: float, fp_limit: float = 0.05, confidence: float = 0.95, max_n: int = 10_000
) -> int | None:
    """The smallest n whose Clopper–Pearson upper bound is at most ``fp_limit`` when ``ceil(n * fp_rate)`` of the n
    are false positives; None when no n up to ``max_n`` gets there (the rate itself is too close to the limit)."""
    if not 0 <= fp_rate < 1 or not 0 < fp_limit < 1:
        raise ValueError("need 0 <= fp_rate < 1 and 0 < fp_limit < 1")
    if fp_rate >= fp_limit:
        return None
    for n in range(1, max_n + 1):
        if clopper_pearson_upper(math.ceil(n * fp_rate - 1e-12), n, confidence) <= fp_limit:
            return n
    return None


def next_sample_size(
    store: Store, fp_limit: float = 0.05, confidence: float = 0.95, fallback: int = 100
) -> tuple[int, str]:
    """The sign-off sample size ``flockwatch case sample`` draws when none is given, and why: the suggestion from
    every label so far (:func:`suggested_sample_size` of the pooled rate), or ``fallback`` when the labels so far
    show a rate at or above the limit (then no sample size helps; the reviewer should exclude the weak bands)."""
    p = pooled(store, confidence)
    n = suggested_sample_size(p.fp_rate or 0.0, fp_limit, confidence)
    if n is None:
        return fallback, (
            f"past labels show a false-positive rate of {p.fp_rate:.1%}, at or above the {fp_limit:.0%} limit: no "
            f"sample size is enough at that rate; drawing {fallback} (consider excluding the weak score bands)"
        )
    seen = "no labels yet" if not p.labelled else f"{p.false_positives}/{p.labelled} false positives in past labels"
    return n, f"{n} labels bound the rate under {fp_limit:.0%} at the rate seen so far ({seen})"


def case_expectation(store: Store, case_id: str, confidence: float = 0.95) -> dict[str, Any]:
    """A case's subjects per band beside that band's observed false-positive rate: the expected false positives in
    the case (bands without labels are counted apart, not guessed)."""
    s = ops_case_subjects.c
    with store.connect() as conn:
        scores = conn.execute(
            select(s.score).where(s.case_id == case_id, s.status.not_in(("excluded", "reversed")))
        ).all()
    per_band: dict[str, int] = {}
    for (score,) in scores:
        b = band_of(None if score is None else float(score))
        per_band[b] = per_band.get(b, 0) + 1
    cal = {c.band: c for c in band_calibration(store, confidence)}
    expected = upper = 0.0
    uncalibrated = 0
    bands = []
    for b in BAND_ORDER:
        n = per_band.get(b, 0)
        if not n:
            continue
        c = cal[b]
        if c.fp_rate is None or c.fp_upper is None:
            uncalibrated += n
        else:
            expected += n * c.fp_rate
            upper += n * c.fp_upper
        bands.append({"band": b, "subjects": n, **{k: v for k, v in c.to_dict().items() if k != "band"}})
    return {
        "bands": bands,
        "expected_false_positives": round(expected, 2),
        "false_positives_upper": round(upper, 2),
        "subjects_without_calibration": uncalibrated,
        "confidence": confidence,
    }
