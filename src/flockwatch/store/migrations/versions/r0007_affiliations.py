"""0007 affiliations: every account an affiliation list names, as of a date, and profile-evidence links for review.

``media_affiliations`` keeps one row per listed account and date (the owner the list names, resolved or not, with
its provenance), so that a handle's owners form spans over time and a later owner inherits nothing.
``media_link_proposals`` keeps the links the profile linker proposes, with their evidence, until a reviewer accepts
or rejects them (each decision is also an audit entry).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_affiliations"
down_revision = "0006_review_samples"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_affiliations",
        sa.Column("affiliation_id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("handle", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id")),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("person_name", sa.Text),
        sa.Column("entity", sa.Text, nullable=False),
        sa.Column("entity_key", sa.Text, nullable=False),
        sa.Column("parent_entity", sa.Text, nullable=False, server_default=""),
        sa.Column("as_of", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("resolution_json", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("list_file", sa.Text, nullable=False),
        sa.Column("list_line", sa.Integer, nullable=False),
        sa.Column("list_sha256", sa.Text, nullable=False),
        sa.Column("extra_json", sa.Text, nullable=False, server_default="{}"),
        sa.Column("imported_at", sa.Text, nullable=False),
        sa.UniqueConstraint("list_sha256", "list_line", name="media_affiliations_row_once"),
    )
    op.create_index("media_affiliations_handle", "media_affiliations", ["platform", "handle", "as_of"])
    op.create_table(
        "media_link_proposals",
        sa.Column("proposal_id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.Text, nullable=False),
        sa.Column("handle", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("account_id", sa.Text),
        sa.Column("display_name", sa.Text, nullable=False, server_default=""),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("evidence_json", sa.Text, nullable=False),
        sa.Column("alternatives_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("status", sa.Text, nullable=False, server_default="proposed"),
        sa.Column("proposed_at", sa.Text, nullable=False),
        sa.Column("reviewer", sa.Text),
        sa.Column("reviewed_at", sa.Text),
        sa.Column("review_note", sa.Text),
        sa.UniqueConstraint("platform", "handle", "outlet_id", name="media_link_proposals_once"),
        sa.CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name="media_link_proposals_status"),
    )
