"""PostgreSQL roles for a team store: the owner migrates, the application role only reads and writes rows.

Consumes a :class:`~flockwatch.store.Store` opened as the database owner (the role that ran the migrations) and the
name of the application role; produces the grants. The application role gets SELECT/INSERT/UPDATE/DELETE on every
operational table and the sequences behind their ids, but only SELECT and INSERT on ``ops_audit``: it can append to
the audit log and read it, never change or delete an entry, and, not owning the table, cannot drop its guard trigger.
The access log is append-only for it too, except through ``ops_access_log_expire`` (records past retention, at least
30 days old, not under legal hold; revision 0009).

Run it after every migration (``flockwatch store grant --app-role NAME`` with the owner's URL); it is idempotent.
"""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from flockwatch.errors import ValidationError
from flockwatch.store import Store

APPEND_ONLY = ("ops_audit", "ops_access_log")


def grant_app_role(store: Store, app_role: str) -> list[str]:
    """Grant ``app_role`` what the application needs (and no more); returns the statements run."""
    if store.dialect != "postgresql":
        raise ValidationError(
            "roles exist on PostgreSQL only; the embedded SQLite store guards its audit log by trigger"
        )
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_role):
        raise ValidationError(f"role name {app_role!r}: use lower-case letters, digits and '_'")
    with store.connect() as conn:
        tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
    stmts = [f"GRANT USAGE ON SCHEMA public TO {app_role}", f"GRANT SELECT ON alembic_version TO {app_role}"]
    for t in sorted(tables):
        stmts.append(f"REVOKE ALL ON {t} FROM {app_role}")
        verbs = "SELECT, INSERT" if t in APPEND_ONLY else "SELECT, INSERT, UPDATE, DELETE"
        stmts.append(f"GRANT {verbs} ON {t} TO {app_role}")
    # retention may delete access records only through this guarded function (revision 0009)
    stmts.append(f"GRANT EXECUTE ON FUNCTION ops_access_log_expire(text) TO {app_role}")
    # UPDATE: setval after the shipped registry is copied in with its ids
    stmts.append(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {app_role}")
    with store.begin() as conn:
        for s in stmts:
            conn.execute(text(s))
    return stmts
