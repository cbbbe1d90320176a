"""Recording a visit: the one path used by `POST /visits` and the sync `visit.create` mutation.

In the caller's transaction: the visit and its per-person levels and milestones are stored, each
person's derived levels, the household status and the report aggregates follow. The same visit id
with the same content is a no-op (`duplicate`); with other content it is refused (`id_reused`).
"""

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import AppError, Invalid
from app.households import service as households
from app.models import (
    AdminUnit,
    Campaign,
    CampaignUnit,
    Household,
    Milestone,
    Person,
    Team,
    TeamMember,
    User,
    Visit,
    VisitMilestone,
    VisitSkill,
)
from app.models.base import table_of, utcnow
from app.models.visits import LEVELS
from app.visits import aggregates, derived, plausibility
from app.visits.schemas import VisitIn

VIETNAM = timezone(timedelta(hours=7))
EARLIEST = datetime(2020, 1, 1, tzinfo=VIETNAM)


class IdReused(AppError):
    status_code = 409
    code = "id_reused"
    message_vi = "Mã lượt thăm này đã được dùng cho một lượt thăm khác."
    message_en = "This visit id was already used for a different visit."


def content_hash(data: VisitIn) -> str:
    payload = data.model_dump(mode="json")
    payload["people"] = sorted(payload["people"], key=lambda p: p["person_id"])
    for p in payload["people"]:
        p["milestones"] = sorted(set(p["milestones"]))
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def local_day(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def _validate(session: Session, data: VisitIn, household_id: uuid.UUID, received_at: datetime) -> None:
    person_ids = [p.person_id for p in data.people]
    known = (
        {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}
        if person_ids
        else {}
    )
    _check(data, household_id, received_at, set(households.skill_ids(session)), _milestone_ids(session), known)


def _milestone_ids(session: Session) -> set[str]:
    return set(session.exec(select(Milestone.id).where(col(Milestone.is_active))).all())


def _check(
    data: VisitIn,
    household_id: uuid.UUID,
    received_at: datetime,
    skills: set[str],
    milestone_ids: set[str],
    known: dict[uuid.UUID, Person],
) -> None:
    # A visit in the future is kept and flagged for review (app.visits.plausibility), never refused.
    if data.visited_at < EARLIEST:
        raise Invalid(
            "Thời gian thăm quá xa trong quá khứ.", "The visit time is too far in the past.", code="visited_at_too_old"
        )
    if data.people and data.outcome != "met":
        raise Invalid(
            "Chỉ ghi kỹ năng khi gặp được người trong hộ.",
            "Skills can only be recorded when someone was met.",
            code="skills_without_meeting",
        )
    person_ids = [p.person_id for p in data.people]
    if len(set(person_ids)) != len(person_ids):
        raise Invalid("Một người được ghi hai lần.", "A person is listed twice.", code="person_listed_twice")
    for p in data.people:
        person = known.get(p.person_id)
        if person is None or person.household_id != household_id or person.deleted_at is not None:
            raise Invalid(
                "Người được ghi không thuộc hộ này.",
                "A person in the visit is not a member of this household.",
                code="person_not_in_household",
                details={"person_id": str(p.person_id)},
            )
        unknown = set(p.skills) - skills
        if unknown:
            raise Invalid("Kỹ năng không tồn tại.", "Unknown skill.", code="unknown_skill", details=sorted(unknown))
        unknown = set(p.milestones) - milestone_ids
        if unknown:
            raise Invalid("Mốc không tồn tại.", "Unknown milestone.", code="unknown_milestone", details=sorted(unknown))


def _campaign_for(session: Session, campaign_id: int | None, hamlet: AdminUnit) -> int | None:
    if campaign_id is None:
        return None
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise Invalid("Chiến dịch không tồn tại.", "Unknown campaign.", code="campaign_not_found")
    # The units taking part, when the campaign lists them; otherwise its whole unit.
    taking_part = session.exec(
        select(AdminUnit.path)
        .join(CampaignUnit, col(CampaignUnit.unit_id) == AdminUnit.id)
        .where(CampaignUnit.campaign_id == campaign_id)
    ).all()
    if not taking_part:
        unit = session.get(AdminUnit, campaign.unit_id)
        taking_part = [unit.path] if unit else []
    if not any(hamlet.path.startswith(path) for path in taking_part):
        raise Invalid(
            "Hộ này không thuộc địa bàn của chiến dịch.",
            "This household is outside the campaign's area.",
            code="outside_campaign",
        )
    return campaign_id


def _team_of(session: Session, user: User, hamlet: AdminUnit) -> int | None:
    rows = session.exec(
        select(Team.id, AdminUnit.path)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(TeamMember.user_id == user.id)
    ).all()
    for team_id, path in rows:
        if hamlet.path.startswith(path):
            return team_id
    return None


def record_visit(
    session: Session, *, actor: User, scope: Scope, data: VisitIn, write_aggregates: bool = True
) -> tuple[Visit, bool]:
    """Store a visit and everything derived from it. Returns (visit, created)."""
    received_at = utcnow()
    digest = content_hash(data)
    existing = session.get(Visit, data.id)
    if existing is not None:
        if existing.content_hash != digest:
            raise IdReused(details={"visit_id": str(data.id)})
        return existing, False
    household = households.get_household(session, scope, data.household_id, for_update=True)
    if household.deleted_at is not None:
        raise households.HouseholdDeleted(details={"household_id": str(household.id)})
    _validate(session, data, household.id, received_at)
    hamlet = session.get(AdminUnit, household.hamlet_id)
    assert hamlet is not None
    assert actor.id is not None
    flags, retro = plausibility.assess(session, actor.id, [(data.id, data.visited_at)], received_at)
    change = households.Recompute(session, household)
    visit = Visit(
        id=data.id,
        household_id=household.id,
        hamlet_id=household.hamlet_id,
        volunteer_id=actor.id,  # type: ignore[arg-type]
        team_id=_team_of(session, actor, hamlet),
        campaign_id=_campaign_for(session, data.campaign_id, hamlet),
        visited_at=data.visited_at,
        visited_on=local_day(data.visited_at),
        received_at=received_at,
        outcome=data.outcome,
        consent_given=data.consent_given,
        consent_notice_version=data.consent_notice_version,
        notes=data.notes,
        content_hash=digest,
        review=plausibility.PENDING if data.id in flags else None,
        review_reason=flags.get(data.id),
    )
    session.add(visit)
    session.flush()
    for p in data.people:
        for skill_id, level in p.skills.items():
            session.add(VisitSkill(visit_id=visit.id, person_id=p.person_id, skill_id=skill_id, level=LEVELS[level]))
        for milestone_id in set(p.milestones):
            session.add(VisitMilestone(visit_id=visit.id, person_id=p.person_id, milestone_id=milestone_id))
    version, changed_people = change.finish()
    visit.version = version
    session.add(visit)
    if changed_people:
        for person in session.exec(select(Person).where(col(Person.id).in_(sorted(changed_people)))).all():
            person.version = version
            session.add(person)
    plausibility.flag_stored(session, retro)
    if write_aggregates:
        aggregates.flush_aggregates(session)
    return visit, True


class _NewVisit(NamedTuple):
    """The columns of a visit the derived state reads, for visits not yet in the database."""

    id: uuid.UUID
    household_id: uuid.UUID
    campaign_id: int | None
    visited_on: date
    received_at: datetime
    visited_at: datetime
    outcome: str
    review: str | None = None


def record_visits(session: Session, *, actor: User, scope: Scope, items: list[VisitIn]) -> list[bool | AppError]:
    """record_visit(write_aggregates=False) for a run of visits from one sync batch.

    One answer per item, in order: True (stored), False (the same visit was already stored) or the
    AppError refusing it, exactly as record_visit would decide, item after item. The accepted ones
    are written together: their households locked in id order, their raw rows read in a few
    queries, visits and skill rows inserted in bulk, derived rows and aggregate deltas computed once
    per household. A database error leaves the caller's savepoint to roll back (nothing is
    half-written) so it can fall back to record_visit one by one."""
    results: list[bool | AppError] = [False] * len(items)
    digests = [content_hash(d) for d in items]
    stored = dict(
        session.exec(select(Visit.id, Visit.content_hash).where(col(Visit.id).in_({d.id for d in items}))).all()
    )
    locked = {
        h.id: h
        for h in session.exec(
            select(Household)
            .where(col(Household.id).in_(sorted({d.household_id for d in items})))
            .order_by(col(Household.id))
            .with_for_update()
        ).all()
    }
    person_ids = {p.person_id for d in items for p in d.people}
    known = (
        {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}
        if person_ids
        else {}
    )
    skills = households.skill_ids(session)
    skill_set, milestone_ids = set(skills), _milestone_ids(session)
    teams: dict[int, int | None] = {}
    # Held here: the session's identity map is weak, and these are asked for at every visit.
    hamlets: dict[int, AdminUnit | None] = {}
    campaigns: dict[tuple[int | None, int], int | AppError | None] = {}
    accepted: dict[uuid.UUID, list[tuple[_NewVisit, VisitIn]]] = {}
    rows: list[dict[str, Any]] = []
    for i, (data, digest) in enumerate(zip(items, digests, strict=True)):
        try:
            if data.id in stored:
                if stored[data.id] != digest:
                    raise IdReused(details={"visit_id": str(data.id)})
                results[i] = False
                continue
            household = locked.get(data.household_id)
            hamlet = None
            if household is not None:
                if household.hamlet_id not in hamlets:
                    hamlets[household.hamlet_id] = session.get(AdminUnit, household.hamlet_id)
                hamlet = hamlets[household.hamlet_id]
            if household is None or hamlet is None or not scope.can_write_hamlet(hamlet.id, hamlet.path):  # type: ignore[arg-type]
                raise households.HouseholdNotFound(details={"household_id": str(data.household_id)})
            if household.deleted_at is not None:
                raise households.HouseholdDeleted(details={"household_id": str(household.id)})
            received_at = utcnow()
            _check(data, household.id, received_at, skill_set, milestone_ids, known)
            key = (data.campaign_id, household.hamlet_id)
            if key not in campaigns:
                try:
                    campaigns[key] = _campaign_for(session, data.campaign_id, hamlet)
                except AppError as exc:
                    campaigns[key] = exc
            found = campaigns[key]
            if isinstance(found, AppError):
                raise found
            campaign_id = found
            if hamlet.id not in teams:
                teams[hamlet.id] = _team_of(session, actor, hamlet)  # type: ignore[index]
        except AppError as exc:
            results[i] = exc
            continue
        visit = _NewVisit(
            data.id, household.id, campaign_id, local_day(data.visited_at), received_at, data.visited_at, data.outcome
        )
        accepted.setdefault(household.id, []).append((visit, data))
        stored[data.id] = digest  # the same id again later in the run: duplicate or id_reused
        results[i] = True
        rows.append(
            {
                "id": data.id,
                "household_id": household.id,
                "hamlet_id": household.hamlet_id,
                "volunteer_id": actor.id,
                "team_id": teams[hamlet.id],  # type: ignore[index]
                "campaign_id": campaign_id,
                "visited_at": data.visited_at,
                "visited_on": visit.visited_on,
                "received_at": received_at,
                "outcome": data.outcome,
                "consent_given": data.consent_given,
                "consent_notice_version": data.consent_notice_version,
                "notes": data.notes,
                "content_hash": digest,
            }
        )
    if accepted:
        assert actor.id is not None
        new = [(v.id, v.visited_at) for run in accepted.values() for v, _ in run]
        flags, retro = plausibility.assess(session, actor.id, new, max(r["received_at"] for r in rows))
        if flags:
            for household_id, run in accepted.items():
                accepted[household_id] = [
                    (v._replace(review=plausibility.PENDING) if v.id in flags else v, d) for v, d in run
                ]
        for row in rows:
            row["review"] = plausibility.PENDING if row["id"] in flags else None
            row["review_reason"] = flags.get(row["id"])
        _write_accepted(session, [locked[h] for h in accepted], accepted, rows, skills)
        plausibility.flag_stored(session, retro)
    return results


def _write_accepted(
    session: Session,
    touched: list[Household],
    accepted: dict[uuid.UUID, list[tuple["_NewVisit", VisitIn]]],
    rows: list[dict[str, Any]],
    skills: list[str],
) -> None:
    raw = derived.load_raw_rows(session, touched)
    campaigns = {v.campaign_id for r in raw.values() for v in r.visits if v.campaign_id}
    campaigns |= {v.campaign_id for new in accepted.values() for v, _ in new if v.campaign_id}
    windows = derived.campaign_windows(session, campaigns)
    before = {h.id: derived.contribution(derived.state_from_rows(h, raw[h.id], windows), skills) for h in touched}
    versions = {h.id: households.bump_area_version(session, h.hamlet_id) for h in touched}
    skill_rows: list[dict[str, Any]] = []
    milestone_rows: list[dict[str, Any]] = []
    for h in touched:
        for visit, data in accepted[h.id]:
            raw[h.id].visits.append(visit)
            for p in data.people:
                for skill_id, level in p.skills.items():
                    skill_rows.append(
                        {"visit_id": visit.id, "person_id": p.person_id, "skill_id": skill_id, "level": LEVELS[level]}
                    )
                    raw[h.id].skills.append((visit.id, p.person_id, skill_id, LEVELS[level]))
                for milestone_id in set(p.milestones):
                    milestone_rows.append(
                        {"visit_id": visit.id, "person_id": p.person_id, "milestone_id": milestone_id}
                    )
                    raw[h.id].milestones.append((visit.id, p.person_id, milestone_id))
    for row in rows:
        row["version"] = versions[row["household_id"]]
    session.execute(insert(table_of(Visit)), rows)
    if skill_rows:
        session.execute(insert(table_of(VisitSkill)), skill_rows)
    if milestone_rows:
        session.execute(insert(table_of(VisitMilestone)), milestone_rows)
    states = [(h, derived.state_from_rows(h, raw[h.id], windows), versions[h.id]) for h in touched]
    for h, state, _ in states:
        after = derived.contribution(state, skills)
        after.subtract(before[h.id])
        hamlet = session.get(AdminUnit, h.hamlet_id)
        assert hamlet is not None
        aggregates.add_delta(session, aggregates.unit_chain(hamlet.path), after)
    changed = derived.write_derived_many(session, states, skills)
    by_version: dict[int, list[uuid.UUID]] = {}
    for h, state, version in states:
        people = {pid for st in state.scopes.values() for pid in st.people} | raw[h.id].live_people
        by_version.setdefault(version, []).extend(sorted(changed & people))
    for version, ids in by_version.items():
        if ids:
            session.execute(update(Person).where(col(Person.id).in_(ids)).values(version=version))
