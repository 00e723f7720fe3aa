"""Ground truth of a simulation: ``truth.csv`` (one row per planted account) and ``truth.json`` (the configuration).

Consumes the population, the operation generators' per-member tallies and the run's counts; produces the two files
evaluations read. ``truth.csv`` columns: ``account_id, operation_id, role, is_fresh, created_at, tactics`` (role
``core`` or ``amplifier``; ``tactics`` the ``;``-joined tactic names the account took part in). Organic accounts are
absent. ``truth.json`` holds everything needed to check a finding against the plan (zone, schedule, hashtags,
domains, targets, state-media accounts, tactic parameters), written with sorted keys so equal runs give equal bytes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flockwatch.simulate.config import TACTIC_NAMES, SimulationConfig
from flockwatch.simulate.operations import TACTIC_CODE, OperationGenerator
from flockwatch.simulate.population import Population
from flockwatch.simulate.writer import write_csv

TRUTH_COLUMNS = ("account_id", "operation_id", "role", "is_fresh", "created_at", "tactics")


def member_tactics(gen: OperationGenerator) -> list[str]:
    """Tactic names per member: what its actions show plus the account-level tactics that apply to it."""
    m = gen.m
    t = gen.op.tactics
    mask = gen.tactic_mask.copy()
    acted = gen.actions > 0
    if t.office_hours.enabled:
        mask[acted] |= 1 << TACTIC_CODE["office_hours"]
    if t.infra.enabled:
        mask |= 1 << TACTIC_CODE["infra"]
    if t.bulk_creation.enabled:
        mask[m.created_in_burst] |= 1 << TACTIC_CODE["bulk_creation"]
    bits = [(name, 1 << TACTIC_CODE[name]) for name in TACTIC_NAMES]
    cache: dict[int, str] = {}
    out = []
    for v in mask.tolist():
        if v not in cache:
            cache[v] = ";".join(name for name, b in bits if v & b)
        out.append(cache[v])
    return out


def write_truth_csv(path: Path, pop: Population, gens: list[OperationGenerator]) -> int:
    tables = []
    for gen in gens:
        m = gen.m
        idx = np.arange(m.core_start, m.end)
        n = idx.size
        tables.append(
            pa.table(
                {
                    "account_id": pop.userid_str.take(pa.array(idx)),
                    "operation_id": pa.repeat(pa.scalar(gen.op.operation_id), n),
                    "role": pa.array(np.where(idx < m.amp_start, "core", "amplifier"), pa.string()),
                    "is_fresh": pa.array(m.is_fresh),
                    "created_at": pc.strftime(
                        pa.array(pop.created_s[idx].astype("datetime64[s]")), format="%Y-%m-%dT%H:%M:%S"
                    ),
                    "tactics": pa.array(member_tactics(gen), pa.string()),
                }
            )
        )
    table = pa.concat_tables(tables) if tables else pa.table({c: pa.array([], pa.string()) for c in TRUTH_COLUMNS})
    write_csv(table, path)
    return table.num_rows


def truth_document(
    cfg: SimulationConfig,
    pop: Population,
    gens: list[OperationGenerator],
    counts: dict[str, Any],
    files: dict[str, Any],
) -> dict[str, Any]:
    ops = []
    for gen in gens:
        m, op = gen.m, gen.op
        d = dataclasses.asdict(op)
        d.update(
            n_fresh=int(m.is_fresh.sum()),
            n_actions=int(gen.actions.sum()),
            burst_rate_scale=round(gen.scale, 6),
            schedule={
                "zone_offset_h": op.zone_offset_h,
                "weekdays_only": op.tactics.office_hours.enabled,
                "office_hours": dataclasses.asdict(op.tactics.office_hours),
                "start": op.start,
                "first_suspension": op.first_suspension,
                "end": cfg.end_date.isoformat(),
            },
            target_accounts=[
                {"account_id": str(pop.userid[i]), "screen_name": pop.screen_name[int(i)].as_py()} for i in m.targets
            ],
            state_media_accounts=[
                {"screen_name": h, "account_id": str(pop.userid[pop.state_media[h]])}
                for h in op.state_media
                if h in pop.state_media
            ],
            enabled_tactics=op.tactics.enabled_names(),
        )
        ops.append(d)
    doc = cfg.to_dict()
    doc["operations"] = ops
    doc["counts"] = counts
    doc["files"] = files
    doc["end"] = cfg.end_date.isoformat()
    doc["state_media_accounts"] = {h: str(pop.userid[i]) for h, i in pop.state_media.items()}
    return doc


def write_truth_json(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(
        json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, default=_jsonable) + "\n", encoding="utf-8"
    )


def _jsonable(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    raise TypeError(type(o))
