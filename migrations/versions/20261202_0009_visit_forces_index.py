"""a covering index for the forces deployed (distinct volunteer-days of a unit's visits)

Revision ID: reports_01
Revises: harden_auth_02
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "reports_01"
down_revision: str | None = "importer_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["hamlet_id", "campaign_id", "visited_on", "volunteer_id", "team_id"]


def upgrade() -> None:
    op.create_index("ix_visit_hamlet_id_campaign_id_visited_on", "visit", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_visit_hamlet_id_campaign_id_visited_on", table_name="visit")
