"""triage indexes: cases by the moment they went live

Statistics for a period select cases by `tier0_completed_at` alone; the composite index
ix_cases_status_urgency_tier0 cannot serve that range without a status first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:09:29.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cases_tier0_completed_at"), ["tier0_completed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_tier0_completed_at"))
