"""`flockwatch watch`: score newly arriving actions against known networks, flagging new amplifiers early."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.common import WorkspaceOpt, open_workspace
from flockwatch.errors import ValidationError
from flockwatch.expand.alerts import json_default, record_alert
from flockwatch.expand.watch import DirectoryFeed, Watcher, iter_jsonl_batches, read_batch_file


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)


def watch(
    workspace: WorkspaceOpt,
    seeds: Annotated[str, typer.Option("--seeds", help="File with one account id per line, or network:<id>.")],
    dir: Annotated[Path | None, typer.Option("--dir", help="Directory of new-action files (.jsonl, .csv).")] = None,
    stdin: Annotated[bool, typer.Option("--stdin", help="Read JSONL actions (or twarc2 pages) from stdin.")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Append flags as JSONL to this file.")] = None,
    min_score: Annotated[float, typer.Option(help="Estimated precision at which an account is flagged.")] = 0.95,
    expand_first: Annotated[
        bool, typer.Option("--expand/--no-expand", help="Grow the seeds into the known network first.")
    ] = True,
    batch_lines: Annotated[int, typer.Option(help="Lines per micro-batch on stdin.")] = 1000,
    poll_s: Annotated[float, typer.Option(help="Seconds between directory scans.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Process what is there now, then exit.")] = False,
) -> None:
    """Consume micro-batches of new actions and print (JSONL) each account flagged, with evidence, as soon as its
    first actions tie it to the known network. Existing files are processed first, then new ones as they appear.
    Each batch that flags accounts raises one alert (its id is in every flag line): open a case on it with
    `flockwatch case open --watch-alert ID`.

    Example: flockwatch watch --workspace cases/hk2019 --seeds core.txt --dir incoming/ --output flags.jsonl
    """
    if (dir is None) == (not stdin):
        raise ValidationError("give exactly one of --dir DIR or --stdin")
    out = output.open("a", encoding="utf-8") if output else None
    with open_workspace(workspace) as ws:
        w = Watcher(ws, seeds, min_score=min_score, expand_first=expand_first)
        typer.echo(
            f"watching: {len(w.anchors):,} known accounts; flag at >= {w.min_nats:.1f} nats "
            f"(estimated precision {min_score})",
            err=True,
        )

        store = ws.ops()

        def emit(flags, source: str) -> None:
            if not flags:
                return
            # one alert per batch that flags accounts: a case can be opened on it (`case open --watch-alert ID`)
            alert_id = record_alert(store, flags, source, seeds, min_score)
            typer.echo(f"alert {alert_id}: {len(flags):,} account(s) flagged in {source}", err=True)
            for f in flags:
                line = json.dumps({**f.to_dict(), "alert_id": alert_id}, ensure_ascii=False, default=json_default)
                typer.echo(line)
                if out:
                    out.write(line + "\n")
                    out.flush()

        try:
            if stdin:
                for batch in iter_jsonl_batches(sys.stdin, batch_lines):
                    emit(
                        w.process(
                            batch.actions, batch.hashtags, batch.urls, batch.mentions, batch.logins, batch.accounts
                        ),
                        "stdin",
                    )
            else:
                feed = DirectoryFeed(dir)
                while True:
                    for path in feed.new_files():
                        b = read_batch_file(path)
                        emit(w.process(b.actions, b.hashtags, b.urls, b.mentions, b.logins, b.accounts), path.name)
                        feed.mark(path)
                    if once:
                        break
                    time.sleep(poll_s)
        except KeyboardInterrupt:
            pass
        finally:
            typer.echo(f"processed {w.actions_seen:,} actions in {w.batches} batches", err=True)
            w.close()
            if out:
                out.close()
