"""the five basic digital skills and the national milestones

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SKILLS = [
    ("public_services", 1, "Sử dụng dịch vụ công trực tuyến", "Using online public services"),
    ("online_shopping", 2, "Mua sắm trực tuyến", "Shopping online"),
    ("online_payment", 3, "Thanh toán trực tuyến", "Paying online"),
    ("online_safety", 4, "Tự bảo vệ mình trên không gian mạng", "Staying safe online"),
    ("digital_platforms", 5, "Sử dụng nền tảng số", "Using digital platforms"),
]
MILESTONES = [
    ("vneid_level2", 1, "Kích hoạt định danh điện tử VNeID mức 2", "VNeID level 2 activated"),
    ("public_service_account", 2, "Tạo tài khoản dịch vụ công", "Public-service account created"),
    ("payment_app", 3, "Cài đặt ứng dụng ngân hàng / ví điện tử", "Bank or e-wallet app set up"),
    ("ecommerce_app", 4, "Cài đặt ứng dụng thương mại điện tử", "E-commerce app installed"),
]

skill = sa.table(
    "skill",
    sa.column("id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("label_vi", sa.String),
    sa.column("label_en", sa.String),
)
milestone = sa.table(
    "milestone",
    sa.column("id", sa.String),
    sa.column("position", sa.Integer),
    sa.column("label_vi", sa.String),
    sa.column("label_en", sa.String),
    sa.column("is_active", sa.Boolean),
)


def upgrade() -> None:
    op.bulk_insert(skill, [dict(id=i, position=p, label_vi=vi, label_en=en) for i, p, vi, en in SKILLS])
    op.bulk_insert(
        milestone,
        [dict(id=i, position=p, label_vi=vi, label_en=en, is_active=True) for i, p, vi, en in MILESTONES],
    )


def downgrade() -> None:
    op.execute(milestone.delete().where(milestone.c.id.in_([m[0] for m in MILESTONES])))
    op.execute(skill.delete().where(skill.c.id.in_([s[0] for s in SKILLS])))
