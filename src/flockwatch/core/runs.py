"""Detection runs and their networks: one answer to "the latest run" and "the members of network N0001".

Consumes an engine over a workspace's warehouse (tables ``detection_runs`` and ``network_members``, schema.py);
produces run ids and member lists, or a :class:`~flockwatch.errors.ValidationError` that says what to do.

- **the latest run** is the most recently started detection run whose status is ``done`` (a run that failed or
  is still writing never counts); ties on the start time go to the larger run id.
- a **network reference** is ``<run_id>/<network_id>`` or a bare ``<network_id>``; a bare one means that network
  of the latest run. Network ids are renumbered by every run, so a bare id never falls back to an older run that
  happens to use the same id: a network that is not in the latest run is an error naming the run to use.
- a **flagged member** is a member of a flagged network whose own verdict (``network_members.assessment``) is not
  :data:`WEAKLY_LINKED`: a member tied to the network only through ordinary popular content or growth evidence, and
  showing none of the network's inauthenticity evidence itself, stays visible as a member but does not carry the
  network's flag (``flockwatch.networks.inheritance``). Every reader of "the flagged accounts" uses
  :func:`flagged_member_sql`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from flockwatch.errors import ValidationError

if TYPE_CHECKING:
    from flockwatch.engine import Engine

#: a member's own verdict when it does not carry its flagged network's flag (``networks/inheritance.py``)
WEAKLY_LINKED = "weakly_linked"

#: how a network is named on the command line: ``network:N0001`` or ``network:<run>/N0001``
NETWORK_PREFIX = "network:"


def flagged_member_sql(member: str = "m", network: str = "n") -> str:
    """SQL condition on ``network_members`` (alias ``member``) joined to ``networks`` (alias ``network``): the member
    carries the network's flag."""
    return f"({network}.flagged AND {not_weak_sql(member)})"


def not_weak_sql(member: str = "") -> str:
    """SQL condition on ``network_members`` (optionally aliased ``member``): not marked :data:`WEAKLY_LINKED`."""
    col = f"{member}.assessment" if member else "assessment"
    return f"coalesce({col}, '') <> '{WEAKLY_LINKED}'"


def latest_run(engine: Engine) -> str | None:
    """The latest finished detection run, or None when there is none."""
    rid: str | None = engine.sql(
        "SELECT run_id FROM detection_runs WHERE status = 'done' ORDER BY started_at DESC, run_id DESC LIMIT 1"
    ).scalar()
    return rid


def resolve_run(engine: Engine, run_id: str | None = None) -> str:
    """``run_id`` checked to exist, or the latest finished run; a :class:`ValidationError` when there is none."""
    rid = run_id or latest_run(engine)
    if rid is None:
        raise ValidationError("no finished detection run in this workspace; run `flockwatch detect` first")
    found = engine.sql("SELECT status, params_json FROM detection_runs WHERE run_id = ?", [rid]).one()
    if found is None:
        raise ValidationError(f"no detection run {rid!r} in this workspace")
    status, params_json = found
    if status == "failed":
        error = json.loads(params_json or "{}").get("error", "no error recorded")
        raise ValidationError(
            f"detection run {rid!r} failed ({error}); it kept no edges: run `flockwatch detect` again"
        )
    return rid


def parse_network_ref(ref: str) -> tuple[str | None, str]:
    """``"R/N0001"`` → ``("R", "N0001")``; ``"N0001"`` → ``(None, "N0001")`` (a ``network:`` prefix is dropped)."""
    text = str(ref).strip()
    if text.startswith(NETWORK_PREFIX):
        text = text[len(NETWORK_PREFIX) :]
    run_id, _, nid = text.rpartition("/")
    return (run_id or None), nid


def resolve_network(engine: Engine, ref: str) -> tuple[str, str]:
    """``(run_id, network_id)`` of a network reference, checked to exist in that run."""
    run_id, nid = parse_network_ref(ref)
    rid = resolve_run(engine, run_id)
    found = engine.sql("SELECT count(*) FROM network_members WHERE run_id = ? AND network_id = ?", [rid, nid]).scalar()
    if not found:
        hint = (
            ""
            if run_id
            else (
                f" (network ids are renumbered by every run; name an older run's network as <run_id>/{nid}, "
                "see `flockwatch networks list --run RUN`)"
            )
        )
        raise ValidationError(f"candidate network {nid!r} is not in detection run {rid}{hint}")
    return rid, nid


def network_members(engine: Engine, ref: str, without_weak: bool = False) -> tuple[str, str, list[str]]:
    """``(run_id, network_id, sorted member account ids)`` of a network reference; ``without_weak`` leaves out the
    members marked :data:`WEAKLY_LINKED` (what is sent to peers or published names only accounts that carry the
    network's verdict)."""
    rid, nid = resolve_network(engine, ref)
    rows = engine.sql(
        f"""SELECT DISTINCT account_id FROM network_members WHERE run_id = ? AND network_id = ?
            {"AND " + not_weak_sql() if without_weak else ""} ORDER BY 1""",
        [rid, nid],
    ).rows()
    return rid, nid, [r[0] for r in rows]
