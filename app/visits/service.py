"""Recording visits: checks, then `app.coverage.ingest`, for `POST /visits`, the sync `visit.create`
mutation, an imported outbox and the demo seed.

In the caller's transaction: the visit and its per-person levels and milestones are stored, each
person's derived levels, the household status and the report aggregates follow. The same visit id
with the same content is a no-op (`duplicate`); with other content it is refused (`id_reused`).
"""

import hashlib
import json
import uuid
from datetime import date, datetime, timedelta, timezone

from sqlmodel import Session, col, select

from app import coverage
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
)
from app.models.base import utcnow
from app.models.visits import LEVELS
from app.visits import plausibility
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
    _check(data, household_id, received_at, set(coverage.skill_ids(session)), _milestone_ids(session), known)


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


def record_visit(session: Session, *, actor: User, scope: Scope, data: VisitIn) -> tuple[Visit, bool]:
    """Store a visit and everything derived from it (a batch of one). Returns (visit, created)."""
    (outcome,) = record_visits(session, actor=actor, scope=scope, items=[data])
    if isinstance(outcome, AppError):
        raise outcome
    visit = session.get(Visit, data.id)
    assert visit is not None
    return visit, outcome


def record_visits(session: Session, *, actor: User, scope: Scope, items: list[VisitIn]) -> list[bool | AppError]:
    """Store a batch of visits (one sync push's run, an outbox, the demo seed) through the coverage
    write path.

    One answer per item, in order: True (stored), False (the same visit was already stored) or the
    AppError refusing it, as if the items were recorded one after the other. The accepted ones go
    to `coverage.ingest` together. A database error leaves the caller's savepoint to roll back
    (nothing is half-written)."""
    results: list[bool | AppError] = [False] * len(items)
    if not items:
        return results
    digests = [content_hash(d) for d in items]
    stored = dict(
        session.exec(select(Visit.id, Visit.content_hash).where(col(Visit.id).in_({d.id for d in items}))).all()
    )
    found = {
        h.id: h
        for h in session.exec(
            select(Household).where(col(Household.id).in_(sorted({d.household_id for d in items})))
        ).all()
    }
    hamlets: dict[int, AdminUnit | None] = {}
    for h in found.values():
        if h.hamlet_id not in hamlets:
            hamlets[h.hamlet_id] = session.get(AdminUnit, h.hamlet_id)
    # The hamlets' versions, then the households, in id order (as every writer takes them).
    versions = coverage.lock(
        session,
        {h.hamlet_id for h in found.values() if hamlets.get(h.hamlet_id) is not None},
        set(found),
    )
    if found:  # read again: deleted or moved while we waited for the lock
        found = {
            h.id: h
            for h in session.exec(
                select(Household).where(col(Household.id).in_(sorted(found))).execution_options(populate_existing=True)
            ).all()
        }
        moved = {h.hamlet_id for h in found.values()} - set(versions)
        if moved:  # moved to another hamlet meanwhile: its version too
            versions.update(coverage.lock(session, moved, set()))
    person_ids = {p.person_id for d in items for p in d.people}
    known = (
        {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}
        if person_ids
        else {}
    )
    skill_set, milestone_ids = set(coverage.skill_ids(session)), _milestone_ids(session)
    teams: dict[int, int | None] = {}
    campaigns: dict[tuple[int | None, int], int | AppError | None] = {}
    accepted: list[coverage.NewVisit] = []
    for i, (data, digest) in enumerate(zip(items, digests, strict=True)):
        try:
            if data.id in stored:
                if stored[data.id] != digest:
                    raise IdReused(details={"visit_id": str(data.id)})
                results[i] = False
                continue
            household = found.get(data.household_id)
            hamlet = None
            if household is not None:
                if household.hamlet_id not in hamlets:
                    hamlets[household.hamlet_id] = session.get(AdminUnit, household.hamlet_id)
                hamlet = hamlets[household.hamlet_id]
            if household is None or hamlet is None or not scope.can_write_hamlet(hamlet.id, hamlet.path):  # type: ignore[arg-type]
                raise households.HouseholdNotFound(details={"household_id": str(data.household_id)})
            if household.erased_at is not None:  # its personal data was erased on request: nothing new is kept
                raise households.HouseholdErased(details={"household_id": str(household.id)})
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
            campaign = campaigns[key]
            if isinstance(campaign, AppError):
                raise campaign
            if hamlet.id not in teams:
                teams[hamlet.id] = _team_of(session, actor, hamlet)  # type: ignore[index]
        except AppError as exc:
            results[i] = exc
            continue
        stored[data.id] = digest  # the same id again later in the run: duplicate or id_reused
        results[i] = True
        if data.consent_given and household.consent == "unknown":
            # The first consent recorded at the door becomes the household's own (a withdrawal is only
            # ever changed by an official, never by a visit that may have been made before it).
            household.consent, household.consent_on = "given", local_day(data.visited_at)
            household.consent_notice_version = data.consent_notice_version
            session.add(household)
        accepted.append(
            coverage.NewVisit(
                row={
                    "id": data.id,
                    "household_id": household.id,
                    "hamlet_id": household.hamlet_id,
                    "volunteer_id": actor.id,
                    "team_id": teams[hamlet.id],  # type: ignore[index]
                    "campaign_id": campaign,
                    "visited_at": data.visited_at,
                    "visited_on": local_day(data.visited_at),
                    "received_at": received_at,
                    "outcome": data.outcome,
                    "consent_given": data.consent_given,
                    "consent_notice_version": data.consent_notice_version,
                    "notes": data.notes,
                    "content_hash": digest,
                    "review": None,
                    "review_reason": None,
                },
                skills=[(p.person_id, s, LEVELS[level]) for p in data.people for s, level in p.skills.items()],
                milestones=[(p.person_id, m) for p in data.people for m in sorted(set(p.milestones))],
            )
        )
    if accepted:
        assert actor.id is not None
        flags, retro = plausibility.assess(
            session,
            actor.id,
            [(v.row["id"], v.row["visited_at"]) for v in accepted],
            max(v.row["received_at"] for v in accepted),
        )
        for v in accepted:
            if v.row["id"] in flags:
                v.row["review"], v.row["review_reason"] = plausibility.PENDING, flags[v.row["id"]]
        coverage.ingest(session, accepted, versions)
        plausibility.flag_stored(session, retro)
    return results
