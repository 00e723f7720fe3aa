"""`flockwatch evaluate`: score a detection run against ground truth."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, open_workspace, print_json
from flockwatch.errors import ValidationError
from flockwatch.evaluate import compare_with_categories, read_categories
from flockwatch.evaluate import evaluate as run_evaluate


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)


def evaluate(
    workspace: WorkspaceOpt,
    truth: Annotated[Path | None, typer.Option(help="Ground truth CSV (account_id, operation_id, ...).")] = None,
    categories: Annotated[
        Path | None, typer.Option(help="Account labelling CSV to compare networks with (ARI, confusion table).")
    ] = None,
    id_column: Annotated[str, typer.Option(help="Account id column of --categories.")] = "author_id",
    category_column: Annotated[str, typer.Option(help="Category column of --categories.")] = "account_category",
    run: Annotated[str | None, typer.Option("--run", help="Detection run id (default: the latest).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Account-level precision, recall and F1 (fused and per detector) and network purity against ground truth;
    or, with --categories, agreement of the networks with an account labelling (adjusted Rand index).

    Example: flockwatch evaluate --workspace demo/ws --truth demo/sim/truth.csv --json
    """
    if (truth is None) == (categories is None):
        raise ValidationError("give exactly one of --truth or --categories")
    if categories is not None:
        labels = read_categories(categories, id_column, category_column)
        with open_workspace(workspace, read_only=True) as ws:
            cmp = compare_with_categories(ws, labels, run)
        if json_:
            print_json(cmp)
            return
        # compact: a dozen count columns must fit a terminal without truncating the network ids
        t = Table(
            title=f"categories x candidate networks (ARI {cmp['ari_all_labelled']})",
            box=None,
            padding=(0, 0, 0, 1),
            pad_edge=False,
            show_edge=False,
        )
        t.add_column("category", no_wrap=True, max_width=12)
        for c in cmp["columns"]:
            head = c.strip("()").replace(" networks", "")
            t.add_column(head, justify="right", no_wrap=True, min_width=len(head))
        for cat, row in cmp["confusion"].items():
            t.add_row(cat, *(str(row.get(c, 0)) for c in cmp["columns"]))
        console.print(t)
        return
    with open_workspace(workspace, read_only=True) as ws:
        result = run_evaluate(ws, truth, run)
    if json_:
        print_json(result)
        return
    t = Table(title=f"evaluation of {result['run_id']} against {result['truth_accounts']} planted accounts")
    for c in ("signal", "precision", "recall", "F1", "accounts flagged"):
        t.add_column(c, justify="left" if c == "signal" else "right")
    rows = [("fused (flagged networks)", result["fused"])] + list(result["per_detector"].items())
    for name, m in rows:
        t.add_row(name, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", f"{m['predicted']:,}")
    console.print(t)
    console.print(f"network purity: {result['network_purity']} over {result['networks_flagged']} flagged networks")
    ops = result.get("candidate_operations")
    if ops:
        console.print(
            f"candidate operations: {ops['operations']}; the largest holds {ops['largest_networks']} "
            f"network(s), {ops['largest_members']:,} accounts; operation recall "
            f"{ops['operation_recall']}, purity {ops['operation_purity']}"
        )
