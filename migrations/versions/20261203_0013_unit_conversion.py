"""the 2025 conversion table and the hamlets of split communes assigned to their 2025 commune

Revision ID: schemes_01
Revises: privacy_01
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "schemes_01"
down_revision: str | None = "privacy_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unit_conversion",
        sa.Column("old_unit_id", sa.Integer(), nullable=False),
        sa.Column("new_unit_id", sa.Integer(), nullable=False),
        sa.Column("partly_merged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["new_unit_id"], ["admin_unit.id"]),
        sa.ForeignKeyConstraint(["old_unit_id"], ["admin_unit.id"]),
        sa.PrimaryKeyConstraint("old_unit_id", "new_unit_id"),
    )
    op.create_index(op.f("ix_unit_conversion_new_unit_id"), "unit_conversion", ["new_unit_id"], unique=False)
    op.create_table(
        "hamlet_assignment",
        sa.Column("hamlet_id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.Integer(), nullable=True),
        sa.Column("assigned_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assigned_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["commune_id"], ["admin_unit.id"]),
        sa.ForeignKeyConstraint(["hamlet_id"], ["admin_unit.id"]),
        sa.PrimaryKeyConstraint("hamlet_id"),
    )
    op.create_index(op.f("ix_hamlet_assignment_commune_id"), "hamlet_assignment", ["commune_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_hamlet_assignment_commune_id"), table_name="hamlet_assignment")
    op.drop_table("hamlet_assignment")
    op.drop_index(op.f("ix_unit_conversion_new_unit_id"), table_name="unit_conversion")
    op.drop_table("unit_conversion")
