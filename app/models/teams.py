from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow

TEAM_ROLES = ("leader", "deputy", "member")


class Team(SQLModel, table=True):
    """A Tổ Công nghệ số cộng đồng, attached to a hamlet or a commune."""

    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    unit_id: int = Field(foreign_key="admin_unit.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", primary_key=True, index=True)
    role: str = Field(default="member", max_length=10)
    joined_at: datetime = Field(default_factory=utcnow)
