"""`flockwatch users add|list|token`: the users of a workspace's operational store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from flockwatch.cli.acting import ByOpt, PasswordFileOpt, actor_for
from flockwatch.cli.common import JsonOpt, WorkspaceOpt, console, print_json
from flockwatch.errors import RefusedError
from flockwatch.review import audit
from flockwatch.review.actor import read_password_file
from flockwatch.store.users import add_user, count_users, has_role, issue_token, list_users
from flockwatch.workspace import ops_store


def register(app: typer.Typer) -> None:
    users_app = typer.Typer(help="Users of the operational store (analysts, reviewers, admins).", no_args_is_help=True)
    users_app.command("add")(add)
    users_app.command("list")(list_)
    users_app.command("token")(token)
    app.add_typer(users_app, name="users")


def add(
    name: Annotated[str, typer.Argument(help="User name (letters, digits, _ . @ -).")],
    workspace: WorkspaceOpt,
    role: Annotated[str, typer.Option("--role", help="analyst, reviewer or admin.")] = "analyst",
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="File whose first line is the NEW user's password.")
    ] = None,
    by: ByOpt = None,
    by_password_file: Annotated[
        Path | None, typer.Option("--by-password-file", help="Password file of the acting admin (team store).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Add a user. The first user of a store needs no one's permission (make it an admin); later ones need an admin.

    Example: flockwatch users add alice --role reviewer --password-file alice.pw --workspace cases/hk2019
    """
    store = ops_store(workspace)
    creator = "bootstrap"
    if count_users(store) > 0:
        actor = actor_for(store, by, by_password_file)
        if not has_role(actor.user, "admin"):
            raise RefusedError("ROLE_REQUIRED", f"adding users needs an admin; {actor.name} is an {actor.user.role}")
        creator = actor.name
    password = read_password_file(password_file) if password_file is not None else None
    user = add_user(store, name, role, password)
    audit.append(
        store,
        actor=creator,
        os_user=audit.os_user(),
        action="user.add",
        object_ref=f"user:{user.name}",
        after={"role": user.role, "has_password": user.has_password},
    )
    if json_out:
        print_json(user.to_dict())
    else:
        console.print(f"added {user.name} ({user.role})" + (" with a password" if user.has_password else ""))


def list_(workspace: WorkspaceOpt, json_out: JsonOpt = False) -> None:
    """List the store's users and roles.

    Example: flockwatch users list --workspace cases/hk2019
    """
    users = list_users(ops_store(workspace))
    if json_out:
        print_json([u.to_dict() for u in users])
        return
    for u in users:
        console.print(f"{u.name}\t{u.role}" + ("\t(disabled)" if u.disabled_at else ""))


def token(
    name: Annotated[str, typer.Argument(help="Whose token.")],
    workspace: WorkspaceOpt,
    by: ByOpt = None,
    password_file: PasswordFileOpt = None,
    label: Annotated[str, typer.Option("--label", help="What the token is for.")] = "",
) -> None:
    """Issue an API token (printed once; set it as FLOCKWATCH_TOKEN). Users get their own; admins anyone's.

    Example: flockwatch users token alice --by alice --password-file alice.pw --workspace cases/hk2019
    """
    store = ops_store(workspace)
    actor = actor_for(store, by, password_file)
    if actor.name != name and not has_role(actor.user, "admin"):
        raise RefusedError("ROLE_REQUIRED", f"{actor.name} may issue tokens only for themselves")
    tok = issue_token(store, name, label)
    audit.append(
        store, actor=actor.name, os_user=actor.os_user, action="user.token", object_ref=f"user:{name}", reason=label
    )
    typer.echo(tok)
