"""Retention limits: how many days each kind of personal data is kept, per workspace.

Consumes ``retention.toml`` in the workspace directory (optional; the defaults below apply without it) and produces
a :class:`RetentionPolicy`. The file::

    [retention]
    login_ips_days = 180        # IP prefixes of login events (infrastructure.ip_prefix), by login time
    profile_text_days = 365     # bios and stated locations (accounts.description, .reported_location),
                                # by the account's last action in the data (its creation when it has none)
    case_evidence_days = 730    # evidence frozen into decided cases (actioned / dismissed), by the case's opening
    access_logs_days = 365      # who-viewed-which-account records (ops_access_log), by when the view happened

Any key may be left out (its default applies); an unknown key or a limit that is not a whole number of days >= 1 is
an input error naming the file. Why these defaults: 180 days of login IPs covers the look-back of an infrastructure
investigation (the 2019 takedown's accounts were traced over months, not years); profile text and access logs for a
year; case evidence for two years after opening, the span of an appeal and a peer's follow-up. A legal hold
(:mod:`flockwatch.review.holds`) overrides every limit.

To add a kind: a field here (``<kind>_days``) and its step in :mod:`flockwatch.privacy.retention`.
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from flockwatch.errors import InputFileError

POLICY_FILE = "retention.toml"


@dataclass(frozen=True)
class RetentionPolicy:
    login_ips_days: int = 180
    profile_text_days: int = 365
    case_evidence_days: int = 730
    access_logs_days: int = 365
    #: where the limits came from: "defaults" or the file's path
    source: str = "defaults"

    def limits(self) -> dict[str, int]:
        """Kind of data → days kept (``login_ips``, ``profile_text``, ``case_evidence``, ``access_logs``)."""
        return {f.name.removesuffix("_days"): getattr(self, f.name) for f in fields(self) if f.name.endswith("_days")}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_policy(workspace: Path | None) -> RetentionPolicy:
    """The workspace's policy: ``retention.toml`` when present, else the defaults."""
    if workspace is None or not (workspace / POLICY_FILE).is_file():
        return RetentionPolicy()
    path = workspace / POLICY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputFileError(path, f"cannot read the retention policy: {exc}") from exc
    section = data.get("retention")
    if not isinstance(section, dict) or set(data) - {"retention"}:
        raise InputFileError(path, "the retention policy is one [retention] table of <kind>_days = N")
    known = {f.name for f in fields(RetentionPolicy) if f.name.endswith("_days")}
    unknown = sorted(set(section) - known)
    if unknown:
        raise InputFileError(path, f"unknown key(s) {unknown}; known: {sorted(known)}")
    for key, value in section.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputFileError(path, f"{key} = {value!r}: a limit is a whole number of days, at least 1")
    return RetentionPolicy(**section, source=str(path))
