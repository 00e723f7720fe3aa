"""0006 review samples: the stratified random sample a reviewer labels before approving a bulk action."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_review_samples"
down_revision = "0005_audit_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_samples",
        sa.Column("action_id", sa.Integer, sa.ForeignKey("ops_actions.action_id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("subject_id", sa.Text, primary_key=True),
        sa.Column("band", sa.String(16), nullable=False),
        sa.Column("drawn_by", sa.Text, nullable=False),
        sa.Column("drawn_at", sa.Text, nullable=False),
        sa.Column("label", sa.String(16)),
        sa.Column("labelled_by", sa.Text),
        sa.Column("labelled_at", sa.Text),
        sa.CheckConstraint("label IS NULL OR label IN ('correct', 'false_positive')", name="ops_samples_label"),
    )
