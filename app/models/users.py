from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow

ROLES = ("volunteer", "team_leader", "commune_official", "district_official", "province_official", "admin")


class User(SQLModel, table=True):
    """A person who logs in. `unit_id` bounds what officials see; volunteers are bounded by their area."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=16, unique=True)  # E.164, "+84912345678"
    full_name: str = Field(max_length=120)
    password_hash: str = Field(max_length=200)
    role: str = Field(max_length=20)
    unit_id: int | None = Field(default=None, foreign_key="admin_unit.id", index=True)
    is_active: bool = True
    must_change_password: bool = False
    # In every token: a password change, an admin reset or a deactivation bumps it, and older tokens die.
    credential_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utcnow)
    deactivated_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Login attempts per phone and client address, in the database so every worker sees the same count.

    One statement grants or refuses each attempt before its password is checked (app/auth/service.py), so
    parallel requests cannot all slip through; keyed by the client's address, a stranger's failures never
    lock the owner out from their own phone.
    """

    __tablename__ = "login_throttle"

    phone: str = Field(primary_key=True, max_length=16)
    client: str = Field(primary_key=True, max_length=64)
    failures: int = 0  # attempts evaluated since the last success, lock-out or quiet period
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None  # no attempt is evaluated before it
    last_attempt: str = Field(default="", max_length=32)  # the request the last evaluation was granted to


class VolunteerArea(SQLModel, table=True):
    """A hamlet assigned to a volunteer: the area their phone downloads and may write to."""

    __tablename__ = "volunteer_area"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    hamlet_id: int = Field(foreign_key="admin_unit.id", primary_key=True, index=True)
    assigned_at: datetime = Field(default_factory=utcnow)
