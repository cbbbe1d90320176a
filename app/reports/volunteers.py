"""The team leader's day: who in the team did what, and which households are left.

The area is a set of path prefixes: the hamlets (or communes) of the teams a team leader leads, or an
official's unit (narrowed to one team when asked). Every figure is read from raw rows inside it in a
few GROUP BYs, each bounded by the area's hamlets: a team is a few hundred households, and a commune's
volunteers a few thousand visits.

Visits counted for a campaign are those the derived figures count (DESIGN §6): made for the campaign,
on a local day inside its window, and not waiting for review (a flagged visit counts nowhere until
confirmed; it waits in "Cần xử lý" instead). All time (campaign 0): every counted visit.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, exists, false, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from app.auth.scope import OFFICIAL_ROLES, Scope
from app.errors import Forbidden, OutsideYourArea
from app.models import (
    ALL_TIME,
    AdminUnit,
    Campaign,
    Household,
    HouseholdStatus,
    Person,
    Skill,
    SyncClient,
    SyncRejection,
    Team,
    TeamMember,
    User,
    Visit,
    VisitSkill,
)
from app.models.base import utcnow
from app.models.visits import PROFICIENT
from app.reports.schemas import TO_VISIT_REASONS
from app.reports.service import (
    CampaignNotFound,
    UnitNotFound,
    _campaign_ref,
    _reason,
    path_ids,
    pct,
    resolve,
    threshold_of,
    to_visit_item,
    unit_ref,
)
from app.reports.volunteer_schemas import (
    AreaTotals,
    AttentionFigures,
    HouseholdsLeft,
    TeamRef,
    VolunteerFigures,
    VolunteersOut,
)
from app.visits.service import local_day

REPORT_ROLES = ("team_leader", *OFFICIAL_ROLES, "admin")
LEADING = ("leader", "deputy")
TEAM_ROLE_ORDER = {"leader": 0, "deputy": 1, "member": 2}
PENDING = "pending"  # app.visits.plausibility: a flagged visit waiting for review


def _intersect(prefixes: list[str], path: str) -> list[str]:
    """The parts of the area (path prefixes) inside the unit at `path`."""
    out = []
    for p in prefixes:
        if path.startswith(p):
            out.append(path)
        elif p.startswith(path):
            out.append(p)
    return sorted(set(out))


def _area_hamlets(prefixes: list[str]) -> Any:
    """SELECT of the ids of the hamlets inside the area."""
    inside = or_(*[col(AdminUnit.path).startswith(p) for p in prefixes]) if prefixes else false()
    return select(AdminUnit.id).where(AdminUnit.level == "hamlet", inside)


def _led_teams(session: Session, user_id: int) -> list[tuple[Team, AdminUnit]]:
    rows = session.exec(
        select(Team, AdminUnit)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(TeamMember.user_id == user_id, col(TeamMember.role).in_(LEADING))
        .order_by(col(Team.name), col(Team.id))
    ).all()
    return [(t, u) for t, u in rows]


def _teams_touching(session: Session, scope: Scope, prefixes: list[str]) -> list[tuple[Team, AdminUnit]]:
    """Teams inside the area, or covering part of it (a commune's team seen from one of its hamlets),
    that the caller may manage."""
    if not prefixes:
        return []
    inside = or_(*[col(AdminUnit.path).startswith(p) for p in prefixes])
    above = sorted({i for p in prefixes for i in path_ids(p)})
    rows = session.exec(
        select(Team, AdminUnit)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(or_(inside, col(AdminUnit.id).in_(above)))
        .order_by(col(Team.name), col(Team.id))
    ).all()
    return [(t, u) for t, u in rows if scope.can_manage_unit(u)]


def _area(
    session: Session, scope: Scope, unit_id: int | None, team_id: int | None
) -> tuple[AdminUnit | None, list[tuple[Team, AdminUnit]], list[str]]:
    """(the unit shown, the teams, the area's path prefixes) for the caller, or a refusal."""
    user = scope.user
    if user.role not in REPORT_ROLES:
        raise Forbidden()
    unit: AdminUnit | None = None
    if user.role == "team_leader":
        assert user.id is not None
        teams = _led_teams(session, user.id)
        if team_id is not None:
            teams = [(t, u) for t, u in teams if t.id == team_id]
            if not teams:
                raise OutsideYourArea(details={"team_id": team_id})
        prefixes = sorted({u.path for _, u in teams})
        if unit_id is not None:
            unit = session.get(AdminUnit, unit_id)
            if unit is None:
                raise UnitNotFound(details={"unit_id": unit_id})
            prefixes = _intersect(prefixes, unit.path)
            if not prefixes:
                raise OutsideYourArea(details={"unit_id": unit_id})
            teams = [(t, u) for t, u in teams if _intersect([u.path], unit.path)]
        return unit, teams, prefixes
    unit, _ = resolve(session, scope=scope, unit_id=unit_id, campaign_id=ALL_TIME)
    prefixes = [unit.path]
    if team_id is not None:
        team = session.get(Team, team_id)
        team_unit = session.get(AdminUnit, team.unit_id) if team is not None else None
        if team is None or team_unit is None or not scope.can_manage_unit(team_unit):
            raise OutsideYourArea(details={"team_id": team_id})
        prefixes = _intersect(prefixes, team_unit.path)
        if not prefixes:
            raise OutsideYourArea(details={"team_id": team_id})
        return unit, [(team, team_unit)], prefixes
    return unit, _teams_touching(session, scope, prefixes), prefixes


def _counted(campaign: Campaign | None) -> list[ColumnElement[bool]]:
    """The visits the figures count: not waiting for review, and for the campaign inside its window."""
    out: list[ColumnElement[bool]] = [func.coalesce(col(Visit.review), "") != PENDING]
    if campaign is not None:
        out += [
            col(Visit.campaign_id) == campaign.id,
            col(Visit.visited_on) >= campaign.starts_on,
            col(Visit.visited_on) <= campaign.ends_on,
        ]
    return out


def _visit_figures(
    session: Session, hamlets: Any, campaign: Campaign | None, day: date
) -> dict[int, tuple[int, int, int, int, Any]]:
    """Per volunteer: (visits on `day`, visits, households met, days active, last visit)."""
    rows = session.execute(
        sa_select(
            col(Visit.volunteer_id),
            func.sum(case((col(Visit.visited_on) == day, 1), else_=0)),
            func.count(),
            func.count(func.distinct(case((col(Visit.outcome) == "met", col(Visit.household_id)), else_=None))),
            func.count(func.distinct(col(Visit.visited_on))),
            func.max(col(Visit.visited_at)),
        )
        .where(col(Visit.hamlet_id).in_(hamlets), *_counted(campaign))
        .group_by(col(Visit.volunteer_id))
    ).all()
    return {v: (int(today or 0), int(n), int(met), int(days), last) for v, today, n, met, days, last in rows}


def _people_proficient(session: Session, hamlets: Any, campaign: Campaign | None) -> dict[int, int]:
    """Per volunteer: people (not deleted) their own counted visits show proficient in every skill."""
    skills = session.exec(select(func.count()).select_from(Skill)).one()
    pairs = (
        select(col(Visit.volunteer_id).label("volunteer_id"), col(VisitSkill.person_id).label("person_id"))
        .join(Visit, col(Visit.id) == VisitSkill.visit_id)
        .join(Person, col(Person.id) == VisitSkill.person_id)
        .where(
            col(Visit.hamlet_id).in_(hamlets),
            col(VisitSkill.level) >= PROFICIENT,
            col(Person.deleted_at).is_(None),
            *_counted(campaign),
        )
        .group_by(col(Visit.volunteer_id), col(VisitSkill.person_id))
        .having(func.count(func.distinct(col(VisitSkill.skill_id))) >= skills)
        .subquery()
    )
    rows = session.execute(select(pairs.c.volunteer_id, func.count()).group_by(pairs.c.volunteer_id)).all()
    return {int(v): int(n) for v, n in rows}


def _last_sync(session: Session, user_ids: list[int]) -> dict[int, Any]:
    rows = session.exec(
        select(col(SyncClient.user_id), func.max(col(SyncClient.last_push_at)))
        .where(col(SyncClient.user_id).in_(user_ids))
        .group_by(col(SyncClient.user_id))
    ).all()
    return dict(rows)


def _rejections_waiting(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Stored sync rejections of each user's phones whose record was not written after the refusal
    (a fix resent under a new seq writes it). A rejection the volunteer discarded on the phone is not
    known to the server and still counts: the team leader can ask about it."""
    written_after = or_(
        exists().where(col(Visit.id) == SyncRejection.record_id, col(Visit.received_at) > SyncRejection.created_at),
        exists().where(
            col(Household.id) == SyncRejection.record_id, col(Household.updated_at) > SyncRejection.created_at
        ),
        exists().where(col(Person.id) == SyncRejection.record_id, col(Person.updated_at) > SyncRejection.created_at),
    )
    rows = session.exec(
        select(col(SyncClient.user_id), func.count())
        .select_from(SyncRejection)
        .join(SyncClient, col(SyncClient.client_id) == SyncRejection.client_id)
        .where(col(SyncClient.user_id).in_(user_ids), ~written_after)
        .group_by(col(SyncClient.user_id))
    ).all()
    return {int(u): int(n) for u, n in rows}


def _flagged(session: Session, hamlets: Any) -> dict[int, int]:
    rows = session.exec(
        select(col(Visit.volunteer_id), func.count())
        .where(col(Visit.hamlet_id).in_(hamlets), Visit.review == PENDING)
        .group_by(col(Visit.volunteer_id))
    ).all()
    return {int(v): int(n) for v, n in rows}


def _households_left(
    session: Session,
    hamlets: Any,
    campaign: Campaign | None,
    reason: str | None,
    limit: int,
    offset: int,
) -> tuple[HouseholdsLeft, tuple[int, int, int]]:
    """The list (the same reasons as reports/to-visit) and (households, visited, covered) of the area."""
    threshold = threshold_of(campaign)
    scope_id = campaign.id if campaign is not None else ALL_TIME
    reason_expr = _reason(threshold)
    covered_on = HouseholdStatus.covered_2_on if threshold == 2 else HouseholdStatus.covered_1_on

    def joined(stmt: Any) -> Any:
        return (
            stmt.select_from(Household)
            .join(
                HouseholdStatus,
                (col(HouseholdStatus.household_id) == Household.id) & (col(HouseholdStatus.campaign_id) == scope_id),
                isouter=True,
            )
            .where(col(Household.deleted_at).is_(None), col(Household.hamlet_id).in_(hamlets))
        )

    grouped = session.execute(
        joined(
            select(
                reason_expr.label("reason"),
                func.count(),
                func.count(col(HouseholdStatus.visited_on)),
                func.count(col(covered_on)),
            )
        ).group_by(reason_expr)
    ).all()
    counts = dict.fromkeys(TO_VISIT_REASONS, 0)
    households = visited = covered = 0
    for why, n, n_visited, n_covered in grouped:
        households += int(n)
        visited += int(n_visited)
        covered += int(n_covered)
        if why is not None:
            counts[why] = int(n)
    total = sum(counts.values()) if reason is None else counts.get(reason, 0)
    stmt = joined(select(Household, HouseholdStatus, AdminUnit, reason_expr.label("reason")))
    stmt = stmt.join(AdminUnit, col(AdminUnit.id) == Household.hamlet_id).where(
        reason_expr.is_not(None) if reason is None else (reason_expr == reason)
    )
    stmt = stmt.order_by(AdminUnit.code, Household.address, Household.head_name, Household.id)
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    items = [to_visit_item(h, s, hamlet, why) for h, s, hamlet, why in rows]
    left = HouseholdsLeft(counts=counts, items=items, total=total, limit=limit, offset=offset)
    return left, (households, visited, covered)


def volunteers(
    session: Session,
    *,
    scope: Scope,
    campaign_id: int,
    unit_id: int | None = None,
    team_id: int | None = None,
    day: date | None = None,
    reason: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> VolunteersOut:
    """One row per volunteer of the area (the teams' members, and anyone with a visit there), the area
    against the target, and its households left (paginated). `day` is "today" (Vietnam) unless given."""
    unit, teams, prefixes = _area(session, scope, unit_id, team_id)
    campaign = None
    if campaign_id != ALL_TIME:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignNotFound(details={"campaign_id": campaign_id})
    day = day or local_day(utcnow())
    hamlets = _area_hamlets(prefixes)

    figures = _visit_figures(session, hamlets, campaign, day)
    flagged = _flagged(session, hamlets)
    team_ids = [t.id for t, _ in teams]
    members: dict[int, list[tuple[int, str]]] = {}
    if team_ids:
        for m in session.exec(select(TeamMember).where(col(TeamMember.team_id).in_(team_ids))).all():
            members.setdefault(m.user_id, []).append((m.team_id, m.role))
    user_ids = sorted(set(members) | set(figures) | set(flagged))
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()} if user_ids else {}
    proficient = _people_proficient(session, hamlets, campaign) if user_ids else {}
    synced = _last_sync(session, user_ids) if user_ids else {}
    rejected = _rejections_waiting(session, user_ids) if user_ids else {}

    rows: list[VolunteerFigures] = []
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None:
            continue
        today, visits, met, days, last = figures.get(user_id, (0, 0, 0, 0, None))
        roles = sorted((r for _, r in members.get(user_id, [])), key=lambda r: TEAM_ROLE_ORDER.get(r, 9))
        attention = AttentionFigures(
            rejected=rejected.get(user_id, 0),
            flagged=flagged.get(user_id, 0),
            total=rejected.get(user_id, 0) + flagged.get(user_id, 0),
        )
        rows.append(
            VolunteerFigures(
                user_id=user_id,
                full_name=user.full_name,
                phone=user.phone,
                role=user.role,
                team_role=roles[0] if roles else None,
                team_ids=sorted(t for t, _ in members.get(user_id, [])),
                visits_today=today,
                visits=visits,
                households_met=met,
                people_proficient=proficient.get(user_id, 0),
                days_active=days,
                last_visit_at=last,
                last_sync_at=synced.get(user_id),
                attention=attention,
            )
        )
    # The team's people first (leader, deputy, members), then others who worked there; by name within.
    rows.sort(key=lambda r: (TEAM_ROLE_ORDER.get(r.team_role or "", 9), r.full_name, r.user_id))

    left, (households, visited, covered) = _households_left(session, hamlets, campaign, reason, limit, offset)
    hamlet_count = session.exec(select(func.count()).select_from(hamlets.subquery())).one()
    return VolunteersOut(
        campaign=_campaign_ref(campaign),
        covered_threshold=threshold_of(campaign),
        day=day,
        unit=unit_ref(unit) if unit is not None else None,
        teams=[TeamRef(id=t.id or 0, name=t.name, unit=unit_ref(u)) for t, u in teams],
        totals=AreaTotals(
            hamlets=int(hamlet_count),
            households=households,
            households_visited=visited,
            visited_pct=pct(visited, households),
            households_covered=covered,
            covered_pct=pct(covered, households),
            households_left=sum(left.counts.values()),
        ),
        volunteers=rows,
        households_left=left,
        generated_at=utcnow(),
    )
