"""Seed sets: the confirmed accounts an expansion starts from.

Consumes a list of account ids, a file with one account id per line (exactly as in the source data; blank lines and
lines starting with ``#`` are ignored), or ``network:<id>`` when the detection tables exist; produces a sorted,
de-duplicated list of account ids. Seeds that the workspace does not know are reported, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flockwatch.accountlist import read_account_file
from flockwatch.engine import Engine
from flockwatch.errors import ValidationError

if TYPE_CHECKING:
    from flockwatch.workspace import Workspace

NETWORK_PREFIX = "network:"


@dataclass
class SeedSet:
    """Seeds as given, split into those the workspace knows and those it does not."""

    account_ids: list[str]
    unknown: list[str] = field(default_factory=list)
    source: str = ""


read_seed_file = read_account_file  # seeds are an account list like any other



def network_members(ws: Workspace, network_id: str) -> list[str]:
    """Accounts of a detected candidate network (needs the detection table ``network_members``).

    ``network_id`` is ``<id>`` (the latest finished detection run holding that network) or ``<run_id>/<id>``.
    """
    engine = ws.engine
    if not engine.table_exists("network_members"):
        raise ValidationError(
            f"`{NETWORK_PREFIX}{network_id}` needs detected networks (table network_members); run detection first "
            "or pass a seed file"
        )
    run_id, _, nid = str(network_id).rpartition("/")
    if not run_id:
        has_run = engine.sql(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'network_members' "
            "AND column_name = 'run_id'").scalar()
        if has_run and engine.table_exists("detection_runs"):
            run_id = engine.sql(
                """SELECT r.run_id FROM detection_runs r
                    WHERE r.run_id IN (SELECT run_id FROM network_members WHERE CAST(network_id AS VARCHAR) = ?)
                    ORDER BY (r.status = 'done') DESC, r.started_at DESC, r.run_id DESC LIMIT 1""", [nid]).scalar()
    where = "CAST(network_id AS VARCHAR) = ?" + (" AND run_id = ?" if run_id else "")
    rows = engine.sql(f"SELECT DISTINCT account_id FROM network_members WHERE {where} ORDER BY 1",
                      [nid, run_id] if run_id else [nid]).rows()
    if not rows:
        raise ValidationError(f"candidate network {network_id!r} has no members in this workspace")
    return [r[0] for r in rows]


def resolve_seeds(ws: Workspace, seeds: str | Path | Iterable[str]) -> SeedSet:
    """Turn ``seeds`` (ids, a file path, or ``network:<id>``) into a :class:`SeedSet` checked against the workspace."""
    engine = ws.engine
    source = ""
    if isinstance(seeds, (str, Path)):
        text = str(seeds)
        if text.startswith(NETWORK_PREFIX):
            ids = network_members(ws, text[len(NETWORK_PREFIX):])
        else:
            ids = read_seed_file(text)
        source = text
    else:
        ids = [str(s).strip() for s in seeds if str(s).strip()]
        source = "list"
    ids = sorted(set(ids))
    if not ids:
        raise ValidationError("the seed set is empty")
    known = _known_accounts(engine, ids)
    found = sorted(i for i in ids if i in known)
    unknown = sorted(i for i in ids if i not in known)
    if not found:
        raise ValidationError(
            f"none of the {len(ids)} seeds appears in the workspace (first: {ids[0]!r}); ids must be exactly as in "
            "the source data"
        )
    return SeedSet(found, unknown, source)


def _known_accounts(engine: Engine, ids: list[str]) -> set[str]:
    import pyarrow as pa

    with engine.scratch("seeds") as scratch:
        seed_ids = scratch.register("ids", pa.table({"account_id": pa.array(ids, pa.string())}))
        rows = engine.sql(
            f"SELECT s.account_id FROM {seed_ids} s WHERE s.account_id IN (SELECT account_id FROM accounts) "
            "OR s.account_id IN (SELECT account_id FROM actions)"
        ).rows()
    return {r[0] for r in rows}
