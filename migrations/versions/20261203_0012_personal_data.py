"""personal data: the export log grows into the audit log; households record source, consent and erasure

Revision ID: privacy_01
Revises: writepath_01
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "privacy_01"
down_revision: str | None = "writepath_01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EXPORT_COLUMNS = "id, user_id, created_at, kind, file_format, unit_id, campaign_id, row_count, personal_data"


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("file_format", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("target_user_id", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name="fk_audit_log_campaign_id_campaign"),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name="fk_audit_log_unit_id_admin_unit"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_audit_log_user_id_app_user"),
        sa.ForeignKeyConstraint(["target_user_id"], ["app_user.id"], name="fk_audit_log_target_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.create_index("ix_audit_log_user_id", ["user_id"], unique=False)
        batch.create_index("ix_audit_log_unit_id", ["unit_id"], unique=False)
        batch.create_index("ix_audit_log_created_at", ["created_at"], unique=False)
        batch.create_index("ix_audit_log_category_created_at", ["category", "created_at"], unique=False)
    op.execute(
        f"INSERT INTO audit_log ({_EXPORT_COLUMNS}, category, reason) SELECT {_EXPORT_COLUMNS}, 'export', '' "
        "FROM export_log"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('audit_log', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM audit_log")
    with op.batch_alter_table("export_log") as batch:
        batch.drop_index("ix_export_log_user_id")
    op.drop_table("export_log")

    with op.batch_alter_table("household") as batch:
        batch.add_column(
            sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default="door")
        )
        batch.add_column(
            sa.Column("consent", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False, server_default="unknown")
        )
        batch.add_column(sa.Column("consent_notice_version", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column("consent_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Households a visit already recorded consent for: given, with that visit's notice version and day.
    op.execute(
        "UPDATE household SET consent = 'given', "
        "consent_on = (SELECT MAX(v.visited_on) FROM visit v WHERE v.household_id = household.id AND v.consent_given), "
        "consent_notice_version = (SELECT MAX(v.consent_notice_version) FROM visit v "
        "WHERE v.household_id = household.id AND v.consent_given) "
        "WHERE EXISTS (SELECT 1 FROM visit v WHERE v.household_id = household.id AND v.consent_given)"
    )


def downgrade() -> None:
    with op.batch_alter_table("household") as batch:
        batch.drop_column("erased_at")
        batch.drop_column("consent_on")
        batch.drop_column("consent_notice_version")
        batch.drop_column("consent")
        batch.drop_column("source")
    op.create_table(
        "export_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("file_format", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("personal_data", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], name="fk_export_log_campaign_id_campaign"),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"], name="fk_export_log_unit_id_admin_unit"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_export_log_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_export_log"),
    )
    with op.batch_alter_table("export_log") as batch:
        batch.create_index("ix_export_log_user_id", ["user_id"], unique=False)
    op.execute(
        f"INSERT INTO export_log ({_EXPORT_COLUMNS}) SELECT {_EXPORT_COLUMNS} FROM audit_log "
        "WHERE category = 'export' AND user_id IS NOT NULL"
    )
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_index("ix_audit_log_category_created_at")
        batch.drop_index("ix_audit_log_created_at")
        batch.drop_index("ix_audit_log_unit_id")
        batch.drop_index("ix_audit_log_user_id")
    op.drop_table("audit_log")
