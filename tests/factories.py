"""Plain functions that build test data through the services."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from app.auth import service as auth
from app.models import AdminUnit, Campaign, Team, TeamMember, User, VolunteerArea
from app.units.service import create_unit

M = TypeVar("M", bound=SQLModel)

PASSWORD = "mat-khau-thu"


@dataclass
class Tree:
    province: AdminUnit
    district: AdminUnit
    other_district: AdminUnit
    commune: AdminUnit
    other_commune: AdminUnit
    far_commune: AdminUnit
    hamlet: AdminUnit
    other_hamlet: AdminUnit
    hamlet_of_other_commune: AdminUnit
    far_hamlet: AdminUnit


def make_tree(session: Session, scheme: str = "vn2004") -> Tree:
    """Province 93 → districts 930, 931 → communes → hamlets, with Vietnamese names."""
    province = create_unit(session, scheme=scheme, level="province", code="93", name="Tỉnh Hậu Giang", parent=None)
    district = create_unit(
        session, scheme=scheme, level="district", code="930", name="Thành phố Vị Thanh", parent=province
    )
    other_district = create_unit(
        session, scheme=scheme, level="district", code="935", name="Huyện Vị Thuỷ", parent=province
    )
    commune = create_unit(session, scheme=scheme, level="commune", code="31318", name="Phường I", parent=district)
    other_commune = create_unit(
        session, scheme=scheme, level="commune", code="31321", name="Phường III", parent=district
    )
    far_commune = create_unit(
        session, scheme=scheme, level="commune", code="31471", name="Xã Vị Thuỷ", parent=other_district
    )
    hamlet = create_unit(session, scheme=scheme, level="hamlet", code="31318-01", name="Khu vực 1", parent=commune)
    other_hamlet = create_unit(
        session, scheme=scheme, level="hamlet", code="31318-02", name="Khu vực 2", parent=commune
    )
    hamlet_of_other_commune = create_unit(
        session, scheme=scheme, level="hamlet", code="31321-01", name="Khu vực 3", parent=other_commune
    )
    far_hamlet = create_unit(
        session, scheme=scheme, level="hamlet", code="31471-01", name="Ấp Vị Hoà", parent=far_commune
    )
    session.flush()
    return Tree(
        province,
        district,
        other_district,
        commune,
        other_commune,
        far_commune,
        hamlet,
        other_hamlet,
        hamlet_of_other_commune,
        far_hamlet,
    )


_phone_counter = iter(range(10_000_000))


def next_phone() -> str:
    return f"09{next(_phone_counter) + 10_000_000:08d}"[:10]


def make_user(
    session: Session,
    role: str,
    *,
    unit: AdminUnit | None = None,
    hamlets: list[AdminUnit] = (),  # type: ignore[assignment]
    phone: str | None = None,
    name: str = "Nguyễn Văn An",
) -> User:
    user = auth.create_user(
        session,
        phone=phone or next_phone(),
        full_name=name,
        password=PASSWORD,
        role=role,
        unit_id=unit.id if unit else None,
    )
    for hamlet in hamlets:
        session.add(VolunteerArea(user_id=user.id, hamlet_id=hamlet.id))
    session.flush()
    return user


def make_team(session: Session, *, unit: AdminUnit, leader: User | None = None, members: list[User] = ()) -> Team:  # type: ignore[assignment]
    team = Team(name=f"Tổ CNSCĐ {unit.name}", unit_id=unit.id)
    session.add(team)
    session.flush()
    if leader:
        session.add(TeamMember(team_id=team.id, user_id=leader.id, role="leader"))
    for m in members:
        session.add(TeamMember(team_id=team.id, user_id=m.id, role="member"))
    session.flush()
    return team


def make_campaign(
    session: Session,
    *,
    unit: AdminUnit,
    threshold: int = 1,
    starts_on: date = date(2024, 10, 1),
    ends_on: date = date(2024, 10, 10),
) -> Campaign:
    campaign = Campaign(
        name="Chiến dịch đi từng ngõ, gõ từng nhà",
        unit_id=unit.id,
        starts_on=starts_on,
        ends_on=ends_on,
        covered_threshold=threshold,
    )
    session.add(campaign)
    session.flush()
    return campaign


def new_id() -> str:
    return str(uuid.uuid4())


def login(client, phone: str, password: str = PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/auth/login", json={"phone": phone, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def aggregate(session: Session, model: type[M], key: tuple[Any, ...]) -> M | None:
    """One aggregate row as the reports read it (a unit above the hamlet: summed from its hamlets),
    like session.get(model, key) on the stored rows; None when no hamlet below has one."""
    from app.coverage import rollup
    from app.models.base import table_of

    columns = [c for c in table_of(model).primary_key.columns if c.name != "unit_id"]
    found = rollup.rows(session, model, [key[0]], *[c == v for c, v in zip(columns, key[1:], strict=True)])
    return found[0] if found else None
