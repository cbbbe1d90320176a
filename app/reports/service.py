"""Coverage, daily progress and the households still to visit, for one unit and one campaign.

Coverage and progress read only the aggregate rows maintained on write (`unit_coverage`,
`unit_skill`, `unit_milestone`, `unit_daily`), through `app.coverage.rollup`: a hamlet's own rows, a
unit above summed from its hamlets' rows, never a GROUP BY over visits. A unit without a row has
zeros. Definitions are those of `app.coverage.rules` (DESIGN §6): visited = at least one `met` visit counted for the
campaign; covered = at least the campaign's threshold (1 or 2) of people proficient in all five.
The households total comes from the all-time rows (campaign 0); for a campaign it counts only the
units taking part (`denominators`), so a district's campaign seen from the province is not diluted.

The forces deployed (teams, volunteers, volunteer-days, hamlets with an active team) have no
aggregate row: `forces_for` reads the distinct (hamlet, volunteer, day, team) of the unit's counted
visits in one scoped GROUP BY (see docs/reports.md for its cost).

The to-visit list is per household and reads `household_status` (also derived on write).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.auth.scope import Scope, require_unit_across_schemes
from app.coverage import rollup
from app.errors import Invalid, NotFound
from app.models import (
    ALL_TIME,
    AdminUnit,
    Campaign,
    CampaignUnit,
    ExportLog,
    Household,
    HouseholdStatus,
    UnitCoverage,
    UnitDaily,
    UnitMilestone,
    UnitSkill,
    User,
    Visit,
)
from app.models.aggregates import COVERAGE_COUNTERS
from app.models.base import utcnow
from app.privacy.service import hidden
from app.reports import exports
from app.reports.schemas import (
    CampaignRef,
    CoverageFigures,
    CoverageOut,
    DayFigures,
    ForceFigures,
    LabelOut,
    MilestoneFigures,
    ProgressOut,
    SkillFigures,
    Target,
    ToVisitItem,
    ToVisitOut,
    UnitRef,
)
from app.skills import service as skills_catalogue

# An all-time progress chart never spans more than this (a stray 2020 visit must not draw 2,000 days).
MAX_DAYS = 400


class UnitNotFound(NotFound):
    code = "unit_not_found"
    message_vi = "Không tìm thấy đơn vị hành chính."
    message_en = "Administrative unit not found."


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message_vi = "Không tìm thấy chiến dịch."
    message_en = "Campaign not found."


class UnitRequired(Invalid):
    code = "unit_required"
    message_vi = "Hãy chọn đơn vị cần xem báo cáo."
    message_en = "Choose the unit to report on."


def pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def unit_ref(unit: AdminUnit) -> UnitRef:
    return UnitRef(id=unit.id or 0, level=unit.level, code=unit.code, name=unit.name)


def path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def resolve(
    session: Session, *, scope: Scope, unit_id: int | None, campaign_id: int
) -> tuple[AdminUnit, Campaign | None]:
    """The unit (the official's own when not given) and the campaign, or an error the user can read."""
    if unit_id is None:
        unit_id = scope.user.unit_id
        if unit_id is None:
            raise UnitRequired()
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise UnitNotFound(details={"unit_id": unit_id})
    require_unit_across_schemes(session, scope, unit)
    campaign = None
    if campaign_id != ALL_TIME:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(details={"campaign_id": campaign_id})
    return unit, campaign


def _campaign_ref(campaign: Campaign | None) -> CampaignRef | None:
    if campaign is None:
        return None
    return CampaignRef(
        id=campaign.id or 0,
        name=campaign.name,
        unit_id=campaign.unit_id,
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
        covered_threshold=campaign.covered_threshold,
    )


def family(session: Session, unit: AdminUnit) -> tuple[list[AdminUnit], list[AdminUnit]]:
    """(ancestors province first, children ordered by code) in one query. Unit names are public data."""
    above = path_ids(unit.path)[:-1]
    rows = session.exec(
        select(AdminUnit)
        .where((col(AdminUnit.parent_id) == unit.id) | col(AdminUnit.id).in_(above))
        .order_by(col(AdminUnit.code), col(AdminUnit.name))
    ).all()
    by_id = {u.id: u for u in rows}
    return [by_id[i] for i in above if i in by_id], [u for u in rows if u.parent_id == unit.id]


def catalogue(session: Session, scope: Scope, unit: AdminUnit) -> tuple[list[LabelOut], list[LabelOut]]:
    """Skills and milestones in the words of the unit's province, as its skill catalogue shows them."""
    book = skills_catalogue.catalogue(session, scope=scope, province_id=path_ids(unit.path)[0])
    return (
        [LabelOut(id=s["id"], label_vi=s["label_vi"], label_en=s["label_en"]) for s in book["skills"]],
        [LabelOut(id=m["id"], label_vi=m["label_vi"], label_en=m["label_en"]) for m in book["milestones"]],
    )


def _figures(
    unit: AdminUnit,
    threshold: int,
    counts: dict[str, int],
    households: int,
    people: int,
    skills: list[LabelOut],
    skill_rows: dict[str, UnitSkill],
    milestones: list[LabelOut],
    milestone_rows: dict[str, int],
    forces: ForceFigures | None,
) -> CoverageFigures:
    visited = counts.get("households_visited", 0)
    covered = counts.get(f"households_covered_{threshold}", 0)
    proficient = counts.get("people_proficient_all", 0)
    return CoverageFigures(
        unit=unit_ref(unit),
        households=households,
        households_visited=visited,
        visited_pct=pct(visited, households),
        households_covered=covered,
        covered_pct=pct(covered, households),
        households_covered_1=counts.get("households_covered_1", 0),
        households_covered_2=counts.get("households_covered_2", 0),
        households_to_visit=max(households - visited, 0),
        households_not_home=counts.get("households_not_home", 0),
        households_declined=counts.get("households_declined", 0),
        households_moved=counts.get("households_moved", 0),
        visits=counts.get("visits", 0),
        people=people,
        people_taught=counts.get("people_taught", 0),
        people_proficient_all=proficient,
        proficient_all_pct=pct(proficient, people),
        skills=[
            SkillFigures(
                skill_id=s.id,
                people_taught=r.people_taught if (r := skill_rows.get(s.id)) else 0,
                people_proficient=r.people_proficient if r else 0,
            )
            for s in skills
        ],
        milestones=[MilestoneFigures(milestone_id=m.id, people=milestone_rows.get(m.id, 0)) for m in milestones],
        forces=forces,
    )


def denominators(
    session: Session, units: list[AdminUnit], campaign: Campaign | None, base: dict[int, UnitCoverage]
) -> dict[int, tuple[int, int]]:
    """(households, people) each unit brings to the campaign: all of it when the unit lies inside a
    unit taking part, else the sum of the units taking part inside it. Over all time: everything."""
    own = {u.id: (r.households, r.people) if (r := base.get(u.id or 0)) else (0, 0) for u in units}
    if campaign is None:
        return own  # type: ignore[return-value]
    listed = session.exec(
        select(AdminUnit)
        .join(CampaignUnit, col(CampaignUnit.unit_id) == AdminUnit.id)
        .where(CampaignUnit.campaign_id == campaign.id)
    ).all()
    taking_part = list(listed) or [u for u in [session.get(AdminUnit, campaign.unit_id)] if u is not None]
    inner: dict[int, UnitCoverage] = {
        r.unit_id: r
        for r in rollup.rows(
            session, UnitCoverage, [p.id for p in taking_part if p.id is not None], UnitCoverage.campaign_id == ALL_TIME
        )
    }
    out: dict[int, tuple[int, int]] = {}
    for unit in units:
        assert unit.id is not None
        if any(unit.path.startswith(p.path) for p in taking_part):
            out[unit.id] = own[unit.id]
            continue
        parts = [inner[p.id] for p in taking_part if p.path.startswith(unit.path) and p.id in inner]
        out[unit.id] = (sum(r.households for r in parts), sum(r.people for r in parts))
    return out


def threshold_of(campaign: Campaign | None) -> int:
    return campaign.covered_threshold if campaign is not None and campaign.covered_threshold == 2 else 1


def forces_for(
    session: Session, root: AdminUnit, units: list[AdminUnit], campaign: Campaign | None
) -> dict[int, ForceFigures]:
    """Teams, volunteers, volunteer-days and hamlets (active / all) for each of `units`, all inside
    `root`. One GROUP BY over the visits counted for the campaign inside `root` (the visit's hamlet
    joined to its unit, a path-prefix test), returning one row per distinct (hamlet, volunteer, day,
    team); each row is then credited to the units of `units` on its hamlet's path, so a volunteer
    working in two hamlets on one day is one volunteer-day of their commune. Visits to households
    deleted later still count: the work was done."""
    ids = {u.id for u in units}
    hamlet_rows = session.exec(
        select(AdminUnit.id, AdminUnit.path).where(
            AdminUnit.level == "hamlet", col(AdminUnit.path).startswith(root.path)
        )
    ).all()
    owners = {hamlet_id: [i for i in path_ids(path) if i in ids] for hamlet_id, path in hamlet_rows}
    stmt = select(*FORCE_COLUMNS)
    if root.level == "hamlet":
        stmt = stmt.where(Visit.hamlet_id == root.id)
    else:
        stmt = stmt.join(AdminUnit, col(AdminUnit.id) == Visit.hamlet_id).where(
            col(AdminUnit.path).startswith(root.path)
        )
    rows = session.exec(counted_work(stmt, campaign)).all()
    return credit_forces(rows, owners, [i for i in ids if i is not None])


FORCE_COLUMNS = (col(Visit.hamlet_id), col(Visit.volunteer_id), col(Visit.visited_on), col(Visit.team_id))


def counted_work(stmt: Any, campaign: Campaign | None) -> Any:
    """`stmt` (selecting FORCE_COLUMNS from visits) narrowed to the visits counted for the campaign, one
    row per distinct (hamlet, volunteer, day, team)."""
    if campaign is not None:
        stmt = stmt.where(
            Visit.campaign_id == campaign.id,
            col(Visit.visited_on) >= campaign.starts_on,
            col(Visit.visited_on) <= campaign.ends_on,
        )
    return stmt.group_by(*FORCE_COLUMNS)


def credit_forces(
    rows: Iterable[Any], owners: Mapping[Any, Iterable[int]], keys: Iterable[int]
) -> dict[int, ForceFigures]:
    """The forces of each of `keys`: every (hamlet, volunteer, day, team) row is credited to the keys its
    hamlet belongs to (`owners`); `hamlets` counts the hamlets each key owns."""
    volunteers: dict[int, set[int]] = {k: set() for k in keys}
    days: dict[int, set[tuple[int, date]]] = {k: set() for k in volunteers}
    teams: dict[int, set[int]] = {k: set() for k in volunteers}
    active: dict[int, set[int]] = {k: set() for k in volunteers}
    for hamlet_id, volunteer_id, day, team_id in rows:
        for key in owners.get(hamlet_id, ()):
            volunteers[key].add(volunteer_id)
            days[key].add((volunteer_id, day))
            if team_id is not None:
                teams[key].add(team_id)
                active[key].add(hamlet_id)
    hamlets = dict.fromkeys(volunteers, 0)
    for owned in owners.values():
        for key in owned:
            hamlets[key] += 1
    return {
        k: ForceFigures(
            teams=len(teams[k]),
            volunteers=len(volunteers[k]),
            volunteer_days=len(days[k]),
            hamlets_active=len(active[k]),
            hamlets=hamlets[k],
        )
        for k in volunteers
    }


def _coverage_for(
    session: Session,
    root: AdminUnit,
    units: list[AdminUnit],
    campaign: Campaign | None,
    skills: list[LabelOut],
    milestones: list[LabelOut],
    with_forces: bool = True,
) -> list[CoverageFigures]:
    """Figures for each unit (all inside `root`), from its aggregate rows (three primary-key lookups
    in all), and the forces deployed from one GROUP BY over the visits inside `root`."""
    ids = [u.id for u in units]
    campaign_id = campaign.id if campaign is not None else ALL_TIME
    assert campaign_id is not None
    coverage: dict[tuple[int, int], UnitCoverage] = {
        (r.unit_id, r.campaign_id): r
        for r in rollup.rows(session, UnitCoverage, ids, col(UnitCoverage.campaign_id).in_({ALL_TIME, campaign_id}))
    }
    skill_rows: dict[int, dict[str, UnitSkill]] = {}
    for r in rollup.rows(session, UnitSkill, ids, UnitSkill.campaign_id == campaign_id):
        skill_rows.setdefault(r.unit_id, {})[r.skill_id] = r
    milestone_rows: dict[int, dict[str, int]] = {}
    for m in rollup.rows(session, UnitMilestone, ids, UnitMilestone.campaign_id == campaign_id):
        milestone_rows.setdefault(m.unit_id, {})[m.milestone_id] = m.people
    threshold = threshold_of(campaign)
    totals = denominators(session, units, campaign, {k[0]: r for k, r in coverage.items() if k[1] == ALL_TIME})
    forces = forces_for(session, root, units, campaign) if with_forces else None
    out = []
    for unit in units:
        assert unit.id is not None
        households, people = totals[unit.id]
        row = coverage.get((unit.id, campaign_id))
        counts = {name: getattr(row, name) for name in COVERAGE_COUNTERS} if row is not None else {}
        out.append(
            _figures(
                unit,
                threshold,
                counts,
                households=households,
                people=people,
                skills=skills,
                skill_rows=skill_rows.get(unit.id, {}),
                milestones=milestones,
                milestone_rows=milestone_rows.get(unit.id, {}),
                forces=forces[unit.id] if forces is not None else None,
            )
        )
    return out


def coverage(
    session: Session, *, scope: Scope, unit_id: int | None, campaign_id: int = ALL_TIME, with_forces: bool = False
) -> CoverageOut:
    """The unit's totals and one row per child unit (its districts, communes or hamlets). The forces
    deployed come from a GROUP BY over the unit's visits (no aggregate row): only when asked, as the
    reports sent upward do, so the dashboard's roll-up stays a read of aggregate rows."""
    unit, campaign = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id)
    above, children = family(session, unit)
    skills, milestones = catalogue(session, scope, unit)
    figures = _coverage_for(session, unit, [unit, *children], campaign, skills, milestones, with_forces)
    threshold = threshold_of(campaign)
    totals = figures[0]
    return CoverageOut(
        unit=unit_ref(unit),
        ancestors=[unit_ref(u) for u in above],
        campaign=_campaign_ref(campaign),
        covered_threshold=threshold,
        target=Target(
            households=totals.households,
            covered_threshold=threshold,
            people_proficient_all=totals.households * threshold,
        ),
        skills=skills,
        milestones=milestones,
        totals=totals,
        child_level=children[0].level if children else None,
        children=figures[1:],
        generated_at=utcnow(),
    )


def commune_figures(
    session: Session, *, scope: Scope, unit_id: int, campaign_id: int = ALL_TIME
) -> list[tuple[UnitRef | None, CoverageFigures]]:
    """Every commune inside a district or province, zeros included, each with its district (None when
    the commune sits right under the unit), ordered by district code then commune code."""
    unit, campaign = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id)
    rows = session.exec(
        select(AdminUnit).where(AdminUnit.level == "commune", col(AdminUnit.path).startswith(unit.path))
    ).all()
    parents = {
        u.id: u
        for u in session.exec(
            select(AdminUnit).where(col(AdminUnit.id).in_({c.parent_id for c in rows}), AdminUnit.id != unit.id)
        ).all()
    }
    rows = sorted(rows, key=lambda c: (p.code if (p := parents.get(c.parent_id)) else "", c.code, c.name))
    skills, milestones = catalogue(session, scope, unit)
    figures = _coverage_for(session, unit, list(rows), campaign, skills, milestones)
    return [(unit_ref(p) if (p := parents.get(c.parent_id)) else None, f) for c, f in zip(rows, figures, strict=True)]


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def progress(session: Session, *, scope: Scope, unit_id: int | None, campaign_id: int = ALL_TIME) -> ProgressOut:
    """One row per day of the campaign (all time: from the first to the last active day), per day and
    cumulative. Each household is counted on the day it was first visited / first covered."""
    unit, campaign = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id)
    assert unit.id is not None
    scope_id = campaign.id if campaign is not None else ALL_TIME
    threshold = threshold_of(campaign)
    base = next(iter(rollup.rows(session, UnitCoverage, [unit.id], UnitCoverage.campaign_id == ALL_TIME)), None)
    households, _ = denominators(session, [unit], campaign, {unit.id: base} if base else {})[unit.id]
    rows = {r.day: r for r in rollup.rows(session, UnitDaily, [unit.id], UnitDaily.campaign_id == scope_id)}
    if campaign is not None:
        first, last = campaign.starts_on, campaign.ends_on
    elif rows:
        first, last = min(rows), max(rows)
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
    else:
        first, last = date.today(), date.today() - timedelta(days=1)  # no days
    # Days before the window (a long all-time history) still count towards the running totals.
    running = {"visits": 0, "households_visited": 0, "covered": 0, "people_proficient_all": 0}
    days: list[DayFigures] = []

    def add(r: UnitDaily) -> tuple[int, int, int, int]:
        covered = r.households_covered_2 if threshold == 2 else r.households_covered_1
        running["visits"] += r.visits
        running["households_visited"] += r.households_visited
        running["covered"] += covered
        running["people_proficient_all"] += r.people_proficient_all
        return r.visits, r.households_visited, covered, r.people_proficient_all

    for day in sorted(d for d in rows if d < first):
        add(rows[day])
    for day in _days(first, last):
        r = rows.get(day)
        visits, visited, covered, proficient = add(r) if r is not None else (0, 0, 0, 0)
        days.append(
            DayFigures(
                day=day,
                visits=visits,
                households_visited=visited,
                households_covered=covered,
                people_proficient_all=proficient,
                cumulative_visits=running["visits"],
                cumulative_households_visited=running["households_visited"],
                cumulative_households_covered=running["covered"],
                cumulative_people_proficient_all=running["people_proficient_all"],
                cumulative_visited_pct=pct(running["households_visited"], households),
                cumulative_covered_pct=pct(running["covered"], households),
            )
        )
    return ProgressOut(
        unit=unit_ref(unit),
        ancestors=[unit_ref(u) for u in family(session, unit)[0]],
        campaign=_campaign_ref(campaign),
        covered_threshold=threshold,
        households=households,
        days=days,
        generated_at=utcnow(),
    )


def _reason(threshold: int) -> Any:
    """Why a household still needs a call; NULL when it needs none (covered, or moved away).

    not_visited: no visit counted for the campaign yet; not_home / declined: the latest visit's
    outcome; not_covered: someone was met but fewer than the threshold are proficient in all five.
    """
    covered = HouseholdStatus.covered_2_on if threshold == 2 else HouseholdStatus.covered_1_on
    return case(
        (func.coalesce(HouseholdStatus.visits, 0) == 0, "not_visited"),
        (col(covered).is_not(None), None),
        (col(HouseholdStatus.last_outcome) == "not_home", "not_home"),
        (col(HouseholdStatus.last_outcome) == "declined", "declined"),
        (col(HouseholdStatus.visited_on).is_not(None), "not_covered"),
        else_=None,
    )


def to_visit_item(h: Household, s: HouseholdStatus | None, hamlet: AdminUnit, reason: str) -> ToVisitItem:
    """One household still to visit, with the reason."""
    return ToVisitItem(
        household_id=str(h.id),
        hamlet=unit_ref(hamlet),
        # Withdrawn consent or erased: still to visit and counted, never named (app/privacy/).
        head_name=hidden(h) or h.head_name,
        address="" if hidden(h) else h.address,
        member_count=h.member_count,
        reason=reason,
        visits=s.visits if s else 0,
        last_outcome=s.last_outcome if s else None,
        last_visit_at=s.last_visit_at if s else None,
        proficient_people=s.proficient_people if s else 0,
    )


def to_visit(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None,
    campaign_id: int = ALL_TIME,
    reason: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
    hamlet_ids: list[int] | None = None,
) -> ToVisitOut:
    """Households still to visit or to revisit inside the unit, hamlet by hamlet, with the reason.
    `hamlet_ids`: the hamlets a 2025 unit contains (`app.reports.schemes`), in place of the unit's path.

    This lists personal data (head of household, address): scoped like everything else.
    """
    unit, campaign = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id)
    threshold = threshold_of(campaign)
    scope_id = campaign.id if campaign is not None else ALL_TIME
    reason_expr = _reason(threshold)
    why = reason_expr.label("reason")

    def joined(stmt: Any) -> Any:
        return (
            stmt.select_from(Household)
            .join(AdminUnit, col(AdminUnit.id) == Household.hamlet_id)
            .join(
                HouseholdStatus,
                (col(HouseholdStatus.household_id) == Household.id) & (col(HouseholdStatus.campaign_id) == scope_id),
                isouter=True,
            )
            .where(
                col(Household.deleted_at).is_(None),
                col(AdminUnit.path).startswith(unit.path)
                if hamlet_ids is None
                else col(Household.hamlet_id).in_(hamlet_ids),
            )
        )

    counts = {
        r: int(n)
        for r, n in session.execute(joined(select(why, func.count())).group_by(reason_expr)).all()
        if r is not None
    }
    total = sum(counts.values()) if reason is None else counts.get(reason, 0)
    stmt = joined(select(Household, HouseholdStatus, AdminUnit, why)).where(
        reason_expr.is_not(None) if reason is None else (reason_expr == reason)
    )
    stmt = stmt.order_by(AdminUnit.code, Household.address, Household.head_name, Household.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    items = [to_visit_item(h, s, hamlet, r) for h, s, hamlet, r in rows]
    return ToVisitOut(
        unit=unit_ref(unit),
        campaign=_campaign_ref(campaign),
        covered_threshold=threshold,
        counts=counts,
        items=items,
        total=total,
        limit=limit if limit is not None else total,
        offset=offset,
    )


def log_export(
    session: Session,
    *,
    actor: User,
    kind: str,
    file_format: str,
    unit_id: int,
    campaign_id: int,
    row_count: int,
    personal_data: bool,
) -> ExportLog:
    """Record an export in the request's own transaction: no file leaves without its log row."""
    assert actor.id is not None
    entry = ExportLog(
        user_id=actor.id,
        kind=kind,
        file_format=file_format,
        unit_id=unit_id,
        campaign_id=campaign_id or None,
        row_count=row_count,
        personal_data=personal_data,
    )
    session.add(entry)
    session.flush()
    return entry


# A to-visit list longer than this is for a smaller unit (xlsx stops at 1,048,576 rows anyway).
MAX_EXPORT_ROWS = 300_000
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ExportTooLarge(Invalid):
    code = "export_too_large"
    message_vi = "Danh sách quá dài để xuất một lần. Hãy chọn đơn vị nhỏ hơn (xã hoặc thôn/ấp)."
    message_en = "The list is too long to export at once. Choose a smaller unit (commune or hamlet)."


@dataclass
class ExportFile:
    content: bytes
    filename: str
    ascii_filename: str
    media_type: str
    rows: int


def export(
    session: Session,
    *,
    actor: User,
    scope: Scope,
    kind: str,
    file_format: str,
    unit_id: int | None,
    campaign_id: int = ALL_TIME,
    reason: str | None = None,
    recipient: str | None = None,
    scheme: str | None = None,
) -> ExportFile:
    """Build a report file (kind: coverage | progress | to_visit) and log it in the same transaction.
    `recipient` overrides the "Kính gửi" line of an xlsx report (default: the unit above); `scheme` picks
    the tree of units (`app.reports.schemes`)."""
    from app.reports import schemes  # it builds on this module

    content: bytes
    campaign: CampaignRef | None
    if kind == "coverage":
        report = schemes.coverage(
            session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, with_forces=True, scheme=scheme
        )
        if file_format == "xlsx":
            daily = schemes.progress(
                session, scope=scope, unit_id=report.unit.id, campaign_id=campaign_id, scheme=scheme
            )
            communes = None
            if report.unit.level in ("province", "district"):
                communes = schemes.commune_figures(
                    session, scope=scope, unit_id=report.unit.id, campaign_id=campaign_id, scheme=scheme
                )
            content, rows = exports.coverage_xlsx(report, daily, communes, recipient)
        else:
            content, rows = exports.coverage_csv(report)
        unit, campaign = report.unit, report.campaign
    elif kind == "progress":
        daily = schemes.progress(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)
        if file_format == "xlsx":
            content, rows = exports.progress_xlsx(daily, recipient)
        else:
            content, rows = exports.progress_csv(daily)
        unit, campaign = daily.unit, daily.campaign
    else:
        head = schemes.to_visit(
            session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, reason=reason, limit=0, scheme=scheme
        )
        if head.total > MAX_EXPORT_ROWS:
            raise ExportTooLarge(details={"rows": head.total, "max_rows": MAX_EXPORT_ROWS})
        listing = schemes.to_visit(
            session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, reason=reason, limit=None, scheme=scheme
        )
        content, rows = exports.to_visit_xlsx(listing) if file_format == "xlsx" else exports.to_visit_csv(listing)
        unit, campaign = listing.unit, listing.campaign
    log_export(
        session,
        actor=actor,
        kind=kind,
        file_format=file_format,
        unit_id=unit.id,
        campaign_id=campaign_id,
        row_count=rows,
        personal_data=kind == "to_visit",
    )
    ascii_name, name = exports.filenames(kind, unit.name, campaign, file_format)
    return ExportFile(
        content=content,
        filename=name,
        ascii_filename=ascii_name,
        media_type=MEDIA_TYPES[file_format],
        rows=rows,
    )
