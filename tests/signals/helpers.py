"""Hand-made timelines and accounts for signal tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from flockwatch import schema


def table(name: str, rows: list[dict]) -> pa.Table:
    cols = schema.CANONICAL_TABLES[name].column_names
    return pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])


def insert(ws, name: str, rows: list[dict]) -> None:
    ws.engine.insert_arrow(name, table(name, rows))


def eu_summer(day: dt.date) -> bool:
    """EU summer time (last Sunday of March .. last Sunday of October), day resolution."""

    def last_sunday(month: int) -> dt.date:
        d = dt.date(day.year, month, 31)
        return d - dt.timedelta(days=(d.weekday() + 1) % 7)

    return last_sunday(3) < day < last_sunday(10)


def office_timeline(
    rng: np.random.Generator,
    n: int,
    utc_offset_h: int,
    start: dt.date = dt.date(2019, 1, 1),
    days: int = 365,
    dst: str | None = None,
) -> list[dt.datetime]:
    """Office-hours activity (weekdays 9-17, lunch gap) in a zone, returned as naive UTC datetimes."""
    out: list[dt.datetime] = []
    while len(out) < n:
        day = start + dt.timedelta(days=int(rng.integers(days)))
        if day.weekday() >= 5:
            continue
        hour = int(rng.choice([9, 10, 11, 13, 14, 15, 16, 17]))
        local = dt.datetime(day.year, day.month, day.day, hour, int(rng.integers(60)), int(rng.integers(60)))
        off = utc_offset_h + (1 if dst == "eu" and eu_summer(day) else 0)
        out.append(local - dt.timedelta(hours=off))
    return out


def actions_for(account_id: str, times: list[dt.datetime], platform: str = "t", **extra) -> list[dict]:
    return [
        {
            "platform": platform,
            "action_id": f"{account_id}-{i}",
            "account_id": account_id,
            "kind": "post",
            "acted_at": t,
            **extra,
        }
        for i, t in enumerate(times)
    ]
