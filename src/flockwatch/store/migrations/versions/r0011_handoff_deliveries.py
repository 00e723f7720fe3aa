"""0011 hand-off deliveries: the hosts a webhook may be on, and one row per record handed to a webhook.

``ops_delivery_hosts`` is the allow-list (per store): a delivery URL whose host is not listed is refused before any
connection. ``ops_deliveries`` keeps, per endpoint and idempotency key, the record as sent, the batch it travels in
(``batch_key``, the batch's Idempotency-Key, fixed when the record is first queued so that every re-send carries the
same key), its status (pending, delivered, failed), the attempts made, the last HTTP status or error, and when it
may be tried again (``next_attempt_at``; NULL once delivered or given up).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_handoff_deliveries"
down_revision = "0010_password_changed_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_delivery_hosts",
        sa.Column("host", sa.String(255), primary_key=True),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", sa.Text, nullable=False),
    )
    op.create_table(
        "ops_deliveries",
        sa.Column("endpoint", sa.Text, primary_key=True),
        sa.Column("idempotency_key", sa.String(64), primary_key=True),
        sa.Column("batch_key", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String(32), nullable=False),
        sa.Column("action_id", sa.Integer, nullable=False),
        sa.Column("record_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_http_status", sa.Integer),
        sa.Column("last_error", sa.Text),
        sa.Column("next_attempt_at", sa.Text),
        sa.Column("queued_at", sa.Text, nullable=False),
        sa.Column("delivered_at", sa.Text),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="ops_deliveries_status"),
    )
    op.create_index("ops_deliveries_batch", "ops_deliveries", ["endpoint", "batch_key"])
    op.create_index("ops_deliveries_due", "ops_deliveries", ["status", "next_attempt_at"])
