"""The console's users from the operational store (``flockwatch users add``): argon2 passwords, roles, stamps.

Consumes a :class:`~flockwatch.store.Store`; produces :class:`~flockwatch.web.auth.Principal` objects for the
console's :class:`~flockwatch.web.auth.Directory` seam, and the store's own ``User`` for library calls that act on
a user's behalf (``review.actions.propose``/``approve`` take an ``Actor``).
"""

from __future__ import annotations

from flockwatch.errors import RefusedError, ValidationError
from flockwatch.review.actor import Actor
from flockwatch.store import Store
from flockwatch.store.sessions import credential_stamp
from flockwatch.store.users import authenticate_password, get_user
from flockwatch.web.auth import Principal

#: how the console says it authenticated an actor (recorded with their audit entries)
AUTHENTICATED_BY = "console-session"


class StoreDirectory:
    def __init__(self, store: Store) -> None:
        self.store = store

    def authenticate(self, username: str, password: str) -> Principal | None:
        try:
            user = authenticate_password(self.store, username, password)
        except (RefusedError, ValidationError):
            return None
        return self.lookup(user.name)

    def lookup(self, username: str) -> Principal | None:
        found = credential_stamp(self.store, username)
        if found is None:
            return None
        role, stamp = found
        return Principal(username, role, stamp)

    def actor(self, principal: Principal) -> Actor:
        """The store's actor for a signed-in principal (its name checked against the store again)."""
        return Actor(get_user(self.store, principal.name), None, AUTHENTICATED_BY)
