"""0001 registry: outlets, assets, facts, determinations, offboarding notices, appeals (as the sqlite3 store had them).

Frozen history: the tables are spelled out here, not imported from tables.py, so later edits cannot change what an
applied revision did.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_registry"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_outlets",
        sa.Column("outlet_id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("name_key", sa.Text, nullable=False),
        sa.Column("country_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False, server_default="media"),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id")),
        sa.Column("owner_chain_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("aliases_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.UniqueConstraint("name_key", "country_code"),
    )
    op.create_table(
        "media_assets",
        sa.Column("asset_id", sa.Integer, primary_key=True),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("platform", sa.Text, nullable=False, server_default=""),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("display", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False, server_default="outlet"),
        sa.Column("person_name", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.UniqueConstraint("outlet_id", "kind", "platform", "value"),
    )
    op.create_index("media_assets_lookup", "media_assets", ["kind", "platform", "value"])
    op.create_table(
        "media_facts",
        sa.Column("fact_id", sa.Integer, primary_key=True),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("value_json", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("source_date", sa.Text, nullable=False),
        sa.Column("confidence", sa.Float, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.Column("superseded_by", sa.Integer, sa.ForeignKey("media_facts.fact_id")),
        sa.Column("appeal_id", sa.Integer),
        sa.Column("contests_fact_id", sa.Integer, sa.ForeignKey("media_facts.fact_id")),
    )
    op.create_index("media_facts_outlet", "media_facts", ["outlet_id", "kind"])
    op.create_table(
        "policy_determinations",
        sa.Column("determination_id", sa.Integer, primary_key=True),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("policy_id", sa.Text, nullable=False),
        sa.Column("policy_version", sa.Integer, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("effects_json", sa.Text, nullable=False),
        sa.Column("reasons_json", sa.Text, nullable=False),
        sa.Column("facts_used_json", sa.Text, nullable=False),
        sa.Column("facts_ignored_json", sa.Text, nullable=False),
        sa.Column("effective_on", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("supersedes", sa.Integer, sa.ForeignKey("policy_determinations.determination_id")),
        sa.Column("appeal_id", sa.Integer),
    )
    op.create_index("policy_determinations_outlet", "policy_determinations", ["policy_id", "outlet_id", "effective_on"])
    op.create_table(
        "policy_offboarding",
        sa.Column("offboarding_id", sa.Integer, primary_key=True),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("policy_id", sa.Text, nullable=False),
        sa.Column(
            "determination_id",
            sa.Integer,
            sa.ForeignKey("policy_determinations.determination_id"),
            nullable=False,
        ),
        sa.Column("notice_on", sa.Text, nullable=False),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("ends_on", sa.Text, nullable=False),
        sa.Column("notice_text", sa.Text, nullable=False),
    )
    op.create_table(
        "policy_appeals",
        sa.Column("appeal_id", sa.Integer, primary_key=True),
        sa.Column(
            "determination_id",
            sa.Integer,
            sa.ForeignKey("policy_determinations.determination_id"),
            nullable=False,
        ),
        sa.Column("outlet_id", sa.Integer, sa.ForeignKey("media_outlets.outlet_id"), nullable=False),
        sa.Column("filed_on", sa.Text, nullable=False),
        sa.Column("filed_by", sa.Text, nullable=False),
        sa.Column("grounds", sa.Text, nullable=False),
        sa.Column("evidence_fact_ids_json", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="filed"),
        sa.Column("reviewer", sa.Text),
        sa.Column("review_note", sa.Text),
        sa.Column("reviewed_at", sa.Text),
        sa.Column("new_determination_id", sa.Integer, sa.ForeignKey("policy_determinations.determination_id")),
    )
