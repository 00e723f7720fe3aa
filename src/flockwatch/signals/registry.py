"""The registry of account signal families: stable name → module ``compute(ws, scope, **params)``.

Consumes a Workspace, an optional account list and platform; produces one Arrow table (``SIGNAL_SCHEMA``) with every family's
rows. Adding a family = one module + one line in :data:`SIGNAL_FAMILIES`. Family names are stable storage keys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pyarrow as pa

from flockwatch.engine import Engine
from flockwatch.errors import UnknownNameError
from flockwatch.signals import (
    account_age,
    automation_cadence,
    creation_bursts,
    follower_anomaly,
    history_discontinuity,
    infrastructure,
    language_location,
    location_login,
    name_templates,
    profile_reuse,
    working_hours,
)
from flockwatch.signals.base import SIGNAL_SCHEMA, Scope, account_scope

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

SIGNAL_FAMILIES: dict[str, Callable[..., pa.Table]] = {
    "creation_burst": creation_bursts.compute,
    "name_template": name_templates.compute,
    "profile_reuse": profile_reuse.compute,
    "automation_cadence": automation_cadence.compute,
    "working_hours": working_hours.compute,
    "language_location": language_location.compute,
    "infrastructure": infrastructure.compute,
    "account_age": account_age.compute,
    "follower_anomaly": follower_anomaly.compute,
    "location_login": location_login.compute,
    "history_discontinuity": history_discontinuity.compute,
}


def compute_signals(
    ws: Workspace,
    account_ids: Sequence[str] | None = None,
    platform: str | None = None,
    families: Sequence[str] | None = None,
) -> pa.Table:
    """Every requested signal family over the scoped accounts (all accounts when ``account_ids`` is None)."""
    names = list(families or SIGNAL_FAMILIES)
    for n in names:
        if n not in SIGNAL_FAMILIES:
            raise UnknownNameError("signal family", n, list(SIGNAL_FAMILIES))
    engine = ws.engine
    with account_scope(engine, account_ids, platform) as scope:
        tables = [_run(SIGNAL_FAMILIES[n], engine, scope) for n in names]
    return pa.concat_tables(tables) if tables else SIGNAL_SCHEMA.empty_table()


def _run(fn: Callable[..., pa.Table], engine: Engine, scope: Scope) -> pa.Table:
    return fn(engine, scope).cast(SIGNAL_SCHEMA)
