"""staff from settings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 14:03:43.093006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        # Existing staff all came from the settings (there was no /grant before this revision).
        batch_op.add_column(
            sa.Column("from_settings", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("from_settings")
