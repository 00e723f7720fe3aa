"""What a signed-in session depends on: a user's credential stamp.

Consumes a :class:`~flockwatch.store.Store` and a user name; produces a short opaque string that changes whenever
the user's role, password (``password_changed_at``) or disabled state changes (None when the user does not exist or is disabled). A
console keeps the stamp a session was opened with and ends the session when the stored one differs: a role change,
a password change or disabling a user ends that user's sessions at their next request. The stamp does not hash the
stored argon2 hash: a rehash on sign-in (new parameters, same password) must not sign the user out elsewhere.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select

from flockwatch.store import Store
from flockwatch.store.tables import ops_users


def credential_stamp(store: Store, name: str) -> tuple[str, str] | None:
    """``(role, stamp)`` of an active user, or None."""
    with store.connect() as conn:
        row = conn.execute(
            select(
                ops_users.c.user_id,
                ops_users.c.role,
                ops_users.c.password_hash,
                ops_users.c.password_changed_at,
                ops_users.c.disabled_at,
            ).where(ops_users.c.name == name)
        ).first()
    if row is None or row.disabled_at is not None:
        return None
    password = f"{row.password_changed_at or ''}\x00{int(row.password_hash is not None)}"
    digest = hashlib.sha256(f"{row.user_id}\x00{row.role}\x00{password}".encode()).hexdigest()
    return row.role, digest[:32]
