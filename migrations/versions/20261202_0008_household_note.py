"""household note: the "Ghi chú" column of an imported household list is kept

Revision ID: importer_01
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "importer_01"
down_revision: str | None = "volunteer_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("household") as batch:
        batch.add_column(
            sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("household") as batch:
        batch.drop_column("note")
