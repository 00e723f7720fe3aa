"""0005 audit append-only: the database itself refuses UPDATE and DELETE on ops_audit.

SQLite has no roles, so triggers raise on any UPDATE or DELETE of an audit row. PostgreSQL gets the same guard as a
trigger (TRUNCATE included); on a team database the application role additionally holds only SELECT and INSERT on
the table (``flockwatch.store.roles.grant_app_role``), so it cannot drop the trigger either. The hash chain still
catches an edit made by someone who removes the guard with owner rights.
"""

from __future__ import annotations

from alembic import op

revision = "0005_audit_append_only"
down_revision = "0004_users_cases_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ops_audit_no_{verb.lower()} BEFORE {verb} ON ops_audit "
                "BEGIN SELECT RAISE(ABORT, 'ops_audit is append-only'); END"
            )
        return
    op.execute(
        """CREATE FUNCTION ops_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'ops_audit is append-only' USING ERRCODE = 'insufficient_privilege'; END $$"""
    )
    op.execute(
        "CREATE TRIGGER ops_audit_no_change BEFORE UPDATE OR DELETE ON ops_audit "
        "FOR EACH ROW EXECUTE FUNCTION ops_audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER ops_audit_no_truncate BEFORE TRUNCATE ON ops_audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION ops_audit_append_only()"
    )
