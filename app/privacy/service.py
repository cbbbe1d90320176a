"""Erasure, access requests and consent for one household (and the set-based erasure retention reuses).

Erasure keeps every row that a figure is computed from (the household, its people, their skill and
milestone facts, the visits and their outcomes) and blanks everything that names or locates someone:
head's name, address, phone, note, position, people's names, birth years and sex, visit notes, the
history of earlier values and what rejected mutations echoed back. Reports therefore do not move. The
rows changed take the hamlet's next version, so every phone of the hamlet pulls tombstones for the
household, its people, statuses and visits, and deletes its copy (app/sync/pull.py).
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from app import coverage
from app.auth.scope import FIELD_ROLES, Scope
from app.campaigns.service import VIETNAM
from app.errors import AppError, Forbidden
from app.households import service as households
from app.models import (
    AdminUnit,
    Campaign,
    Household,
    HouseholdHistory,
    Person,
    PersonMilestone,
    PersonSkill,
    SyncRejection,
    User,
    Visit,
    VisitMilestone,
    VisitSkill,
)
from app.models.base import utcnow
from app.models.visits import PROFICIENT
from app.privacy import audit
from app.privacy.notice import NOTICES

WITHDRAWN_LABEL = "Hộ đã rút đồng ý"
ERASED_LABEL = "Hộ đã xóa dữ liệu"
# What an erased household's history keeps of each earlier state: nothing that names or locates anyone.
HISTORY_KEPT = ("hamlet_id", "member_count", "deleted_at", "updated_at")


class ErasureForCommune(Forbidden):
    code = "erasure_for_commune_officials"
    message_vi = "Chỉ cán bộ xã/phường quản lý hộ hoặc quản trị viên mới xóa được dữ liệu cá nhân."
    message_en = "Only the household's commune official or an administrator can erase personal data."


class AccessForOfficials(Forbidden):
    code = "access_request_for_officials"
    message_vi = "Chỉ cán bộ phụ trách địa bàn mới trả lời được yêu cầu truy cập dữ liệu."
    message_en = "Only the officials in charge of the area can answer an access request."


HouseholdAlreadyErased = households.HouseholdErased


class UnknownNotice(AppError):
    status_code = 422
    code = "unknown_notice_version"
    message_vi = "Phiên bản thông báo không tồn tại."
    message_en = "Unknown notice version."


class ConsentWithdrawnLater(AppError):
    status_code = 409
    code = "consent_withdrawn_later"
    message_vi = (
        "Hộ đã rút đồng ý sau ngày ghi nhận đồng ý này, nên đồng ý cũ không được ghi đè. Nếu hộ đồng ý lại, "
        "hãy đọc thông báo và ghi nhận đồng ý mới."
    )
    message_en = (
        "The household withdrew consent after the day this consent was recorded, so it does not override the "
        "withdrawal. If the household agrees again, read the notice and record a new consent."
    )


@dataclass
class ErasureCounts:
    households: int = 0
    people: int = 0
    visits: int = 0
    history: int = 0
    by_unit: dict[int, int] = field(default_factory=dict)


def hidden(household: Household) -> str | None:
    """The label shown instead of the household's name when names may no longer be shown, else None."""
    if household.erased_at is not None:
        return ERASED_LABEL
    if household.consent == "withdrawn":
        return WITHDRAWN_LABEL
    return None


def _hamlet(session: Session, household: Household) -> AdminUnit:
    hamlet = session.get(AdminUnit, household.hamlet_id)
    assert hamlet is not None
    return hamlet


def erase_household(session: Session, *, scope: Scope, household_id: uuid.UUID, reason: str) -> ErasureCounts:
    if scope.user.role in FIELD_ROLES or (not scope.is_admin and scope.user.role != "commune_official"):
        raise ErasureForCommune()
    household = households.get_household(session, scope, household_id, for_update=True)
    if household.erased_at is not None:
        raise HouseholdAlreadyErased(details={"household_id": str(household_id)})
    return erase(session, actor=scope.user, household_ids=[household.id], kind="erase", reason=reason)


def erase(
    session: Session, *, actor: User | None, household_ids: list[uuid.UUID], kind: str, reason: str
) -> ErasureCounts:
    """Blank the personal data of these households everywhere, keep their counts, tell the phones.
    One audit row per household: its id, its hamlet, how many people, the reason; nothing erased.

    Set-based (retention passes thousands at a time): each table is updated in one statement for all
    the households, each row taking its hamlet's new version (status rows: one statement per hamlet)."""
    counts = ErasureCounts()
    if not household_ids:
        return counts
    now = utcnow()
    rows = session.exec(
        select(Household.id, Household.hamlet_id)
        .where(col(Household.id).in_(household_ids), col(Household.erased_at).is_(None))
        .order_by(col(Household.hamlet_id), col(Household.id))
    ).all()
    if not rows:
        return counts
    ids = [hid for hid, _ in rows]
    hamlet_of = dict(rows)
    versions = coverage.lock(session, set(hamlet_of.values()), set())  # in the order every writer takes them
    session.execute(
        update(Household)
        .where(col(Household.id).in_(ids))
        .values(
            head_name="",
            head_name_key="",
            address="",
            phone=None,
            note="",
            latitude=None,
            longitude=None,
            erased_at=now,
            updated_at=now,
            version=case(versions, value=Household.hamlet_id),
        )
    )
    # Its people, visits and status rows take the household's new version (phones drop them with it).
    household_version = select(Household.version).where(col(Household.id) == col(Person.household_id)).scalar_subquery()
    counts.people = _rowcount(
        session.execute(
            update(Person)
            .where(col(Person.household_id).in_(ids))
            .values(full_name=None, birth_year=None, sex=None, updated_at=now, version=household_version)
        )
    )
    counts.visits = _rowcount(
        session.execute(
            update(Visit)
            .where(col(Visit.household_id).in_(ids))
            .values(
                notes="",
                version=select(Household.version).where(col(Household.id) == col(Visit.household_id)).scalar_subquery(),
            )
        )
    )
    # Phones holding a status row drop it with the household (derived rows: written by app/coverage).
    by_hamlet: dict[int, list[uuid.UUID]] = defaultdict(list)
    for hid in ids:
        by_hamlet[hamlet_of[hid]].append(hid)
    for hamlet_id, hids in by_hamlet.items():
        coverage.resend_status(session, hids, versions[hamlet_id])
    counts.history = _erase_history(session, ids)
    _erase_rejections(session, ids)
    counts.households = len(ids)
    counts.by_unit = {hamlet_id: len(hids) for hamlet_id, hids in by_hamlet.items()}
    people_of = dict(
        session.exec(
            select(Person.household_id, func.count())
            .where(col(Person.household_id).in_(ids))
            .group_by(col(Person.household_id))
        ).all()
    )
    audit.record_many(
        session,
        actor=actor,
        category="erasure",
        kind=kind,
        reason=reason,
        rows=[(hamlet_of[hid], hid, int(people_of.get(hid, 0))) for hid in ids],
    )
    session.expire_all()
    return counts


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def _erase_history(session: Session, ids: list[uuid.UUID]) -> int:
    """Each earlier state keeps only what names or locates nobody: one bulk UPDATE by primary key."""
    entries = session.exec(
        select(HouseholdHistory.id, HouseholdHistory.previous).where(col(HouseholdHistory.household_id).in_(ids))
    ).all()
    if entries:
        session.execute(
            update(HouseholdHistory),
            [{"id": entry_id, "previous": _kept(previous)} for entry_id, previous in entries],
        )
    return len(entries)


def _kept(previous: Mapping[str, Any]) -> dict[str, Any]:
    return {k: previous.get(k) for k in HISTORY_KEPT if k in previous} | {"erased": True}


def _erase_rejections(session: Session, ids: list[uuid.UUID]) -> None:
    """A rejection's details may echo what the phone sent (a name too long, a bad phone): dropped."""
    of_people = select(Person.id).where(col(Person.household_id).in_(ids))
    of_visits = select(Visit.id).where(col(Visit.household_id).in_(ids))
    session.execute(
        update(SyncRejection)
        .where(
            col(SyncRejection.record_id).in_(ids)
            | col(SyncRejection.record_id).in_(of_people)
            | col(SyncRejection.record_id).in_(of_visits)
        )
        .values(details=None)
    )


# --- consent -----------------------------------------------------------------------------------------


def consent_state(session: Session, household: Household) -> dict[str, Any]:
    """The household's consent: its own record, or, while unknown, the latest visit that recorded one."""
    if household.consent != "unknown":
        return {
            "state": household.consent,
            "notice_version": household.consent_notice_version,
            "on": household.consent_on,
        }
    visit = session.exec(
        select(Visit)
        .where(Visit.household_id == household.id, col(Visit.consent_given).is_(True))
        .order_by(col(Visit.received_at).desc())
        .limit(1)
    ).first()
    if visit is None:
        return {"state": "unknown", "notice_version": None, "on": None}
    return {"state": "given", "notice_version": visit.consent_notice_version, "on": visit.visited_on}


def set_consent(
    session: Session,
    *,
    scope: Scope,
    household_id: uuid.UUID,
    state: str,
    notice_version: str | None,
    on: date | None = None,
) -> Household:
    """Record consent given (with the notice read) or withdrawn, on the day `on` (a phone's record made
    offline; default today, never later). Withdrawal hides names from every list, file and phone from
    then on; the household's counts stay. A consent recorded before a withdrawal never undoes it."""
    household = households.get_household(session, scope, household_id, for_update=True)
    if household.erased_at is not None:
        raise HouseholdAlreadyErased(details={"household_id": str(household_id)})
    today = datetime.now(VIETNAM).date()
    on = min(on, today) if on is not None else today
    if state == "given":
        if notice_version not in NOTICES:
            raise UnknownNotice(details={"notice_version": notice_version, "known": sorted(NOTICES)})
        if household.consent == "withdrawn" and household.consent_on is not None and on < household.consent_on:
            raise ConsentWithdrawnLater(
                details={"household_id": str(household_id), "withdrawn_on": household.consent_on.isoformat()}
            )
        household.consent_notice_version = notice_version
    household.consent = state
    household.consent_on = on
    # Phones of the hamlet pull the household again: names hidden, or shown again.
    version = households.bump_area_version(session, household.hamlet_id)
    household.version = version
    household.updated_at = utcnow()
    session.add(household)
    session.execute(update(Person).where(col(Person.household_id) == household.id).values(version=version))
    audit.record(
        session,
        actor=scope.user,
        category="consent",
        kind=state,
        unit_id=household.hamlet_id,
        household_id=household.id,
    )
    return household


# --- access request ----------------------------------------------------------------------------------


def _d(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def access_export(session: Session, *, scope: Scope, household_id: uuid.UUID, file_format: str) -> dict[str, Any]:
    """Everything held about the household, its people and its visits; logged as an access request."""
    if scope.user.role in FIELD_ROLES:
        raise AccessForOfficials()
    household = households.get_household(session, scope, household_id)
    hamlet = _hamlet(session, household)
    chain = session.exec(
        select(AdminUnit)
        .where(col(AdminUnit.id).in_([int(x) for x in hamlet.path.strip("/").split("/") if x]))
        .order_by(col(AdminUnit.path))
    ).all()
    people = session.exec(
        select(Person).where(Person.household_id == household.id).order_by(col(Person.created_at), col(Person.id))
    ).all()
    person_ids = [p.id for p in people]
    levels: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    reached: dict[uuid.UUID, list[str]] = defaultdict(list)
    if person_ids:
        for r in session.exec(
            select(PersonSkill).where(col(PersonSkill.person_id).in_(person_ids), PersonSkill.campaign_id == 0)
        ):
            levels[r.person_id][r.skill_id] = "proficient" if r.level >= PROFICIENT else "taught"
        for m in session.exec(
            select(PersonMilestone).where(
                col(PersonMilestone.person_id).in_(person_ids), PersonMilestone.campaign_id == 0
            )
        ):
            reached[m.person_id].append(m.milestone_id)
    visits = session.exec(
        select(Visit).where(Visit.household_id == household.id).order_by(col(Visit.visited_at), col(Visit.id))
    ).all()
    visit_ids = [v.id for v in visits]
    taught: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    milestones: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    if visit_ids:
        for s in session.exec(
            select(VisitSkill).where(col(VisitSkill.visit_id).in_(visit_ids)).order_by(col(VisitSkill.skill_id))
        ):
            level = "proficient" if s.level >= PROFICIENT else "taught"
            taught[s.visit_id].append({"person_id": str(s.person_id), "skill": s.skill_id, "level": level})
        for vm in session.exec(select(VisitMilestone).where(col(VisitMilestone.visit_id).in_(visit_ids))):
            milestones[vm.visit_id].append({"person_id": str(vm.person_id), "milestone": vm.milestone_id})
    campaign_ids = sorted({v.campaign_id for v in visits if v.campaign_id})
    campaigns = (
        {c.id: c.name for c in session.exec(select(Campaign).where(col(Campaign.id).in_(campaign_ids))).all()}
        if campaign_ids
        else {}
    )
    history = session.exec(
        select(HouseholdHistory)
        .where(HouseholdHistory.household_id == household.id)
        .order_by(col(HouseholdHistory.changed_at))
    ).all()
    consent = consent_state(session, household)
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "household": {
            "id": str(household.id),
            "place": [u.name for u in chain],
            "head_name": household.head_name,
            "address": household.address,
            "phone": household.phone,
            "member_count": household.member_count,
            "latitude": household.latitude,
            "longitude": household.longitude,
            "note": household.note,
            "source": household.source,
            "consent": {**consent, "on": _d(consent["on"])},
            "created_at": _d(household.created_at),
            "updated_at": _d(household.updated_at),
            "deleted_at": _d(household.deleted_at),
            "erased_at": _d(household.erased_at),
        },
        "people": [
            {
                "id": str(p.id),
                "full_name": p.full_name,
                "birth_year": p.birth_year,
                "sex": p.sex,
                "skills": dict(sorted(levels[p.id].items())),
                "milestones": sorted(reached[p.id]),
                "created_at": _d(p.created_at),
                "deleted_at": _d(p.deleted_at),
            }
            for p in people
        ],
        "visits": [
            {
                "id": str(v.id),
                "visited_at": _d(v.visited_at),
                "campaign": campaigns.get(v.campaign_id) if v.campaign_id else None,
                "outcome": v.outcome,
                "consent_given": v.consent_given,
                "consent_notice_version": v.consent_notice_version,
                "notes": v.notes,
                "skills": taught[v.id],
                "milestones": milestones[v.id],
            }
            for v in visits
        ],
        "history": [{"changed_at": _d(h.changed_at), "previous": h.previous} for h in history],
    }
    audit.record(
        session,
        actor=scope.user,
        category="access_request",
        kind="household_data",
        unit_id=household.hamlet_id,
        household_id=household.id,
        row_count=1 + len(people) + len(visits),
        file_format=file_format,
    )
    return data
