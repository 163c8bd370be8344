"""two-way contact: who last wrote to a case's reporter

The reporter's answer (a follow-up added with /add) goes back privately to the staff member
who last wrote to them through the bot; nobody's identity is stored here, only the staff id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_contact_by", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_last_contact_by_staff"),
            "staff",
            ["last_contact_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_last_contact_by_staff"), type_="foreignkey")
        batch_op.drop_column("last_contact_by")
