"""`flockwatch demo`: the whole loop on a simulated platform, end to end, in about a minute.

simulate (a small platform with one planted operation) → ingest → detect + cluster → evaluate against the planted
truth → state-media registry and ad eligibility → attribute the strongest candidate network → HTML report.
Each step is the library call the matching CLI verb makes; this command only strings them together and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from flockwatch.cli.common import console, progress_status


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the simulated data, workspace, report.")
    ] = Path("demo"),
    seed: Annotated[int, typer.Option(help="Simulation seed.")] = 7,
    preset: Annotated[str, typer.Option(help="Simulator preset.")] = "demo",
) -> None:
    """Run the whole pipeline on a simulated platform and print where the results are.

    Example: flockwatch demo --out demo --seed 7
    """
    from flockwatch.attribute import attribute
    from flockwatch.detect import detect
    from flockwatch.evaluate import evaluate
    from flockwatch.ingest import ingest_paths
    from flockwatch.networks import build_networks, explain_pair, load_operations
    from flockwatch.policy import Registry, check_ad_eligibility, decide, import_registry
    from flockwatch.report import stored_network_edges, write_report
    from flockwatch.simulate import simulate
    from flockwatch.workspace import Workspace

    data_dir, ws_dir = out / "data", out / "workspace"
    with progress_status("simulating a platform") as update:
        sim = simulate(data_dir, preset=preset, seed=seed, progress=None)
        update("ingesting")
        files = sorted(data_dir.glob("sim_*_csv_*.csv")) + [data_dir / "logins.csv"]
        with Workspace.open(ws_dir, create=True) as ws:
            summaries = ingest_paths(ws, files, progress=update)
            counts = ws.info()["tables"]
    console.print(
        f"[bold]1. simulated[/] {data_dir} and [bold]ingested[/] {len(summaries)} files: "
        f"{counts['accounts']:,} accounts, {counts['actions']:,} actions, {counts['infrastructure']:,} logins, "
        f"{counts['quarantine']:,} quarantined rows"
    )

    with Workspace.open(ws_dir) as ws:
        with progress_status("detecting coordinated behaviour") as update:
            run = detect(ws, progress=update)
            update("clustering candidate networks")
            networks = build_networks(ws, run.run_id)
        flagged = [n for n in networks if n.flagged]
        operations = load_operations(ws, run.run_id)
        console.print(
            f"[bold]2. detected[/] {run.edges_count:,} calibrated edges over {len(run.results)} detectors in "
            f"{run.seconds:.1f} s; {len(flagged)} candidate network(s) flagged, grouped into "
            f"{len(operations)} candidate operation(s)"
        )
        for op in operations[:2]:
            console.print(
                f"  [bold]{op.operation_id}[/] {len(op.network_ids)} network(s), {op.n_members:,} "
                f"accounts, score {op.score:.2f}",
                highlight=False,
            )
        for n in flagged[:3]:
            console.print(f"  [bold]{n.network_id}[/] {escape(n.explanation)}", highlight=False)
        if flagged:
            top = flagged[0]
            pair = sorted(top.account_scores, key=lambda m: -top.account_scores[m])[:2]
            if len(pair) == 2:
                why = explain_pair(ws, pair[0], pair[1], run.run_id, evidence_limit=2)
                lines = [why["explanation"]] + [
                    f"  evidence [{ev['detector']}] actions {ev['action_id_a']} / {ev['action_id_b']} on "
                    f"{str(ev['target'])[:60]!r}, {ev['dt_s']:.0f} s apart"
                    for ev in why["evidence"]
                ]
                console.print(
                    Panel(escape("\n".join(lines)), title=f"why two members of {top.network_id} are linked"),
                    highlight=False,
                )

        metrics = evaluate(ws, sim.truth_csv, run.run_id)
        fused = metrics["fused"]
        console.print(
            f"[bold]3. evaluated[/] against the planted truth: precision {fused['precision']:.3f}, "
            f"recall {fused['recall']:.3f}, F1 {fused['f1']:.3f}"
        )
        e = Table(title="per detector (accounts with any edge)")
        for c in ("detector", "precision", "recall", "f1"):
            e.add_column(c, justify="right" if c != "detector" else "left")
        for name, m in metrics.get("per_detector", {}).items():
            e.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}")
        console.print(e)

        reg = Registry.open(ws)
        import_registry(reg)
        decide(reg, "twitter-2019-08-ads", as_of="2019-08-19")
        checks = check_ad_eligibility(
            reg, ["@XHNews", "chinadaily.com.cn", "@BBCWorld", "https://www.npr.org/"], on_date="2019-09-01"
        )
        a = Table(title="4. ad eligibility under twitter-2019-08-ads")
        for c in ("advertiser", "outlet", "eligible", "outcome"):
            a.add_column(c)
        for c in checks:
            d = c.to_dict()
            a.add_row(d["input"], (d.get("outlet") or {}).get("name", "-"), str(d["eligible"]), d["outcome"])
        console.print(a)

        if not flagged:
            console.print("no candidate network was flagged; nothing to attribute or report")
            return
        top = flagged[0]
        att = attribute(ws, top.members, network_id=top.network_id)
        console.print(
            Panel(escape(att.rationale), title=f"5. attribution of {top.network_id}: {att.confidence} confidence")
        )
        report = write_report(
            ws,
            top.members,
            out / f"report-{top.network_id}.html",
            name=top.network_id,
            attribution={**att.to_dict(), "evidence": att.evidence_rows()},
            edges=stored_network_edges(ws, top.network_id),
        )
    console.print(
        Panel(
            f"workspace   {ws_dir}\nreport      {report}\ntruth       {sim.truth_csv}\n"
            f"next        .venv/bin/flockwatch networks list --workspace {ws_dir}\n"
            f"            .venv/bin/flockwatch networks operations --workspace {ws_dir}",
            title="results",
        )
    )
