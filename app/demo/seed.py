"""The demo: Hậu Giang as it was before 2025, with hamlets, teams, households and a campaign underway.

Idempotent: every id is derived from a fixed namespace (uuid5) or a natural key (phone, unit code,
team name), each step inserts only what is missing, and the generator draws from RNGs with fixed
seeds, so a rerun plans the same rows, finds them all and changes nothing.

Households and people go in with bulk inserts (20,000 ORM objects would take minutes); their report
counters are then set from one GROUP BY. Visits are different: they go through `coverage.ingest`, the
write path of every visit, in batches of a few hundred, so every derived level, household status and
aggregate is exactly what the app itself would have written (`tungnha coverage verify` finds nothing).
"""

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, text, update
from sqlmodel import Session, col, select

from app import coverage
from app.auth.security import hash_password
from app.coverage import rollup
from app.demo import names
from app.households import service as households
from app.models import (
    AdminUnit,
    AreaVersion,
    Campaign,
    HamletAssignment,
    Household,
    Milestone,
    Person,
    Team,
    TeamMember,
    UnitConversion,
    UnitCoverage,
    User,
    Visit,
    VolunteerArea,
)
from app.models.base import table_of, utcnow
from app.models.units import SCHEME_2004, SCHEME_2025
from app.text import fold
from app.units import conversion, importer
from app.units.service import UnitNotFound, get_by_code
from app.visits import plausibility
from app.visits import service as visits
from app.visits.schemas import VisitIn, VisitPersonIn

NAMESPACE = uuid.UUID("5f1c7a52-93a0-4c1e-9b7e-2024100193aa")
PASSWORD = "tungnha-demo"
PROVINCE = "93"  # Tỉnh Hậu Giang in vn2004
DEMO_COMMUNE = "31318"  # Phường I, Thành phố Vị Thanh
DEMO_DISTRICT = "930"  # Thành phố Vị Thanh
CAMPAIGN_NAME = "Chiến dịch đi từng ngõ, gõ từng nhà"
CAMPAIGN_DAYS = (date(2024, 10, 1), date(2024, 10, 10))
HOUSEHOLDS = 20_000
VISITED_HOUSEHOLDS = 2_000
VIETNAM = visits.VIETNAM
NOTICE_VERSION = "2024-09"

# phone, role, full name, where: the demo hamlet's team, the demo commune, district, province, nothing.
DEMO_ACCOUNTS = (
    ("0900000001", "volunteer", "Trần Thị Mai", "hamlet"),
    ("0900000002", "team_leader", "Nguyễn Văn Hùng", "hamlet"),
    ("0900000003", "commune_official", "Lê Thị Hồng", "commune"),
    ("0900000004", "district_official", "Phạm Minh Tuấn", "district"),
    ("0900000005", "province_official", "Huỳnh Quốc Bảo", "province"),
    ("0900000006", "admin", "Võ Thanh Sơn", "none"),
    # Today's Thành phố Cần Thơ (vn2025), which old Hậu Giang is part of: the 2024 drive under 2025 units.
    ("0900000007", "province_official", "Đỗ Minh Khang", "province2025"),
)
PROVINCE_2025 = "92"  # Thành phố Cần Thơ in vn2025

Progress = Callable[[str], None]


@dataclass
class HamletPlan:
    code: str
    name: str
    commune: AdminUnit
    id: int = 0
    path: str = ""
    leader_phone: str = ""
    member_phones: list[str] = field(default_factory=list)
    team_id: int = 0


@dataclass
class PersonPlan:
    id: uuid.UUID
    full_name: str | None
    birth_year: int
    sex: str


@dataclass
class HouseholdPlan:
    id: uuid.UUID
    hamlet: HamletPlan
    head_name: str
    address: str
    phone: str | None
    people: list[PersonPlan]


@dataclass
class SeedReport:
    inserted: Counter[str] = field(default_factory=Counter)
    totals: dict[str, int] = field(default_factory=dict)
    timings: list[tuple[str, float]] = field(default_factory=list)
    accounts: list[tuple[str, str, str, str]] = field(default_factory=list)  # phone, role, name, unit


def seed_demo(session: Session, *, scale: float = 1.0, progress: Progress | None = None) -> SeedReport:
    """Seed the demo at `scale` (1.0: ~20,000 households, ~3,000 visits). Flushes only."""
    say = progress or (lambda _: None)
    report = SeedReport()

    @contextmanager
    def step(label: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), time.process_time()
        yield
        elapsed = time.perf_counter() - started
        report.timings.append((label, elapsed))
        say(f"  {label}: {elapsed:.2f} s (CPU {time.process_time() - cpu:.2f} s)")

    with step("đơn vị hành chính (units)"):
        province = _ensure_units(session, say)
    with step("thôn, ấp, khu vực (hamlets)"):
        hamlets = _ensure_hamlets(session, province, report)
    with step("tổ CNSCĐ, tình nguyện viên, tài khoản (teams, volunteers, accounts)"):
        _ensure_people_and_teams(session, province, hamlets, report)
    with step("hộ gia đình, nhân khẩu (households, people)"):
        plan = _plan_households(hamlets, scale)
        _ensure_households(session, plan, report)
        _ensure_area_versions(session, hamlets, report)
    with step("thôn, ấp của xã bị chia tách năm 2025 (hamlets of split communes)"):
        _assign_split_hamlets(session, province, hamlets, report)
    with step("chiến dịch (campaign)"):
        campaign = _ensure_campaign(session, province, report)
        _set_household_counts(session, province)
    with step("lượt thăm qua đường ghi nhận chung (visits through coverage.ingest)"):
        _ensure_visits(session, plan, campaign, scale, report, say)
    report.totals = _totals(session, province, campaign)
    return report


# --- units ------------------------------------------------------------------------------------------


def _ensure_units(session: Session, say: Progress) -> AdminUnit:
    """Both unit lists and the 2025 conversion table between them (a database from before the
    conversion was shipped gets it now)."""
    try:
        get_by_code(session, scheme=SCHEME_2025, level="province", code=PROVINCE_2025)
        province = get_by_code(session, scheme=SCHEME_2004, level="province", code=PROVINCE)
    except UnitNotFound:
        say("  chưa có danh mục đơn vị: nạp danh mục (importing the unit lists first)")
        importer.import_shipped(session, progress=say)
        return get_by_code(session, scheme=SCHEME_2004, level="province", code=PROVINCE)
    if session.exec(select(UnitConversion.old_unit_id).limit(1)).first() is None:
        conversion.import_shipped_conversion(session, progress=say)
    return province


def _ensure_hamlets(session: Session, province: AdminUnit, report: SeedReport) -> list[HamletPlan]:
    communes = session.exec(
        select(AdminUnit)
        .where(AdminUnit.level == "commune", col(AdminUnit.path).startswith(province.path))
        .order_by(col(AdminUnit.code))
    ).all()
    plans: list[HamletPlan] = []
    for commune in communes:
        rng = random.Random(f"hamlets:{commune.code}")
        labels = names.hamlet_names(rng, commune_type=commune.unit_type, count=rng.randint(3, 8))
        plans += [HamletPlan(f"{commune.code}-{n:02d}", label, commune) for n, label in enumerate(labels, start=1)]

    def existing() -> dict[str, tuple[int, str]]:
        rows = session.exec(
            select(AdminUnit.code, AdminUnit.id, AdminUnit.path).where(
                AdminUnit.level == "hamlet", col(AdminUnit.path).startswith(province.path)
            )
        ).all()
        return {code: (unit_id or 0, path) for code, unit_id, path in rows}

    found = existing()
    now = utcnow()
    new = [
        {
            "scheme": SCHEME_2004,
            "level": "hamlet",
            "code": p.code,
            "name": p.name,
            "unit_type": "khu vực" if p.name.startswith("Khu vực") else "ấp",
            "search_key": fold(p.name),
            "parent_id": p.commune.id,
            "path": "",
            "province_code": PROVINCE,
            "valid_from": None,
            "valid_to": None,
            "created_at": now,
        }
        for p in plans
        if p.code not in found
    ]
    if new:
        importer.bulk_insert(session, table_of(AdminUnit), new)
        by_code = {p.code: p for p in plans}
        fresh = session.exec(
            select(AdminUnit.id, AdminUnit.code).where(
                AdminUnit.level == "hamlet", AdminUnit.province_code == PROVINCE, AdminUnit.path == ""
            )
        ).all()
        paths = [{"id": i, "path": f"{by_code[code].commune.path}{i}/"} for i, code in fresh]
        _set_paths(session, paths)
        found = existing()
    report.inserted["hamlets"] += len(new)
    for p in plans:
        p.id, p.path = found[p.code]
    return plans


def _assign_split_hamlets(session: Session, province: AdminUnit, hamlets: list[HamletPlan], report: SeedReport) -> None:
    """Place each demo hamlet whose commune was split in 2025 in one of its new communes (in turn), as
    an admin would once, so the 2024 drive shows whole under today's Cần Thơ. The national table splits
    no commune of old Hậu Giang: this places nothing unless the table or the demo province changes."""
    split = {
        old_id: sorted(new_ids)
        for old_id, new_ids in _conversion_targets(session, {h.commune.id for h in hamlets if h.commune.id}).items()
        if len(new_ids) > 1
    }
    if not split:
        return
    have = set(
        session.exec(
            select(HamletAssignment.hamlet_id).where(
                col(HamletAssignment.hamlet_id).in_([h.id for h in hamlets if h.commune.id in split])
            )
        ).all()
    )
    rows = []
    for n, hamlet in enumerate(h for h in hamlets if h.commune.id in split):
        if hamlet.id not in have:
            targets = split[hamlet.commune.id or 0]
            rows.append(HamletAssignment(hamlet_id=hamlet.id, commune_id=targets[n % len(targets)]))
    session.add_all(rows)
    session.flush()
    report.inserted["hamlet_assignments"] += len(rows)


def _conversion_targets(session: Session, old_ids: set[int]) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for old_id, new_id in session.exec(
        select(UnitConversion.old_unit_id, UnitConversion.new_unit_id).where(
            col(UnitConversion.old_unit_id).in_(sorted(old_ids))
        )
    ).all():
        out.setdefault(old_id, set()).add(new_id)
    return out


def _set_paths(session: Session, paths: list[dict[str, Any]]) -> None:
    if paths:
        session.execute(update(AdminUnit), paths)


# --- people, teams, accounts --------------------------------------------------------------------------


def _ensure_people_and_teams(
    session: Session, province: AdminUnit, hamlets: list[HamletPlan], report: SeedReport
) -> None:
    district = get_by_code(session, scheme=SCHEME_2004, level="district", code=DEMO_DISTRICT)
    commune = get_by_code(session, scheme=SCHEME_2004, level="commune", code=DEMO_COMMUNE)
    demo_hamlets = [h for h in hamlets if h.commune.code == DEMO_COMMUNE]
    province_2025 = get_by_code(session, scheme=SCHEME_2025, level="province", code=PROVINCE_2025)
    where = {
        "hamlet": commune.id,
        "commune": commune.id,
        "district": district.id,
        "province": province.id,
        "province2025": province_2025.id,
    }

    wanted: dict[str, dict[str, Any]] = {}  # phone → user row
    for phone, role, full_name, place in DEMO_ACCOUNTS:
        wanted[phone] = {"phone": phone, "role": role, "full_name": full_name, "unit_id": where.get(place)}
    counter = 0
    for hamlet in hamlets:
        rng = random.Random(f"team:{hamlet.code}")
        size = rng.randint(2, 4)
        phones = []
        for role in ["team_leader"] + ["volunteer"] * size:
            counter += 1
            phone = f"0901{counter:06d}"
            sex = rng.choice(("male", "female"))
            wanted[phone] = {
                "phone": phone,
                "role": role,
                "full_name": names.full_name(rng, sex),
                "unit_id": hamlet.commune.id,
            }
            phones.append(phone)
        hamlet.leader_phone, hamlet.member_phones = phones[0], phones[1:]
    # The demo volunteer and team leader work in the first hamlet of the demo commune.
    demo = demo_hamlets[0]
    demo.leader_phone = "0900000002"
    demo.member_phones = ["0900000001", *demo.member_phones[:2]]

    user_ids = _ensure_users(session, list(wanted.values()), report)
    team_ids = _ensure_teams(session, hamlets, report)
    members = []
    areas = []
    for hamlet in hamlets:
        hamlet.team_id = team_ids[hamlet.id]
        members.append((hamlet.team_id, user_ids[hamlet.leader_phone], "leader"))
        members += [(hamlet.team_id, user_ids[p], "member") for p in hamlet.member_phones]
        areas += [(user_ids[p], hamlet.id) for p in [hamlet.leader_phone, *hamlet.member_phones]]
    # The demo volunteer also covers the next hamlet: an area is a set of hamlets.
    areas.append((user_ids["0900000001"], demo_hamlets[1].id))
    _ensure_links(session, members, areas, report)
    units = {u.id: u.name for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(list(where.values()))))}
    for phone, role, full_name, place in DEMO_ACCOUNTS:
        unit = units.get(where.get(place) or 0, "toàn quốc (everywhere)")
        if place == "hamlet":
            unit = f"{demo.name}, {unit}"
        report.accounts.append((phone, role, full_name, unit))


def _ensure_users(session: Session, rows: list[dict[str, Any]], report: SeedReport) -> dict[str, int]:
    """Demo accounts by phone. One Argon2 hash shared by all: hashing 1,600 passwords takes minutes."""

    def existing() -> dict[str, int]:
        phones = [_e164(r["phone"]) for r in rows]
        found: dict[str, int] = {}
        for chunk in _chunks(phones, 900):
            found.update(
                (p, i or 0) for p, i in session.exec(select(User.phone, User.id).where(col(User.phone).in_(chunk)))
            )
        return found

    found = existing()
    missing = [r for r in rows if _e164(r["phone"]) not in found]
    if missing:
        password_hash = hash_password(PASSWORD)
        now = utcnow()
        importer.bulk_insert(
            session,
            table_of(User),
            [
                {
                    "phone": _e164(r["phone"]),
                    "full_name": r["full_name"],
                    "password_hash": password_hash,
                    "role": r["role"],
                    "unit_id": r["unit_id"],
                    "is_active": True,
                    "must_change_password": False,
                    "created_at": now,
                    "deactivated_at": None,
                }
                for r in missing
            ],
        )
        found = existing()
    report.inserted["users"] += len(missing)
    return {r["phone"]: found[_e164(r["phone"])] for r in rows}


def _e164(phone: str) -> str:
    return "+84" + phone[1:]


def _team_name(hamlet: HamletPlan) -> str:
    return f"Tổ CNSCĐ {hamlet.name}"


def _ensure_teams(session: Session, hamlets: list[HamletPlan], report: SeedReport) -> dict[int, int]:
    def existing() -> dict[int, int]:
        rows = session.exec(
            select(Team.unit_id, Team.id, Team.name).where(col(Team.unit_id).in_([h.id for h in hamlets]))
        ).all()
        names_by_unit = {h.id: _team_name(h) for h in hamlets}
        return {unit_id: team_id or 0 for unit_id, team_id, name in rows if names_by_unit[unit_id] == name}

    found = existing()
    now = utcnow()
    missing = [{"name": _team_name(h), "unit_id": h.id, "created_at": now} for h in hamlets if h.id not in found]
    if missing:
        importer.bulk_insert(session, table_of(Team), missing)
        found = existing()
    report.inserted["teams"] += len(missing)
    return found


def _ensure_links(
    session: Session, members: list[tuple[int, int, str]], areas: list[tuple[int, int]], report: SeedReport
) -> None:
    team_ids = sorted({m[0] for m in members})
    have_members = set(
        session.exec(select(TeamMember.team_id, TeamMember.user_id).where(col(TeamMember.team_id).in_(team_ids))).all()
    )
    now = utcnow()
    new_members = [
        {"team_id": t, "user_id": u, "role": r, "joined_at": now} for t, u, r in members if (t, u) not in have_members
    ]
    importer.bulk_insert(session, table_of(TeamMember), new_members)
    hamlet_ids = sorted({a[1] for a in areas})
    have_areas = set(
        session.exec(
            select(VolunteerArea.user_id, VolunteerArea.hamlet_id).where(col(VolunteerArea.hamlet_id).in_(hamlet_ids))
        ).all()
    )
    new_areas = [
        {"user_id": u, "hamlet_id": h, "assigned_at": now} for u, h in dict.fromkeys(areas) if (u, h) not in have_areas
    ]
    importer.bulk_insert(session, table_of(VolunteerArea), new_areas)
    report.inserted["team_members"] += len(new_members)
    report.inserted["volunteer_areas"] += len(new_areas)


# --- households and people --------------------------------------------------------------------------

PEOPLE_WEIGHTS = (8, 18, 24, 24, 16, 10)  # households of 1…6 people
# Mobile prefixes in use (90, 91, 3x, 7x, 8x…): two digits after +84, then seven.
PHONE_PREFIXES = (
    "90", "91", "93", "94", "97", "98", "32", "33", "34", "35", "36", "37", "38", "39",
    "70", "76", "77", "78", "79", "81", "82", "83", "84", "85", "86", "88", "89",
)  # fmt: skip


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _plan_households(hamlets: list[HamletPlan], scale: float) -> list[HouseholdPlan]:
    """Who lives where: a head, perhaps a spouse, children and a grandparent, under the father's name."""
    rng = random.Random("households")
    weights = [rng.uniform(0.5, 1.5) for _ in hamlets]
    total = round(HOUSEHOLDS * scale)
    placed = Counter(h.code for h in rng.choices(hamlets, weights=weights, k=total))
    plans: list[HouseholdPlan] = []
    for hamlet in hamlets:
        numbers = rng.sample(range(1, 400), placed[hamlet.code]) if placed[hamlet.code] else []
        for n, number in enumerate(sorted(numbers), start=1):
            key = f"{hamlet.code}:{n}"
            size = rng.choices(range(1, 7), weights=PEOPLE_WEIGHTS)[0]
            head_sex = "male" if rng.random() < 0.7 else "female"
            family = names.family_name(rng)
            head_year = rng.randint(1945, 1995)
            members = [(names.full_name(rng, head_sex, family), head_year, head_sex)]
            children_family = family
            if size >= 2:
                spouse_sex = "female" if head_sex == "male" else "male"
                spouse_family = names.family_name(rng)
                if spouse_sex == "male":
                    children_family = spouse_family
                year = min(2004, max(1940, head_year + rng.randint(-5, 5)))
                members.append((names.full_name(rng, spouse_sex, spouse_family), year, spouse_sex))
            if size >= 5:
                sex = rng.choice(("male", "female"))
                members.append((names.full_name(rng, sex), max(1925, head_year - rng.randint(20, 30)), sex))
            while len(members) < size:
                sex = rng.choice(("male", "female"))
                year = min(2022, head_year + rng.randint(20, 38))
                members.append((names.full_name(rng, sex, children_family), year, sex))
            people = [
                PersonPlan(
                    id=uuid.uuid5(NAMESPACE, f"person:{key}:{i}"),
                    # Names are optional: some people are only "a son, born 2008".
                    full_name=name if i == 0 or rng.random() > 0.1 else None,
                    birth_year=year,
                    sex=sex,
                )
                for i, (name, year, sex) in enumerate(members)
            ]
            phone = None
            if rng.random() < 0.65:
                phone = f"+84{rng.choice(PHONE_PREFIXES)}{rng.randint(0, 9_999_999):07d}"
            plans.append(
                HouseholdPlan(
                    id=uuid.uuid5(NAMESPACE, f"household:{key}"),
                    hamlet=hamlet,
                    head_name=members[0][0],
                    address=f"Số {number}, {_lower_first(hamlet.name)}, {_lower_first(hamlet.commune.name)}",
                    phone=phone,
                    people=people,
                )
            )
    return plans


def _ensure_households(session: Session, plan: list[HouseholdPlan], report: SeedReport) -> None:
    have = set(session.exec(select(Household.id).where(Household.province_code == PROVINCE)).all())
    new = [h for h in plan if h.id not in have]
    created_at = datetime(2024, 9, 25, 2, 0, tzinfo=UTC)
    leaders = _user_ids(session, {h.hamlet.leader_phone for h in new})
    importer.bulk_insert(
        session,
        table_of(Household),
        [
            {
                "id": h.id,
                "hamlet_id": h.hamlet.id,
                "province_code": PROVINCE,
                "address": h.address,
                "head_name": h.head_name,
                "head_name_key": fold(h.head_name),
                "phone": h.phone,
                "member_count": len(h.people),
                "latitude": None,
                "longitude": None,
                "created_by_id": leaders[h.hamlet.leader_phone],
                "created_at": created_at,
                "updated_at": created_at,
                "deleted_at": None,
                # Version 1 in a hamlet whose area_version is 1: a first pull finds them.
                "version": 1,
            }
            for h in new
        ],
    )
    importer.bulk_insert(
        session,
        table_of(Person),
        [
            {
                "id": p.id,
                "household_id": h.id,
                "hamlet_id": h.hamlet.id,
                "full_name": p.full_name,
                "birth_year": p.birth_year,
                "sex": p.sex,
                "created_by_id": leaders[h.hamlet.leader_phone],
                "created_at": created_at,
                "updated_at": created_at,
                "deleted_at": None,
                "version": 1,
            }
            for h in new
            for p in h.people
        ],
    )
    if new:
        # Statistics for the tables just filled, in both databases: without them PostgreSQL plans the
        # population counts that follow as if the tables were empty (20 s instead of 0.1 s at scale 1).
        for table in (Household, Person):
            session.execute(text(f"ANALYZE {table_of(table).name}"))
    report.inserted["households"] += len(new)
    report.inserted["people"] += sum(len(h.people) for h in new)


def _ensure_area_versions(session: Session, hamlets: list[HamletPlan], report: SeedReport) -> None:
    """Every demo hamlet has its change counter, at least at the version its seeded rows carry."""
    ids = [h.id for h in hamlets]
    have = dict(
        session.exec(
            select(AreaVersion.hamlet_id, AreaVersion.version).where(col(AreaVersion.hamlet_id).in_(ids))
        ).all()
    )
    importer.bulk_insert(session, table_of(AreaVersion), [{"hamlet_id": i, "version": 1} for i in ids if i not in have])
    behind = [i for i, v in have.items() if v < 1]
    if behind:
        session.execute(update(AreaVersion).where(col(AreaVersion.hamlet_id).in_(behind)).values(version=1))
    report.inserted["area_versions"] += len(ids) - len(have)


# --- campaign and counters --------------------------------------------------------------------------


def _ensure_campaign(session: Session, province: AdminUnit, report: SeedReport) -> Campaign:
    campaign = session.exec(
        select(Campaign).where(Campaign.name == CAMPAIGN_NAME, Campaign.unit_id == province.id)
    ).first()
    if campaign is None:
        assert province.id is not None
        campaign = Campaign(
            name=CAMPAIGN_NAME,
            unit_id=province.id,
            starts_on=CAMPAIGN_DAYS[0],
            ends_on=CAMPAIGN_DAYS[1],
            covered_threshold=1,
        )
        session.add(campaign)
        session.flush()
        report.inserted["campaigns"] += 1
    return campaign


def _set_household_counts(session: Session, province: AdminUnit) -> None:
    """Households and people inserted in bulk bypass the household service: the hamlets' counts are
    set once from the rows themselves (`coverage.set_population`, all-time rows only)."""
    hamlets = session.exec(
        select(AdminUnit.id).where(AdminUnit.level == "hamlet", col(AdminUnit.path).startswith(province.path))
    ).all()
    coverage.set_population(session, sorted(h for h in hamlets if h is not None))


# --- visits -----------------------------------------------------------------------------------------

VISIT_BATCH = 500  # visits per call to coverage.ingest
DAY_WEIGHTS = (35, 30, 20, 15)  # the first four days of the campaign
OUTCOMES = (("met", 75), ("not_home", 18), ("declined", 5), ("moved", 2))


def _plan_visits(
    plan: list[HouseholdPlan], campaign_id: int, scale: float, skills: list[str], milestones: set[str]
) -> list[tuple[str, VisitIn]]:
    """(visitor phone, visit) in the order they happen: first calls, and revisits of the closed doors."""
    rng = random.Random("visits")
    # Three days in, teams have started in about half the hamlets of each commune (always in the demo
    # commune): the reports show both progress and the hamlets still waiting.
    started = {h.hamlet.code for h in plan if h.hamlet.commune.code == DEMO_COMMUNE}
    for code in sorted({h.hamlet.code for h in plan}):
        if rng.random() < 0.5:
            started.add(code)
    candidates = [h for h in plan if h.hamlet.code in started]
    chosen = rng.sample(candidates, min(len(candidates), round(VISITED_HOUSEHOLDS * scale)))
    out: list[tuple[str, VisitIn]] = []
    for household in chosen:
        visitors = [household.hamlet.leader_phone, *household.hamlet.member_phones]
        day = rng.choices(range(4), weights=DAY_WEIGHTS)[0]
        outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        calls = [(day, outcome)]
        if outcome == "not_home" and rng.random() < 0.4:
            calls.append((day + rng.randint(1, 2), "met"))
        elif outcome == "met" and rng.random() < 0.15:
            calls.append((day + rng.randint(1, 3), "met"))  # back to finish what was started
        for n, (offset, result) in enumerate(calls):
            moment = datetime.combine(CAMPAIGN_DAYS[0] + timedelta(days=offset), datetime.min.time(), VIETNAM)
            moment += timedelta(minutes=rng.randint(7 * 60 + 30, 19 * 60 + 30))
            visit = VisitIn(
                id=uuid.uuid5(NAMESPACE, f"visit:{household.id}:{n}"),
                household_id=household.id,
                campaign_id=campaign_id,
                visited_at=moment,
                outcome=result,
                consent_given=result == "met",
                consent_notice_version=NOTICE_VERSION if result == "met" else None,
                people=_people_met(rng, household, skills, milestones, second=n > 0) if result == "met" else [],
            )
            out.append((rng.choice(visitors), visit))
    out.sort(key=lambda pair: (pair[1].visited_at, str(pair[1].id)))
    return out


def _people_met(
    rng: random.Random, household: HouseholdPlan, skills: list[str], milestones: set[str], *, second: bool
) -> list[VisitPersonIn]:
    met = rng.sample(household.people, rng.randint(1, min(3, len(household.people))))
    out = []
    for person in met:
        elderly = person.birth_year < 1960
        child = person.birth_year > 2014
        if child:
            continue
        if rng.random() < (0.1 if elderly else 0.6 if second else 0.35):
            levels = dict.fromkeys(skills, "proficient")
        else:
            levels = {}
            for skill in skills:
                roll = rng.random()
                if roll < 0.5:
                    levels[skill] = "taught"
                elif roll < 0.75:
                    levels[skill] = "proficient"
            if not levels:
                levels[skills[0]] = "taught"
        reached = []
        if levels.get("public_services") == "proficient":
            reached += [m for m, p in (("vneid_level2", 0.6), ("public_service_account", 0.4)) if rng.random() < p]
        if levels.get("online_payment") == "proficient" and rng.random() < 0.5:
            reached.append("payment_app")
        if levels.get("online_shopping") == "proficient" and rng.random() < 0.3:
            reached.append("ecommerce_app")
        out.append(
            VisitPersonIn(person_id=person.id, skills=levels, milestones=[m for m in reached if m in milestones])
        )
    return out


def _ensure_visits(
    session: Session, plan: list[HouseholdPlan], campaign: Campaign, scale: float, report: SeedReport, say: Progress
) -> None:
    """The planned visits not stored yet, through `coverage.ingest` (the write path of every visit) in
    batches of VISIT_BATCH. The plan is valid by construction (members of the household, known skills
    and milestones, inside the campaign's area), so what the visit service adds before ingest is done
    here for the whole run at once: the visitor's team, the plausibility flags, and the household's
    consent from its first visit with consent."""
    assert campaign.id is not None
    skills = households.skill_ids(session)
    milestones = set(session.exec(select(Milestone.id).where(col(Milestone.is_active))).all())
    planned = _plan_visits(plan, campaign.id, scale, skills, milestones)
    have = set(session.exec(select(Visit.id).where(Visit.campaign_id == campaign.id)).all())
    todo = [(phone, v) for phone, v in planned if v.id not in have]
    if not todo:
        return
    user_ids = _user_ids(session, {phone for phone, _ in todo})
    hamlet_of = {h.id: h.hamlet for h in plan}
    rows: list[coverage.NewVisit] = []
    by_volunteer: dict[int, list[coverage.NewVisit]] = {}
    for phone, visit in todo:
        hamlet = hamlet_of[visit.household_id]
        row = visits.new_visit(
            visit,
            hamlet_id=hamlet.id,
            volunteer_id=user_ids[phone],
            # Every visitor of a hamlet is a member of its team (`_ensure_people_and_teams`).
            team_id=hamlet.team_id,
            campaign_id=campaign.id,
            digest=visits.content_hash(visit),
            received_at=utcnow(),
        )
        rows.append(row)
        by_volunteer.setdefault(row.row["volunteer_id"], []).append(row)
    retro: set[uuid.UUID] = set()
    for volunteer_id, own in by_volunteer.items():
        retro |= plausibility.flag_new(session, volunteer_id, own)
    # A hamlet's visits together: each batch locks and bumps few hamlets (the order within a batch, or
    # across batches, changes nothing derived).
    rows.sort(key=lambda v: v.row["hamlet_id"])
    started = time.perf_counter()
    taken: dict[int, int] = {}
    for start in range(0, len(rows), VISIT_BATCH):
        for hamlet_id, version in coverage.ingest(session, rows[start : start + VISIT_BATCH]).items():
            taken[hamlet_id] = max(version, taken.get(hamlet_id, 0))
        done = min(start + VISIT_BATCH, len(rows))
        say(f"    {done}/{len(rows)} lượt thăm (visits) — {time.perf_counter() - started:.1f} s")
    _take_consent(session, [v.row for v in rows], taken)
    plausibility.flag_stored(session, retro)
    report.inserted["visits"] += len(rows)


def _user_ids(session: Session, phones: set[str]) -> dict[str, int]:
    """The accounts' ids by the phones as the plan writes them (local form)."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(_e164(p) for p in phones), 900):
        found.update(
            (p, i or 0) for p, i in session.exec(select(User.phone, User.id).where(col(User.phone).in_(chunk)))
        )
    return {p: found[_e164(p)] for p in phones}


def _take_consent(session: Session, rows: list[dict[str, Any]], versions: dict[int, int]) -> None:
    """A household whose consent is still unknown takes it from its first visit with consent, and the
    version its hamlet took, so phones pull it again with its consent: as the visit service does."""
    first: dict[uuid.UUID, dict[str, Any]] = {}
    for row in sorted(rows, key=lambda r: r["visited_at"]):
        if row["consent_given"]:
            first.setdefault(row["household_id"], row)
    if not first:
        return
    table = table_of(Household)
    session.execute(
        update(table)
        .where(table.c.id == bindparam("household_id"), table.c.consent == "unknown")
        .values(
            consent="given",
            consent_on=bindparam("day"),
            consent_notice_version=bindparam("notice"),
            version=bindparam("taken"),
        ),
        [
            {
                "household_id": h,
                "day": r["visited_on"],
                "notice": r["consent_notice_version"],
                "taken": versions[r["hamlet_id"]],
            }
            for h, r in sorted(first.items())
        ],
    )


# --- summary ----------------------------------------------------------------------------------------


def _totals(session: Session, province: AdminUnit, campaign: Campaign) -> dict[str, int]:
    inside = col(AdminUnit.path).startswith(province.path)

    def count_units(level: str) -> int:
        return session.exec(select(func.count()).where(AdminUnit.level == level, inside)).one()

    assert province.id is not None
    rows = rollup.rows(session, UnitCoverage, [province.id], UnitCoverage.campaign_id == campaign.id)
    coverage = rows[0] if rows else None
    return {
        "districts": count_units("district"),
        "communes": count_units("commune"),
        "hamlets": count_units("hamlet"),
        "households": session.exec(
            select(func.count()).where(Household.province_code == PROVINCE, col(Household.deleted_at).is_(None))
        ).one(),
        "people": session.exec(
            select(func.count())
            .select_from(Person)
            .join(Household, col(Household.id) == Person.household_id)
            .where(Household.province_code == PROVINCE)
        ).one(),
        "teams": session.exec(select(func.count()).select_from(Team).join(AdminUnit).where(inside)).one(),
        "volunteers": session.exec(
            select(func.count(func.distinct(VolunteerArea.user_id))).join(AdminUnit).where(inside)
        ).one(),
        "visits": session.exec(select(func.count()).where(Visit.campaign_id == campaign.id)).one(),
        "households_visited": coverage.households_visited if coverage else 0,
        "households_covered": coverage.households_covered_1 if coverage else 0,
    }


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
