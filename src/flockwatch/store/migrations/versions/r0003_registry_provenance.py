"""0003 registry provenance: where an import came from, and the one-row mark of the first-use registry setup.

The setup mark's fixed primary key makes "imported once" a property of the store: two processes racing to set up the
same store cannot both insert the row, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_registry_provenance"
down_revision = "0002_matrix_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("media_imports", sa.Column("origin", sa.Text, nullable=False, server_default="file"))
    op.add_column("media_imports", sa.Column("provenance_json", sa.Text, nullable=False, server_default="{}"))
    op.create_table(
        "media_registry_setup",
        sa.Column("setup_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("provenance_json", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.Text, nullable=False),
        sa.CheckConstraint("setup_id = 1", name="media_registry_setup_one_row"),
    )
