"""0012 watch alerts: each batch of `flockwatch watch` that flags accounts raises one alert, kept in the operational
store so that a case can be opened from it (``flockwatch case open --watch-alert ID``) with the accounts and the
evidence as they were when the alert was raised."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_watch_alerts"
down_revision = "0011_handoff_deliveries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_watch_alerts",
        sa.Column("alert_id", sa.String(32), primary_key=True),
        sa.Column("raised_at", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("seeds_ref", sa.Text, nullable=False),
        sa.Column("min_score", sa.Float, nullable=False),
        sa.Column("n_accounts", sa.Integer, nullable=False),
    )
    op.create_table(
        "ops_watch_alert_accounts",
        sa.Column("alert_id", sa.String(32), sa.ForeignKey("ops_watch_alerts.alert_id"), primary_key=True),
        sa.Column("account_id", sa.Text, primary_key=True),
        sa.Column("score", sa.Float),
        sa.Column("nats", sa.Float, nullable=False),
        sa.Column("actions_seen", sa.Integer, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
    )
