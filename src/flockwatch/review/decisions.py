"""The guarded status change behind every review decision that two people may take at once.

Consumes an open transaction and an ``UPDATE`` whose ``WHERE`` names the status the caller read (``status =
'proposed'``, ``status = 'appealed'``); produces the change, or :class:`~flockwatch.errors.RefusedError`
``ALREADY_DECIDED`` when the row no longer has that status. The database decides the race, not a read before the
write: of two reviewers approving one action (or deciding one appeal) at once, exactly one UPDATE changes the row
(SQLite: the write lock; PostgreSQL: the row lock and a re-check of the WHERE under READ COMMITTED), and the other
is refused instead of overwriting a decision it never saw. Raising inside the transaction rolls back what the
caller wrote before it; the audit entry comes after, so a refused decision is never audited.
"""

from __future__ import annotations

from sqlalchemy import Connection, Update

from flockwatch.errors import RefusedError


def decide_once(conn: Connection, guarded: Update, what: str) -> None:
    """Apply ``guarded`` (one row, its expected status in the WHERE); refuse with ALREADY_DECIDED, naming ``what``
    ("action 7", "the appeal of tw:1"), when it changed no row."""
    if conn.execute(guarded).rowcount != 1:
        raise RefusedError("ALREADY_DECIDED", f"{what} was decided by someone else meanwhile")
