"""Who is acting: the authenticated user behind a command, and the OS user recorded beside them.

Consumes a :class:`~flockwatch.store.Store` and what the caller was given (``--by NAME``, ``--password-file F``,
a token from ``FLOCKWATCH_TOKEN``, a name from ``FLOCKWATCH_USER``); produces an :class:`Actor`.

- a token authenticates its user (a ``by`` naming someone else is refused: IDENTITY_MISMATCH);
- a password file authenticates ``by`` (or ``FLOCKWATCH_USER``) against the stored argon2 hash; the file holds the
  password on its first line (so that it never appears in shell history or ``ps``);
- on the embedded single-analyst store (SQLite in the workspace) a bare ``by`` naming a registered user is accepted;
  on a team store (PostgreSQL) it is refused (NOT_AUTHENTICATED): everyone there shares the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flockwatch.errors import InputFileError, RefusedError, ValidationError
from flockwatch.review.audit import os_user
from flockwatch.store import Store
from flockwatch.store.users import User, authenticate_password, authenticate_token, get_user


@dataclass(frozen=True)
class Actor:
    user: User
    os_user: str | None
    authenticated_by: str  # token | password | embedded

    @property
    def name(self) -> str:
        return self.user.name


def read_password_file(path: str | Path) -> str:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(p, "password file not found")
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(p, f"cannot read password file: {exc}") from exc
    if not lines or not lines[0]:
        raise InputFileError(p, "password file is empty (the password goes on the first line)")
    return lines[0]


def acting_user(
    store: Store, *, by: str | None = None, password_file: str | Path | None = None, token: str | None = None
) -> Actor:
    """The authenticated user for a command; :class:`RefusedError` when the store's rules are not met."""
    by = (by or "").strip() or None
    if token:
        user = authenticate_token(store, token)
        if by and by != user.name:
            raise RefusedError("IDENTITY_MISMATCH", f"the token belongs to {user.name!r}, not {by!r}")
        return Actor(user, os_user(), "token")
    if password_file is not None:
        if not by:
            raise ValidationError("a password file needs the user's name (--by NAME or FLOCKWATCH_USER)")
        return Actor(authenticate_password(store, by, read_password_file(password_file)), os_user(), "password")
    if not by:
        raise ValidationError("who is acting? give --by NAME (and on a team store a password file or token)")
    if store.is_team:
        raise RefusedError(
            "NOT_AUTHENTICATED",
            f"a team store needs {by!r} to authenticate: --password-file FILE or FLOCKWATCH_TOKEN",
        )
    user = get_user(store, by)
    if user.disabled_at is not None:
        raise RefusedError("NOT_AUTHENTICATED", f"user {by!r} is disabled")
    return Actor(user, os_user(), "embedded")
