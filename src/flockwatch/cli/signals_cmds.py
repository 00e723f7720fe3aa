"""Account-signal verbs: signals (every family, CSV or table) and working-hours (time-zone fingerprint)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pyarrow.csv as pacsv
import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.report.network import read_account_file
from flockwatch.signals import SIGNAL_FAMILIES, compute_signals, fingerprints_by_account, working_hours_fingerprint

AccountsOpt = Annotated[
    Path | None, typer.Option("--accounts", help="File with one account id per line (default: every account).")
]
PlatformOpt = Annotated[str | None, typer.Option("--platform", help="Only accounts of this platform.")]


def register(app: typer.Typer) -> None:
    app.command("signals")(signals)
    app.command("working-hours")(working_hours)


def signals(
    workspace: WorkspaceOpt,
    accounts: AccountsOpt = None,
    family: Annotated[
        list[str] | None,
        typer.Option("--family", help=f"Signal family (repeatable): {', '.join(SIGNAL_FAMILIES)}. Default: all."),
    ] = None,
    platform: PlatformOpt = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write all rows to this CSV file.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Account signals (creation bursts, name templates, profile reuse, cadence, working hours, language vs
    location, infrastructure) with the evidence behind each value.

    Example: flockwatch signals --workspace cases/hk2019 --accounts core.txt --output signals.csv
    """
    ids = read_account_file(accounts) if accounts else None
    with open_workspace(workspace, read_only=True) as ws:
        table = compute_signals(ws, ids, platform, families=family or None)
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        pacsv.write_csv(table, output)
        console.print(f"wrote {table.num_rows:,} signal rows to {output}")
    rows = table.to_pylist()
    summary: dict[str, dict] = {}
    for r in rows:
        s = summary.setdefault(r["signal"], {"signal": r["signal"], "accounts": 0, "strong": 0, "sum": 0.0})
        s["accounts"] += 1
        s["strong"] += r["value"] >= 0.5
        s["sum"] += r["value"]
    out = [
        {
            "signal": s["signal"],
            "accounts": s["accounts"],
            "strong_accounts": s["strong"],
            "mean_value": round(s["sum"] / s["accounts"], 4),
        }
        for s in summary.values()
    ]
    if json_:
        print_json(out)
        return
    if output:
        return
    t = Table(title="account signals (strong = value >= 0.5)")
    for c in ("signal", "accounts", "strong", "mean"):
        t.add_column(c, justify="left" if c == "signal" else "right")
    for s in out:
        t.add_row(s["signal"], f"{s['accounts']:,}", f"{s['strong_accounts']:,}", f"{s['mean_value']:.2f}")
    console.print(t)


def working_hours(
    workspace: WorkspaceOpt,
    accounts: AccountsOpt = None,
    platform: PlatformOpt = None,
    per_account: Annotated[bool, typer.Option("--per-account", help="One fingerprint per account.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Working-hours fingerprint: the most likely UTC offset (and summer-time rule) and shape of the working day.

    Example: flockwatch working-hours --workspace cases/ira --accounts trolls.txt --json
    """
    ids = read_account_file(accounts) if accounts else None
    with open_workspace(workspace, read_only=True) as ws:
        if per_account:
            fps = fingerprints_by_account(ws, ids, platform)
            data = [{"platform": p, "account_id": a, **_brief(f.to_dict())} for (p, a), f in fps.items()]
        else:
            data = _brief(working_hours_fingerprint(ws, ids, platform).to_dict())
    if json_:
        print_json(data)
        return
    if per_account:
        t = Table(title="working-hours fingerprint per account")
        for c in ("account", "reading", "confidence", "level", "slots", "shape"):
            t.add_column(c)
        for d in data:
            t.add_row(
                d["account_id"],
                d["label"],
                f"{d['confidence']:.2f}",
                d["confidence_level"],
                str(d["n_slots"]),
                str(d["shape"]),
            )
        console.print(t)
        return
    console.print(
        f"most likely: [bold]{data['label']}[/] — {data['confidence_level']} confidence "
        f"(posterior {data['confidence']:.2f}, {data['n_slots']:,} active hour slots, shape {data['shape']})"
    )
    for a in data["alternatives"]:
        console.print(f"  {a['label']}: {a['posterior']:.3f}")
    if data["office_hours"]:
        console.print("office hours (local): " + json.dumps(data["office_hours"]))


def _brief(d: dict) -> dict:
    d.pop("hour_of_week_local", None)
    return d
