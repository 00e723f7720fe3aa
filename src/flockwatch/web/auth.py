"""Who may use the console: the seam between the web layer and the operational store's users.

Consumes a user name and password (sign-in) or a user name (every request); produces a :class:`Principal` — the
name, the role (``analyst``, ``reviewer``, ``admin``) and a *credential stamp* that changes whenever the role or
the password changes, so that sessions opened before such a change end (``security.py``).

:class:`Directory` is the interface; the console is given one when it is built. Roles are checked on the server by
:func:`require_role`; what each role may do is listed in :data:`ROLE_RANK` (a reviewer can do what an analyst can,
an admin what a reviewer can).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES = ("analyst", "reviewer", "admin")
ROLE_RANK = {r: i for i, r in enumerate(ROLES)}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    stamp: str

    def has(self, role: str) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK[role]


class Directory(Protocol):
    def authenticate(self, username: str, password: str) -> Principal | None:
        """The user when the password is right and the user is active; None otherwise (never says which)."""
        ...

    def lookup(self, username: str) -> Principal | None:
        """The user as stored now (None when deleted or disabled)."""
        ...


class Forbidden(Exception):
    """The signed-in user's role does not allow this (answered 403)."""


def require_role(principal: Principal, role: str) -> None:
    if not principal.has(role):
        raise Forbidden(f"this needs the {role} role; {principal.name} is {principal.role}")
