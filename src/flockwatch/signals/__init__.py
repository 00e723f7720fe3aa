"""Account-level signals: what an account's profile, timing and infrastructure say, one family per module.

Consumes the canonical tables (``accounts``, ``actions``, ``infrastructure``); produces Arrow tables of
``(platform, account_id, signal, value, evidence)`` — see ``signals/base.py`` — and the working-hours fingerprint
(:func:`working_hours_fingerprint`). Families: creation bursts, name templates, profile reuse, automation cadence,
working hours, language vs location, infrastructure concentration. Each module's docstring says what it measures and
its false-positive risks. Signals are indications for an analyst, never verdicts.
"""

from flockwatch.signals.base import SIGNAL_SCHEMA, account_scope
from flockwatch.signals.registry import SIGNAL_FAMILIES, compute_signals
from flockwatch.signals.working_hours import (
    WorkingHoursFingerprint,
    fingerprints_by_account,
    working_hours_fingerprint,
)

__all__ = [
    "SIGNAL_FAMILIES",
    "SIGNAL_SCHEMA",
    "WorkingHoursFingerprint",
    "account_scope",
    "compute_signals",
    "fingerprints_by_account",
    "working_hours_fingerprint",
]
