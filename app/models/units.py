from datetime import date, datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow

SCHEME_2025 = "vn2025"
SCHEME_2004 = "vn2004"
LEVELS = ("province", "district", "commune", "hamlet")


class AdminUnit(SQLModel, table=True):
    """One administrative unit in one scheme.

    Invariants: a code is meaningful only with its scheme (province 15 is Yên Bái in vn2004 and Lào Cai
    in vn2025). `path` is the chain of ids from the province down, "/1/7/93/", so "inside X" is a prefix
    test. Hamlets have no national code: their code is local, "<commune code>-<n>".
    """

    __tablename__ = "admin_unit"
    __table_args__ = (
        UniqueConstraint("scheme", "level", "code"),
        Index("ix_admin_unit_path", "path"),
        Index("ix_admin_unit_parent_id_search_key", "parent_id", "search_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    scheme: str = Field(max_length=10)
    level: str = Field(max_length=10)
    code: str = Field(max_length=20)
    name: str = Field(max_length=200)
    unit_type: str = Field(default="", max_length=50)
    search_key: str = Field(max_length=200, index=True)
    parent_id: int | None = Field(default=None, foreign_key="admin_unit.id")
    path: str = Field(default="", max_length=200)
    province_code: str = Field(max_length=4, index=True)
    valid_from: date | None = None
    valid_to: date | None = None
    created_at: datetime = Field(default_factory=utcnow)


def unit_chain(path: str) -> list[int]:
    """'/1/7/93/' → [1, 7, 93]: the unit and every unit above it."""
    return [int(p) for p in path.strip("/").split("/") if p]
