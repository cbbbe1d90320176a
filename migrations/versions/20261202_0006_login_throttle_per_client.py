"""login throttle per (phone, client address), with the attempt each evaluation was granted to

The table only holds short-lived counters: it is recreated empty rather than converted.

Revision ID: harden_auth_02
Revises: harden_auth_01
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "harden_auth_02"
down_revision: str | None = "harden_auth_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counters() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    ]


def upgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        *_counters(),
        sa.Column("last_attempt", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("phone", "client"),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    op.create_table(
        "login_throttle",
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        *_counters(),
        sa.PrimaryKeyConstraint("phone"),
    )
