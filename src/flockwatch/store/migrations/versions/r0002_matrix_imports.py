"""0002 matrix imports: one row per imported State Media Matrix snapshot (re-importing the same content is a no-op)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_matrix_imports"
down_revision = "0001_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_imports",
        sa.Column("import_id", sa.Integer, primary_key=True),
        sa.Column("content_sha256", sa.Text, nullable=False, unique=True),
        sa.Column("file_name", sa.Text, nullable=False),
        sa.Column("snapshot_date", sa.Text, nullable=False),
        sa.Column("imported_at", sa.Text, nullable=False),
    )
