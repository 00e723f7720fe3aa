"""`flockwatch serve`: the analyst console over a workspace (flockwatch.web), on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from flockwatch.cli.common import WorkspaceOpt, console


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    workspace: WorkspaceOpt,
    host: Annotated[
        str, typer.Option(help="Address to listen on (loopback by default; put TLS in front otherwise).")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies/--no-secure-cookies", help="Mark the session cookie Secure (behind TLS).")
    ] = False,
    refresh_interval_s: Annotated[
        float, typer.Option("--refresh-interval-s", help="How often to look for a finished write to the warehouse.")
    ] = 2.0,
) -> None:
    """Serve the analyst console: queue, networks, evidence, accounts, cases, registry (sign in with `users add`).

    Example: flockwatch serve --workspace cases/hk2019 --host 127.0.0.1 --port 8765
    """
    import uvicorn

    from flockwatch.errors import WorkspaceError
    from flockwatch.web import create_app
    from flockwatch.workspace import WAREHOUSE

    if not (workspace / WAREHOUSE).exists():
        raise WorkspaceError(
            f"{workspace} is not a flockwatch workspace (no {WAREHOUSE}); create one with `flockwatch init {workspace}`"
        )
    app = create_app(workspace, secure_cookies=secure_cookies, refresh_interval_s=refresh_interval_s)
    console.print(f"flockwatch console on http://{host}:{port}/ over {workspace} (Ctrl-C stops it)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
