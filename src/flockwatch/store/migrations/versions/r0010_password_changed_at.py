"""0010 password_changed_at: when a user's password was last set, the basis of the session credential stamp.

The stamp used to hash the stored argon2 hash itself, so an automatic rehash on sign-in (new argon2 parameters)
changed it and ended the user's other sessions. It now hashes this instant instead, which only setting a password
changes. Existing users with a password start at their ``created_at``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_password_changed_at"
down_revision = "0009_access_log_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ops_users", sa.Column("password_changed_at", sa.Text))
    op.execute("UPDATE ops_users SET password_changed_at = created_at WHERE password_hash IS NOT NULL")
