"""Recording visits: checks, then `app.coverage.ingest`, for `POST /visits`, the sync `visit.create`
mutation and an imported outbox (the demo seed, valid by construction, builds its rows with `new_visit`).

In the caller's transaction: the visit and its per-person levels and milestones are stored, each
person's derived levels, the household status and the report aggregates follow. The same visit id
with the same content is a no-op (`duplicate`); with other content it is refused (`id_reused`).
"""

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Integer, String, bindparam, cast, literal, null, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
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
    Skill,
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


def _check(
    data: VisitIn,
    household_id: uuid.UUID,
    received_at: datetime,
    skills: set[str],
    milestone_ids: set[str],
    known: dict[uuid.UUID, tuple[uuid.UUID, datetime | None]],  # person: (household, deleted_at)
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
        household_of, deleted_at = known.get(p.person_id, (None, None))
        if household_of != household_id or deleted_at is not None:
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


@dataclass(frozen=True)
class _Campaign:
    window: tuple[date, date]
    paths: tuple[str, ...]  # the units taking part (the campaign's own unit when it lists none)


@dataclass(frozen=True)
class _References:
    """What a batch's checks and derived rows read besides its households and people: the skills in
    catalogue order, the active milestones, the batch's campaigns and the volunteer's teams with
    their units' paths (a visit goes to the team whose unit holds its hamlet)."""

    skills: list[str]
    milestones: set[str]
    campaigns: dict[int, _Campaign]
    teams: list[tuple[int, str]]


_OWN_UNIT, _PART_UNIT = aliased(AdminUnit), aliased(AdminUnit)  # made once: an alias is costly to build


@lru_cache(maxsize=2)
def _references_query(postgresql: bool) -> Any:
    """The rows `_references` reads, built once: rows of (kind, text, number, start, end, path, part path) where
    kind is s (a skill: id, position), m (a milestone: id), t (a team: number id, path) or c (a
    campaign: number id, its dates, its own unit's path and one unit taking part per row)."""
    no_text, no_number, no_date = cast(null(), String), cast(null(), Integer), cast(null(), Date)
    no_path, own, part = no_text, _OWN_UNIT, _PART_UNIT
    parts = [
        sa_select(literal("s"), col(Skill.id), col(Skill.position), no_date, no_date, no_path, no_path),
        sa_select(literal("m"), col(Milestone.id), no_number, no_date, no_date, no_path, no_path).where(
            col(Milestone.is_active)
        ),
        sa_select(literal("t"), no_text, col(Team.id), no_date, no_date, col(AdminUnit.path), no_path)
        .join(TeamMember, col(TeamMember.team_id) == Team.id)
        .join(AdminUnit, col(AdminUnit.id) == Team.unit_id)
        .where(col(TeamMember.user_id) == bindparam("actor")),
        sa_select(
            literal("c"),
            no_text,
            col(Campaign.id),
            col(Campaign.starts_on),
            col(Campaign.ends_on),
            col(own.path),
            col(part.path),
        )
        .outerjoin(own, col(own.id) == Campaign.unit_id)
        .outerjoin(CampaignUnit, col(CampaignUnit.campaign_id) == Campaign.id)
        .outerjoin(part, col(part.id) == CampaignUnit.unit_id)
        .where(coverage.sql.in_named(col(Campaign.id), "campaigns", postgresql)),
    ]
    return union_all(*parts)


def _references(session: Session, actor: User, campaign_ids: set[int]) -> _References:
    """`_References` in one query (`_references_query`)."""
    query = _references_query(coverage.sql.is_postgresql(session))
    rows = coverage.sql.fetch(session, query, {"actor": actor.id, "campaigns": sorted(campaign_ids)})
    skills = [text for kind, text, position, *_ in sorted(rows, key=lambda r: r[2] or 0) if kind == "s"]
    found: dict[int, tuple[tuple[date, date], str | None, list[str]]] = {}
    for kind, _, number, starts, ends, path, part_path in rows:
        if kind == "c":
            entry = found.setdefault(number, ((starts, ends), path, []))
            if part_path is not None:
                entry[2].append(part_path)
    return _References(
        skills=skills,
        milestones={text for kind, text, *_ in rows if kind == "m"},
        campaigns={
            i: _Campaign(window, tuple(parts) if parts else ((own_path,) if own_path else ()))
            for i, (window, own_path, parts) in found.items()
        },
        teams=sorted((number, path) for kind, _, number, _, _, path, _ in rows if kind == "t"),
    )


def _campaign_for(campaigns: dict[int, _Campaign], campaign_id: int | None, hamlet_path: str) -> int | None:
    if campaign_id is None:
        return None
    campaign = campaigns.get(campaign_id)
    if campaign is None:
        raise Invalid("Chiến dịch không tồn tại.", "Unknown campaign.", code="campaign_not_found")
    if not any(hamlet_path.startswith(path) for path in campaign.paths):
        raise Invalid(
            "Hộ này không thuộc địa bàn của chiến dịch.",
            "This household is outside the campaign's area.",
            code="outside_campaign",
        )
    return campaign_id


def new_visit(
    data: VisitIn,
    *,
    hamlet_id: int,
    volunteer_id: int,
    team_id: int | None,
    campaign_id: int | None,
    digest: str,
    received_at: datetime,
) -> coverage.NewVisit:
    """A checked visit as `coverage.ingest` stores it: its row and what it recorded of each person."""
    return coverage.NewVisit(
        row={
            "id": data.id,
            "household_id": data.household_id,
            "hamlet_id": hamlet_id,
            "volunteer_id": volunteer_id,
            "team_id": team_id,
            "campaign_id": campaign_id,
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


def take_hamlets(
    session: Session, scope: Scope, *, hamlet_ids: set[int], household_ids: set[uuid.UUID]
) -> dict[int, tuple[int, str]]:
    """Take the next version of every hamlet in scope that is listed or holds one of the households,
    in id order, before any household row is locked: the order every writer takes them in, so two
    batches writing the same hamlets queue on the first lock instead of deadlocking.
    Returns {hamlet id: (version, path)}."""
    return take_hamlets_for(session, [scope], hamlet_ids=hamlet_ids, household_ids=household_ids)[0]


def take_hamlets_for(
    session: Session, scopes: list[Scope], *, hamlet_ids: set[int], household_ids: set[uuid.UUID]
) -> list[dict[int, tuple[int, str]]]:
    """`take_hamlets` for several writers in one transaction (pushes written together): every hamlet
    any of them may write, taken once in id order; per scope, the ones it may write."""
    query = _hamlets_query(coverage.sql.is_postgresql(session))
    rows = coverage.sql.fetch(session, query, {"households": sorted(household_ids), "hamlets": sorted(hamlet_ids)})
    allowed = [{h: path for h, path in rows if h is not None and s.can_write_hamlet(h, path)} for s in scopes]
    # The households are locked by the caller.
    versions = coverage.lock(session, {h for paths in allowed for h in paths}, set())
    return [{h: (versions[h], path) for h, path in paths.items()} for paths in allowed]


@lru_cache(maxsize=2)
def _hamlets_query(postgresql: bool) -> Any:
    """The hamlets listed (`:hamlets`) or holding one of the households (`:households`), with their
    paths. One IN over a subquery (a semi-join PostgreSQL runs by index), not an OR of two, which it
    cannot."""
    ids: Any = union_all(
        sa_select(col(Household.hamlet_id)).where(coverage.sql.in_named(col(Household.id), "households", postgresql)),
        sa_select(col(AdminUnit.id)).where(coverage.sql.in_named(col(AdminUnit.id), "hamlets", postgresql)),
    )
    return sa_select(col(AdminUnit.id), col(AdminUnit.path)).where(
        col(AdminUnit.level) == "hamlet", col(AdminUnit.id).in_(ids)
    )


@lru_cache(maxsize=2)
def _stored_query(postgresql: bool) -> Any:
    """The visits of a batch already stored (`:visits`), with their content hashes."""
    return sa_select(col(Visit.id), col(Visit.content_hash)).where(
        coverage.sql.in_named(col(Visit.id), "visits", postgresql)
    )


@lru_cache(maxsize=2)
def _people_query(postgresql: bool) -> Any:
    """The people a batch names (`:people`): their households, and whether they were deleted."""
    return sa_select(col(Person.id), col(Person.household_id), col(Person.deleted_at)).where(
        coverage.sql.in_named(col(Person.id), "people", postgresql)
    )


@lru_cache(maxsize=2)
def _households_query(postgresql: bool) -> Any:
    """The households of a batch (`:households`), locked in id order and read as they are now."""
    return (
        select(Household)
        .where(coverage.sql.in_named(col(Household.id), "households", postgresql))
        .order_by(col(Household.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def record_visit(session: Session, *, actor: User, scope: Scope, data: VisitIn) -> tuple[Visit, bool]:
    """Store a visit and everything derived from it (a batch of one). Returns (visit, created)."""
    (outcome,) = record_visits(session, actor=actor, scope=scope, items=[data])
    if isinstance(outcome, AppError):
        raise outcome
    visit = session.get(Visit, data.id)
    assert visit is not None
    return visit, outcome


def record_visits(
    session: Session,
    *,
    actor: User,
    scope: Scope,
    items: list[VisitIn],
    taken: dict[int, tuple[int, str]] | None = None,
) -> list[bool | AppError]:
    """Store a batch of visits (one sync push's run, an outbox) through the coverage
    write path.

    One answer per item, in order: True (stored), False (the same visit was already stored) or the
    AppError refusing it, as if the items were recorded one after the other. The accepted ones go
    to `coverage.ingest` together. `taken`: the hamlets the caller has already taken (`take_hamlets`).
    A database error leaves the caller's savepoint to roll back (nothing is half-written)."""
    checked = check_visits(session, actor=actor, scope=scope, items=items, taken=taken)
    store_visits(session, [checked])
    return checked.results


@dataclass
class Checked:
    """One writer's batch of visits, checked (`check_visits`) and not yet stored (`store_visits`)."""

    results: list[bool | AppError]
    accepted: list[coverage.NewVisit] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)  # per hamlet taken
    skills: list[str] = field(default_factory=list)
    windows: dict[int, tuple[date, date]] = field(default_factory=dict)  # per campaign named
    retro: set[uuid.UUID] = field(default_factory=set)  # stored visits the new ones make too dense


def store_visits(session: Session, batches: list[Checked]) -> None:
    """Store the accepted visits of one or more checked batches with one `coverage.ingest`. Batches
    of different writers stored together (pushes written together) must not share a visit id."""
    accepted = [v for b in batches for v in b.accepted]
    if not accepted:
        return
    versions = {h: v for b in batches for h, v in b.versions.items()}
    windows = {c: w for b in batches for c, w in b.windows.items()}
    skills = next(b.skills for b in batches if b.accepted)
    coverage.ingest(session, accepted, versions, coverage.Catalogue(skills, windows))
    plausibility.flag_stored(session, {i for b in batches for i in b.retro})


def check_visits(
    session: Session,
    *,
    actor: User,
    scope: Scope,
    items: list[VisitIn],
    taken: dict[int, tuple[int, str]] | None = None,
) -> Checked:
    """`record_visits` up to the writes: each item's answer and the visits to store, under the locks
    of their hamlets and households. Flagged implausible ones are marked (`plausibility.flag_new`)."""
    results: list[bool | AppError] = [False] * len(items)
    if not items:
        return Checked(results)
    digests = [content_hash(d) for d in items]
    postgresql = coverage.sql.is_postgresql(session)
    stored = dict(coverage.sql.fetch(session, _stored_query(postgresql), {"visits": sorted({d.id for d in items})}))
    household_ids = {d.household_id for d in items}
    taken = dict(taken) if taken else take_hamlets(session, scope, hamlet_ids=set(), household_ids=household_ids)
    # Locked, then read as they are now: deleted or moved while we waited for the hamlet's lock.
    found = {
        h.id: h for h in session.exec(_households_query(postgresql), params={"households": sorted(household_ids)}).all()
    }
    moved = {h.hamlet_id for h in found.values()} - set(taken)
    if moved:  # moved into a hamlet this batch had not taken: its version too (rare)
        taken.update(take_hamlets(session, scope, hamlet_ids=moved, household_ids=set()))
    person_ids = {p.person_id for d in items for p in d.people}
    people: list[tuple[Any, ...]] = []
    if person_ids:  # none on a visit where no one was met
        people = coverage.sql.fetch(session, _people_query(postgresql), {"people": sorted(person_ids)})
    known = {i: (h, d) for i, h, d in people}
    refs = _references(session, actor, {d.campaign_id for d in items if d.campaign_id is not None})
    skills, campaigns, teams = refs.skills, refs.campaigns, refs.teams
    skill_set = set(skills)
    accepted: list[coverage.NewVisit] = []
    for i, (data, digest) in enumerate(zip(items, digests, strict=True)):
        try:
            if data.id in stored:
                if stored[data.id] != digest:
                    raise IdReused(details={"visit_id": str(data.id)})
                results[i] = False
                continue
            household = found.get(data.household_id)
            if household is None or household.hamlet_id not in taken:  # missing, or outside the scope
                raise households.HouseholdNotFound(details={"household_id": str(data.household_id)})
            if household.erased_at is not None:  # its personal data was erased on request: nothing new is kept
                raise households.HouseholdErased(details={"household_id": str(household.id)})
            if household.deleted_at is not None:
                raise households.HouseholdDeleted(details={"household_id": str(household.id)})
            received_at = utcnow()
            _check(data, household.id, received_at, skill_set, refs.milestones, known)
            hamlet_path = taken[household.hamlet_id][1]
            campaign = _campaign_for(campaigns, data.campaign_id, hamlet_path)
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
            # Phones pull the household again with its consent (app/sync/pull.py).
            household.version = taken[household.hamlet_id][0]
            session.add(household)
        accepted.append(
            new_visit(
                data,
                hamlet_id=household.hamlet_id,
                volunteer_id=actor.id,  # type: ignore[arg-type]
                team_id=next((t for t, path in teams if hamlet_path.startswith(path)), None),
                campaign_id=campaign,
                digest=digest,
                received_at=received_at,
            )
        )
    checked = Checked(results, accepted)
    if accepted:
        assert actor.id is not None
        checked.retro = plausibility.flag_new(session, actor.id, accepted)
        checked.versions = {hamlet_id: version for hamlet_id, (version, _) in taken.items()}
        checked.windows = {i: c.window for i, c in campaigns.items()}
        checked.skills = skills
    return checked
