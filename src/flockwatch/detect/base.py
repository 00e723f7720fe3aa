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

A detector that gives one unit several targets (``co_near_text``: a post's LSH bands) declares
``first_shared_slot=True`` and selects :data:`SLOT_COLUMNS` after those: ``slot`` (INTEGER, which of the unit's
targets the row is), ``slot_sig`` and ``slot_sig2`` (BIGINT, fingerprints of the unit's targets); the kernel then
counts two units once, on the first target they share (``kernel.py``, *First shared slot*).

The shared kernel (``kernel.py``) turns those rows into account pairs; calibration (``calibration.py``) weighs them
(``coaction.py`` is that edge path). A detector whose edges are not co-actions in a window — an account-profile
similarity (``theme_profile``) — brings its own ``edge_builder``: it receives the same rows' SQL and the run's
settings (:class:`EdgeRequest`) and leaves edges and evidence in the run's scratch (:class:`EdgeTables`) in the
columns every detector stores, so storage, networks, ``explain`` and ``networks export --edges`` read it unchanged.
To add a detector: write one module with a ``DETECTOR = Detector(...)`` and add one line to ``registry.py``; the
contract suite (tests/detect/test_detector_contract.py) then runs against it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flockwatch.core.timing import Stages
from flockwatch.errors import ValidationError

if TYPE_CHECKING:
    from flockwatch.engine import Engine, Scratch

DETECTOR_COLUMNS = ("account_id", "target", "unit", "acted_at_s", "action_id")
#: Optional columns after :data:`DETECTOR_COLUMNS`, selected exactly when ``Detector.first_shared_slot``.
SLOT_COLUMNS = ("slot", "slot_sig", "slot_sig2")

#: What an edge builder's ``edges_sql`` selects, in order (after the run id and detector name, which storage adds).
EDGE_COLUMNS = (
    "account_a",
    "account_b",
    "co_actions_count",
    "episodes_count",
    "activity_a_count",
    "activity_b_count",
    "expected_count",
    "p_value",
    "q_value",
    "weight",
    "first_at",
    "last_at",
    "mean_dt_s",
)
#: What an edge builder's ``evidence_sql`` selects, in order (at most ``evidence_per_edge`` rows per edge).
EVIDENCE_COLUMNS = ("account_a", "account_b", "action_id_a", "action_id_b", "target", "acted_at_a", "dt_s")


@dataclass(frozen=True)
class EdgeRequest:
    """What an edge builder gets: the detector's rows (``detector_sql``), its parameters and the run's settings."""

    engine: Engine
    scratch: Scratch
    detector_sql: str
    params: Mapping[str, Any]
    fdr: float
    hot_cell_actions: int
    min_co_actions: int
    min_lift: float
    evidence_per_edge: int
    #: where the builder records its stages' wall and CPU seconds (the run's ``stages_s``)
    stages: Stages = field(default_factory=Stages)
    #: the rows also carry :data:`SLOT_COLUMNS` (``Detector.first_shared_slot``)
    first_shared_slot: bool = False
    #: set when the network build will read this detector's cell visits (``networks/attach.py``) on this connection:
    #: the builder calls it, while its rows exist, with the SELECT of their distinct ``(account_id, th, b)``
    #: (``kernel.cell_visits_sql``'s columns and values), so that attach does not run the detector's SQL again
    keep_visits: Callable[[str], None] | None = None


@dataclass(frozen=True)
class EdgeTables:
    """What an edge builder leaves: SELECTs over its scratch (``account_a < account_b``) and its statistics."""

    edges_sql: str
    evidence_sql: str
    rows_count: int
    co_actions_count: int
    candidate_pairs_count: int
    edges_count: int
    null_model: dict[str, float]


EdgeBuilder = Callable[[EdgeRequest], EdgeTables]


@dataclass(frozen=True)
class Detector:
    """A stable ``name`` (a storage key), a description, default parameters and the SQL that maps actions to targets.

    ``window_s`` in ``default_params`` is the co-action window this detector uses when the run does not fix one;
    ``fixed_window`` detectors (``sync_post``) define the window as part of their target and ignore the run's.
    ``edge_builder``: how the rows become edges; ``None`` is the shared co-action kernel (``coaction.py``).
    ``attach_cells``: whether the network build's attach test (``networks/attach.py``) reads this detector's cell
    visits; off for detectors whose rows are many per action (a row per LSH band) or whose cells are time slots
    that every active account visits (``sync_post``), where the visits cost more than they add.
    ``first_shared_slot``: the SQL also selects :data:`SLOT_COLUMNS`, and two units co-act once, on the first of
    their targets they share, instead of once per shared target.
    """

    name: str
    description: str
    build_sql: Callable[[Mapping[str, Any]], str]
    default_params: Mapping[str, Any] = field(default_factory=dict)
    fixed_window: bool = False
    edge_builder: EdgeBuilder | None = None
    attach_cells: bool = True
    first_shared_slot: bool = False

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
        """The SELECT producing :data:`DETECTOR_COLUMNS` (and :data:`SLOT_COLUMNS` under ``first_shared_slot``) for
        these parameters."""
        return self.build_sql(self.params(overrides))


def epoch_s(column: str = "acted_at") -> str:
    """Seconds since the epoch of a TIMESTAMP column, as DOUBLE."""
    return f"CAST(epoch_us({column}) AS DOUBLE) / 1e6"
