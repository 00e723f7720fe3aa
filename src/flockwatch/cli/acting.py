"""Options shared by every acting command (--by, --password-file, FLOCKWATCH_USER / FLOCKWATCH_TOKEN)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from flockwatch.review.actor import Actor, acting_user
from flockwatch.store import Store

ByOpt = Annotated[
    str | None,
    typer.Option("--by", help="Acting user (a registered user name).", envvar="FLOCKWATCH_USER"),
]
PasswordFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--password-file",
        help="File whose first line is the acting user's password (a team store needs it, or FLOCKWATCH_TOKEN).",
    ),
]


def actor_for(store: Store, by: str | None, password_file: Path | None) -> Actor:
    return acting_user(store, by=by, password_file=password_file, token=os.environ.get("FLOCKWATCH_TOKEN") or None)
