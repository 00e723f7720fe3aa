"""`flockwatch expand`: grow seed accounts into the operation, ranked with calibrated scores and evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json, progress_status
from flockwatch.expand import ExpansionParams
from flockwatch.expand import expand as expand_seeds


def register(app: typer.Typer) -> None:
    app.command("expand")(expand)


def expand(
    workspace: WorkspaceOpt,
    seeds: Annotated[str, typer.Option("--seeds", help="File with one account id per line, or network:<id>.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write: account_id, score, evidence.")],
    window_s: Annotated[int, typer.Option(help="Co-action window in seconds.")] = 3600,
    rounds: Annotated[int, typer.Option(help="Expansion rounds (round 2 also anchors on round-1 finds).")] = 2,
    snowball_min_score: Annotated[float, typer.Option(help="Score at which a find joins the anchors.")] = 0.99,
    top: Annotated[int, typer.Option(help="Rows to print.")] = 10,
    json_: JsonOpt = False,
) -> None:
    """Rank every account linked to the seeds (co-actions, amplification, shared infrastructure, creation and
    name patterns) by a calibrated score — the estimated precision of the list cut at that account — with evidence.

    Example: flockwatch expand --workspace cases/hk2019 --seeds core.txt --output expansion.csv
    """
    params = ExpansionParams(window_s=window_s, rounds=rounds, snowball_min_score=snowball_min_score)
    with open_workspace(workspace) as ws, progress_status("expanding", not json_):
        x = expand_seeds(ws, seeds, params)
    x.write_csv(output)
    summary = {
        "seeds": len(x.seeds.account_ids),
        "unknown_seeds": x.seeds.unknown[:20],
        "scored": len(x),
        "at_0.95": int((x.scores >= 0.95).sum()),
        "at_0.99": int((x.scores >= 0.99).sum()),
        "output": str(output),
        "rounds": {k: v for k, v in x.stats.items() if k.startswith("round")},
    }
    if json_:
        print_json({**summary, "top": x.top(top)})
        return
    if x.seeds.unknown:
        console.print(
            f"[yellow]{len(x.seeds.unknown)} seeds are not in the workspace[/] (first: {x.seeds.unknown[0]!r})"
        )
    t = Table(
        title=f"expansion of {summary['seeds']} seeds — {len(x):,} linked accounts; "
        f"{summary['at_0.95']:,} at estimated precision >= 0.95"
    )
    for c in ("account", "score", "evidence (nats)", "round", "linked seeds"):
        t.add_column(c)
    for r in x.top(top):
        ev = r["evidence"]
        parts = [f"{k} {v['nats']:.1f}" for k, v in ev.items() if isinstance(v, dict) and "nats" in v]
        t.add_row(
            r["account_id"], f"{r['score']:.3f}", ", ".join(parts), str(r["round"]), ", ".join(ev.get("seeds", [])[:3])
        )
    console.print(t)
    console.print(f"wrote {len(x):,} rows to {output}")
