"""visit review: implausible visits (too dense, in the future) are kept but left out until confirmed

Revision ID: harden_auth_03
Revises: harden_auth_02
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "harden_auth_03"
down_revision: str | None = "reports_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.add_column(sa.Column("review", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))
        batch.add_column(sa.Column("review_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("reviewed_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.create_foreign_key("fk_visit_reviewed_by_app_user", "app_user", ["reviewed_by"], ["id"])
        batch.create_index("ix_visit_volunteer_id_visited_at", ["volunteer_id", "visited_at"], unique=False)
        batch.create_index("ix_visit_review_hamlet_id", ["review", "hamlet_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visit") as batch:
        batch.drop_index("ix_visit_review_hamlet_id")
        batch.drop_index("ix_visit_volunteer_id_visited_at")
        batch.drop_constraint("fk_visit_reviewed_by_app_user", type_="foreignkey")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("review_reason")
        batch.drop_column("review")
