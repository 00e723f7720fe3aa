"""0009 access-log expiry: on PostgreSQL, the one way the application role may delete access records.

The application role holds only SELECT and INSERT on ``ops_access_log`` (who viewed which account must not be
erasable by the viewer). Retention still has to remove records past their limit, so this revision adds
``ops_access_log_expire(cutoff)``, a SECURITY DEFINER function owned by the migrating role: it deletes records
older than ``cutoff`` AND older than 30 days (so no caller can erase fresh traces of an access), never those made for
a case under legal hold, and returns how many it deleted. EXECUTE is revoked from PUBLIC and granted to the
application role by :func:`flockwatch.store.roles.grant_app_role`. SQLite (single analyst) needs nothing here.
"""

from __future__ import annotations

from alembic import op

revision = "0009_access_log_expiry"
down_revision = "0008_legal_hold"
branch_labels = None
depends_on = None

#: keep in step with flockwatch.privacy.retention.ACCESS_LOG_FLOOR_DAYS
FLOOR_DAYS = 30


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""CREATE FUNCTION ops_access_log_expire(cutoff text) RETURNS integer
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
          WITH gone AS (
            DELETE FROM ops_access_log
            WHERE at < cutoff
              AND at < to_char((now() AT TIME ZONE 'UTC') - interval '{FLOOR_DAYS} days',
                               'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
              AND (case_id IS NULL OR case_id NOT IN (SELECT case_id FROM ops_cases WHERE legal_hold = 1))
            RETURNING 1)
          SELECT count(*)::integer FROM gone
        $$"""
    )
    op.execute("REVOKE ALL ON FUNCTION ops_access_log_expire(text) FROM PUBLIC")
