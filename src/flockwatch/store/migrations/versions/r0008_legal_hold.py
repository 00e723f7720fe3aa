"""0008 legal hold: who placed a case's legal hold, when and why (``ops_cases.legal_hold`` itself is from 0004).

A held case's frozen evidence is exempt from retention and from deletion requests (flockwatch.review.holds,
flockwatch.privacy); these columns let ``case show`` say on whose word, without walking the audit chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_legal_hold"
down_revision = "0007_affiliations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ops_cases", sa.Column("legal_hold_by", sa.Text))
    op.add_column("ops_cases", sa.Column("legal_hold_at", sa.Text))
    op.add_column("ops_cases", sa.Column("legal_hold_reason", sa.Text))
