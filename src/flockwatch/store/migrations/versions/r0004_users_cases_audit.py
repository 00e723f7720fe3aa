"""0004 users, cases, actions, audit chain and access log; drops the sqlite3 store's own version table.

A workspace whose ops.sqlite was written by the sqlite3 store (``policy_schema`` rows 0001–0003) is stamped at the
matching revision by ``flockwatch.store.migrate`` and reaches this one like any other store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_users_cases_audit"
down_revision = "0003_registry_provenance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS policy_schema")
    op.create_table(
        "ops_users",
        sa.Column("user_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("disabled_at", sa.Text),
        sa.CheckConstraint("role IN ('analyst', 'reviewer', 'admin')", name="ops_users_role"),
    )
    op.create_table(
        "ops_tokens",
        sa.Column("token_id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("ops_users.user_id"), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.Text),
    )
    op.create_table(
        "ops_cases",
        sa.Column("case_id", sa.String(32), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source_kind", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.Text, nullable=False),
        sa.Column("run_id", sa.Text),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("opened_at", sa.Text, nullable=False),
        sa.Column("detail_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("legal_hold", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "source_kind IN ('network', 'operation', 'accounts', 'tip', 'alert')", name="ops_cases_source_kind"
        ),
    )
    op.create_table(
        "ops_case_subjects",
        sa.Column("case_id", sa.String(32), sa.ForeignKey("ops_cases.case_id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("subject_id", sa.Text, primary_key=True),
        sa.Column("screen_name", sa.Text),
        sa.Column("score", sa.Float),
        sa.Column("evidence_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("action_id", sa.Integer),
        sa.Column("excluded", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('account', 'page', 'group', 'domain')", name="ops_case_subjects_kind"),
    )
    op.create_index("ops_case_subjects_status", "ops_case_subjects", ["case_id", "status"])
    op.create_table(
        "ops_actions",
        sa.Column("action_id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.String(32), sa.ForeignKey("ops_cases.case_id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("until_at", sa.Text),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_at", sa.Text, nullable=False),
        sa.Column("approved_by", sa.Text),
        sa.Column("approved_at", sa.Text),
        sa.Column("n_subjects", sa.Integer, nullable=False),
        sa.Column("determination_id", sa.Integer),
        sa.CheckConstraint("approved_by IS NULL OR approved_by <> proposed_by", name="ops_actions_two_person"),
        sa.CheckConstraint("kind IN ('suspend', 'lock', 'label', 'refuse-ads', 'dismiss')", name="ops_actions_kind"),
    )
    op.create_index("ops_actions_case", "ops_actions", ["case_id", "status"])
    op.create_index(
        "ops_actions_one_pending",
        "ops_actions",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("status = 'proposed'"),
        postgresql_where=sa.text("status = 'proposed'"),
    )
    op.create_table(
        "ops_audit",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("os_user", sa.Text),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("object_ref", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("evidence_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("before_json", sa.Text),
        sa.Column("after_json", sa.Text),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "ops_access_log",
        sa.Column("access_id", sa.Integer, primary_key=True),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("os_user", sa.Text),
        sa.Column("platform", sa.Text, nullable=False, server_default=""),
        sa.Column("account_id", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False, server_default=""),
        sa.Column("case_id", sa.String(32)),
    )
    op.create_index("ops_access_log_account", "ops_access_log", ["platform", "account_id"])
