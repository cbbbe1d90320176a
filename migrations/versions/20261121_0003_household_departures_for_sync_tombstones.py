"""household departures: sync tombstones for households that moved out of a hamlet

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "household_departure",
        sa.Column("hamlet_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["hamlet_id"], ["admin_unit.id"]),
        sa.ForeignKeyConstraint(["household_id"], ["household.id"]),
        sa.PrimaryKeyConstraint("hamlet_id", "household_id"),
    )
    with op.batch_alter_table("household_departure", schema=None) as batch_op:
        batch_op.create_index("ix_household_departure_hamlet_id_version", ["hamlet_id", "version"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("household_departure", schema=None) as batch_op:
        batch_op.drop_index("ix_household_departure_hamlet_id_version")
    op.drop_table("household_departure")
