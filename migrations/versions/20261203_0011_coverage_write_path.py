"""coverage write path: each person's first proficient day per skill; roll-ups above the hamlet read, not stored

Revision ID: writepath_01
Revises: harden_auth_03
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "writepath_01"
down_revision: str | None = "harden_auth_03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGGREGATES = ("unit_coverage", "unit_skill", "unit_milestone", "unit_daily")


def upgrade() -> None:
    with op.batch_alter_table("person_skill") as batch:
        batch.add_column(sa.Column("proficient_on", sa.Date(), nullable=True))
    # The first day each proficient level was shown, from the visits counted for the row's campaign
    # (all of them for campaign 0; a flagged visit counts nowhere until confirmed).
    op.execute(
        """
        UPDATE person_skill SET proficient_on = (
            SELECT MIN(v.visited_on)
            FROM visit_skill vs
            JOIN visit v ON v.id = vs.visit_id
            LEFT JOIN campaign c ON c.id = v.campaign_id
            WHERE vs.person_id = person_skill.person_id
              AND vs.skill_id = person_skill.skill_id
              AND vs.level >= 2
              AND (v.review IS NULL OR v.review <> 'pending')
              AND (person_skill.campaign_id = 0
                   OR (v.campaign_id = person_skill.campaign_id
                       AND v.visited_on >= c.starts_on AND v.visited_on <= c.ends_on))
        )
        WHERE level >= 2
        """
    )
    # Units above the hamlet are summed from their hamlets' rows when read: no push waits on a
    # commune's, district's or province's row any more.
    for table in AGGREGATES:
        op.execute(f"DELETE FROM {table} WHERE unit_id IN (SELECT id FROM admin_unit WHERE level <> 'hamlet')")


def downgrade() -> None:
    with op.batch_alter_table("person_skill") as batch:
        batch.drop_column("proficient_on")
