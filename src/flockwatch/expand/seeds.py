"""Seed sets: the confirmed accounts an expansion starts from.

Consumes a list of account ids, a file with one account id per line (exactly as in the source data; blank lines and
lines starting with ``#`` are ignored), or ``network:<id>`` (that network of the latest detection run, or ``network:<run_id>/<id>``); produces a sorted,
de-duplicated list of account ids. Seeds that the workspace does not know are reported, not silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flockwatch.accountlist import read_account_file
from flockwatch.core import runs
from flockwatch.core.runs import NETWORK_PREFIX
from flockwatch.errors import ValidationError

if TYPE_CHECKING:
    from flockwatch.engine import Engine
    from flockwatch.workspace import Workspace


@dataclass
class SeedSet:
    """Seeds as given, split into those the workspace knows and those it does not."""

    account_ids: list[str]
    unknown: list[str] = field(default_factory=list)
    source: str = ""


read_seed_file = read_account_file  # seeds are an account list like any other


def resolve_seeds(ws: Workspace, seeds: str | Path | Iterable[str]) -> SeedSet:
    """Turn ``seeds`` (ids, a file path, or ``network:<id>``) into a :class:`SeedSet` checked against the workspace."""
    engine = ws.engine
    source = ""
    if isinstance(seeds, (str, Path)):
        text = str(seeds)
        if text.startswith(NETWORK_PREFIX):
            ids = runs.network_members(engine, text)[2]
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

    # profiles first; only ids without one are looked for among the actions (one scan of every action's account,
    # skipped when every seed has a profile)
    with engine.scratch("seeds") as scratch:
        seed_ids = scratch.register("ids", pa.table({"account_id": pa.array(ids, pa.string())}))
        known = {
            r[0] for r in engine.sql(f"SELECT account_id FROM {seed_ids} SEMI JOIN accounts USING (account_id)").rows()
        }
    rest = [i for i in ids if i not in known]
    if rest:
        with engine.scratch("seeds") as scratch:
            rest_ids = scratch.register("ids", pa.table({"account_id": pa.array(rest, pa.string())}))
            known.update(
                r[0]
                for r in engine.sql(
                    f"SELECT DISTINCT account_id FROM actions WHERE account_id IN (SELECT account_id FROM {rest_ids})"
                ).rows()
            )
    return known
