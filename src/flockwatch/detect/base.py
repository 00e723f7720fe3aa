"""What a detector is: a named mapping from canonical actions to shared targets.

Consumes nothing at import; produces :class:`Detector`, the small contract every detector module implements. A
detector answers one question — *what is the shared target of an action?* — as one SQL ``SELECT`` over the canonical
tables (DuckDB dialect, transpilable by SQLGlot: no Python UDFs) producing exactly the columns of
:data:`DETECTOR_COLUMNS`:

    account_id   VARCHAR  who acted (as in the source data)
    target       VARCHAR  what was shared (a reposted id, a normalised text, a MinHash band key, a URL, ...)
    unit         VARCHAR  what one co-action counts as (the target itself, or the post for band-key detectors)
    acted_at_s   DOUBLE   seconds since the Unix epoch (UTC)
    action_id    VARCHAR  the action that justifies the row (evidence)

The shared kernel (``kernel.py``) turns those rows into account pairs; calibration (``calibration.py``) weighs them.
To add a detector: write one module with a ``DETECTOR = Detector(...)`` and add one line to ``registry.py``; the
contract suite (tests/detect/test_detector_contract.py) then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flockwatch.errors import ValidationError

DETECTOR_COLUMNS = ("account_id", "target", "unit", "acted_at_s", "action_id")


@dataclass(frozen=True)
class Detector:
    """A stable ``name`` (a storage key), a description, default parameters and the SQL that maps actions to targets.

    ``window_s`` in ``default_params`` is the co-action window this detector uses when the run does not fix one;
    ``fixed_window`` detectors (``sync_post``) define the window as part of their target and ignore the run's.
    """

    name: str
    description: str
    build_sql: Callable[[Mapping[str, Any]], str]
    default_params: Mapping[str, Any] = field(default_factory=dict)
    fixed_window: bool = False

    def params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        merged = dict(self.default_params)
        for key, value in (overrides or {}).items():
            if key not in merged:
                raise ValidationError(
                    f"detector {self.name!r} has no parameter {key!r}; known: {', '.join(sorted(merged))}"
                )
            merged[key] = type(merged[key])(value) if merged[key] is not None else value
        return merged

    def sql(self, overrides: Mapping[str, Any] | None = None) -> str:
        """The SELECT producing :data:`DETECTOR_COLUMNS` for these parameters."""
        return self.build_sql(self.params(overrides))


def epoch_s(column: str = "acted_at") -> str:
    """Seconds since the epoch of a TIMESTAMP column, as DOUBLE."""
    return f"CAST(epoch_us({column}) AS DOUBLE) / 1e6"
