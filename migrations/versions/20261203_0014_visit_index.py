"""drop ix_visit_volunteer_id: ix_visit_volunteer_id_visited_at serves every search by volunteer, and each
index on visit is written for every visit stored

Revision ID: writepath_02
Revises: schemes_01
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "writepath_02"
down_revision: str | None = "schemes_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_volunteer_id"))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_volunteer_id"), ["volunteer_id"], unique=False)
