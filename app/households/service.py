"""Households and people: scoped reads of one, upserts (last writer wins, history kept), soft deletes. Lists
and searches are `app.households.listing`."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app import coverage
from app.auth.scope import Scope
from app.errors import AppError, Invalid, NotFound, OutsideYourArea
from app.households.schemas import HouseholdIn, HouseholdPatch, PersonIn
from app.models import (
    AdminUnit,
    Household,
    HouseholdDeparture,
    HouseholdHistory,
    Person,
    User,
    Visit,
)
from app.models.base import table_of, utcnow
from app.text import fold

HISTORY_FIELDS = ("hamlet_id", "address", "head_name", "phone", "member_count", "latitude", "longitude", "deleted_at")


class HouseholdNotFound(NotFound):
    code = "household_not_found"
    message_vi = "Không tìm thấy hộ gia đình."
    message_en = "Household not found."


class PersonNotFound(NotFound):
    code = "person_not_found"
    message_vi = "Không tìm thấy thành viên hộ."
    message_en = "Person not found."


class NotAHamlet(Invalid):
    code = "not_a_hamlet"
    message_vi = "Hộ gia đình phải thuộc một thôn/ấp/khu vực."
    message_en = "A household must belong to a hamlet."


class HouseholdDeleted(AppError):
    status_code = 409
    code = "household_deleted"
    message_vi = "Hộ gia đình này đã bị xóa."
    message_en = "This household has been deleted."


class HouseholdErased(AppError):
    """Its personal data was erased (app/privacy/): nothing may write names back onto it."""

    status_code = 409
    code = "household_erased"
    message_vi = "Dữ liệu cá nhân của hộ này đã được xóa theo yêu cầu; không ghi thêm thông tin vào hộ này."
    message_en = "This household's personal data was erased on request; nothing more is recorded for it."


# Fields a phone cannot write onto a household that withdrew consent: its copy shows none of them.
WITHDRAWN_KEPT = ("address", "head_name", "phone", "latitude", "longitude")


def bump_area_version(session: Session, hamlet_id: int) -> int:
    """The hamlet's next version; its row lock orders concurrent writers (see `app.coverage.sql`)."""
    return coverage.bump_area_version(session, hamlet_id)


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """A nested transaction for one mutation: on failure its rows, its derived rows and its
    area-version bumps are all undone, so the rest of the batch goes on as if it never ran."""
    nested = session.begin_nested()
    try:
        yield
        nested.commit()
    except BaseException:
        nested.rollback()
        raise


def skill_ids(session: Session) -> list[str]:
    return coverage.skill_ids(session)


def hamlet_for_write(session: Session, scope: Scope, hamlet_id: int) -> AdminUnit:
    hamlet = session.get(AdminUnit, hamlet_id)
    if hamlet is None or hamlet.level != "hamlet":
        raise NotAHamlet(details={"hamlet_id": hamlet_id})
    if not scope.can_write_hamlet(hamlet.id, hamlet.path):  # type: ignore[arg-type]
        raise OutsideYourArea(details={"hamlet_id": hamlet_id})
    return hamlet


def get_household(session: Session, scope: Scope, household_id: uuid.UUID, *, for_update: bool = False) -> Household:
    """A household the caller may see; one outside their area is 'not found' so existence never leaks."""
    household = session.get(Household, household_id, with_for_update=for_update)
    if household is None:
        raise HouseholdNotFound(details={"household_id": str(household_id)})
    hamlet = session.get(AdminUnit, household.hamlet_id)
    assert hamlet is not None
    if not scope.can_write_hamlet(hamlet.id, hamlet.path):  # type: ignore[arg-type]
        raise HouseholdNotFound(details={"household_id": str(household_id)})
    return household


def _history(session: Session, household: Household, actor: User) -> None:
    previous: dict[str, Any] = {f: getattr(household, f) for f in HISTORY_FIELDS}
    if previous["deleted_at"] is not None:
        previous["deleted_at"] = previous["deleted_at"].isoformat()
    previous["updated_at"] = household.updated_at.isoformat()
    session.add(HouseholdHistory(household_id=household.id, changed_by_id=actor.id, previous=previous))


def upsert_household(session: Session, *, actor: User, scope: Scope, data: HouseholdIn) -> tuple[Household, bool]:
    """Create the household, or overwrite its fields (last writer wins in server-receive order)."""
    hamlet = hamlet_for_write(session, scope, data.hamlet_id)
    existing = session.get(Household, data.id, with_for_update=True)
    if existing is None:
        household = Household(
            id=data.id,
            hamlet_id=hamlet.id,  # type: ignore[arg-type]
            province_code=hamlet.province_code,
            address=data.address,
            head_name=data.head_name,
            head_name_key=fold(data.head_name),
            phone=data.phone,
            member_count=data.member_count,
            latitude=data.latitude,
            longitude=data.longitude,
            created_by_id=actor.id,
            deleted_at=utcnow() if data.deleted else None,
        )
        household.version = bump_area_version(session, hamlet.id)  # type: ignore[arg-type]
        session.add(household)
        session.flush()
        if household.deleted_at is None:
            coverage.households_added(session, household.hamlet_id, [household.id], household.version)
        return household, True
    # The household must also be in scope where it is now: nobody pulls one out of another area.
    get_household(session, scope, existing.id)
    if existing.erased_at is not None:
        raise HouseholdErased(details={"household_id": str(existing.id)})
    values = data.model_dump(exclude={"id", "deleted"})
    if existing.consent == "withdrawn":
        values.update({k: getattr(existing, k) for k in WITHDRAWN_KEPT})
    values["deleted_at"] = (existing.deleted_at or utcnow()) if data.deleted else None
    if all(getattr(existing, k) == v for k, v in values.items()):
        return existing, False
    before_hamlet = existing.hamlet_id
    was_deleted = existing.deleted_at is not None
    # Moved, deleted or restored: recomputed exactly. Any other edit leaves every figure as it is.
    change = (
        coverage.rebuild(session, [existing])
        if values["hamlet_id"] != before_hamlet or (values["deleted_at"] is not None) != was_deleted
        else None
    )
    _history(session, existing, actor)
    for k, v in values.items():
        setattr(existing, k, v)
    existing.head_name_key = fold(existing.head_name)
    existing.province_code = hamlet.province_code
    existing.updated_at = utcnow()
    session.add(existing)
    if change is not None:
        versions, _ = change.finish()
        version = versions[existing.id]
    else:
        version = bump_area_version(session, existing.hamlet_id)
    existing.version = version
    if existing.hamlet_id != before_hamlet:
        _move_people(session, existing, version)
        _record_departure(session, existing, before_hamlet)
    elif was_deleted != (existing.deleted_at is not None):
        # Phones drop its people and visits with it, or get them back when it is restored.
        _move_people(session, existing, version)
    return existing, False


def _record_departure(session: Session, household: Household, hamlet_id: int) -> None:
    """Phones of the hamlet it left must drop it: they pull this row as a tombstone."""
    version = bump_area_version(session, hamlet_id)
    coverage.sql.upsert(
        session,
        table_of(HouseholdDeparture),
        ["hamlet_id", "household_id"],
        [{"hamlet_id": hamlet_id, "household_id": household.id, "version": version}],
    )


def _move_people(session: Session, household: Household, version: int) -> None:
    session.execute(
        update(Person)
        .where(col(Person.household_id) == household.id)
        .values(hamlet_id=household.hamlet_id, version=version)
    )
    session.execute(
        update(Visit)
        .where(col(Visit.household_id) == household.id)
        .values(hamlet_id=household.hamlet_id, version=version)
    )


def patch_household(
    session: Session, *, actor: User, scope: Scope, household_id: uuid.UUID, data: HouseholdPatch
) -> Household:
    household = get_household(session, scope, household_id, for_update=True)
    values = household.model_dump(include=set(HouseholdIn.model_fields) - {"id", "deleted"})
    values.update(data.model_dump(exclude_unset=True))
    full = HouseholdIn(id=household.id, deleted=household.deleted_at is not None, **values)
    updated, _ = upsert_household(session, actor=actor, scope=scope, data=full)
    return updated


def upsert_person(session: Session, *, actor: User, scope: Scope, data: PersonIn) -> tuple[Person, bool]:
    household = get_household(session, scope, data.household_id, for_update=True)
    if household.erased_at is not None:
        raise HouseholdErased(details={"household_id": str(household.id)})
    if household.deleted_at is not None and not data.deleted:
        raise HouseholdDeleted(details={"household_id": str(household.id)})
    existing = session.get(Person, data.id)
    if existing is not None and existing.household_id != household.id:
        raise Invalid(
            "Thành viên này thuộc một hộ khác.",
            "This person belongs to another household.",
            code="person_in_other_household",
            details={"person_id": str(data.id)},
        )
    deleted_at = utcnow() if data.deleted else None
    if household.consent == "withdrawn":
        # No new name is taken for a household that withdrew consent; the phone's copy shows none.
        data = data.model_copy(update={"full_name": existing.full_name if existing else None})
    if existing is not None:
        same = (
            existing.full_name == data.full_name
            and existing.birth_year == data.birth_year
            and existing.sex == data.sex
            and (existing.deleted_at is None) == (deleted_at is None)
        )
        if same:
            return existing, False
    # Deleted or restored: recomputed exactly. A new member only adds to the count; an edit, nothing.
    alive = deleted_at is None and household.deleted_at is None
    change = (
        coverage.rebuild(session, [household])
        if existing is not None and (existing.deleted_at is None) != (deleted_at is None)
        else None
    )
    person = existing or Person(
        id=data.id, household_id=household.id, hamlet_id=household.hamlet_id, created_by_id=actor.id
    )
    person.full_name = data.full_name or None
    person.birth_year = data.birth_year
    person.sex = data.sex
    person.deleted_at = (
        (existing.deleted_at if existing and existing.deleted_at else deleted_at) if data.deleted else None
    )
    person.updated_at = utcnow()
    session.add(person)
    if change is not None:
        versions, _ = change.finish()
        version = versions[household.id]
    else:
        version = bump_area_version(session, household.hamlet_id)
        if existing is None and alive:
            session.flush()
            coverage.people_added(session, household.hamlet_id, 1)
    person.version = version
    session.add(person)
    _sync_member_count(session, household, version)
    return person, existing is None


def _sync_member_count(session: Session, household: Household, version: int) -> None:
    """member_count never falls below the people recorded for the household."""
    live = session.exec(
        select(func.count())
        .select_from(Person)
        .where(Person.household_id == household.id, col(Person.deleted_at).is_(None))
    ).one()
    if household.member_count < live:
        household.member_count = live
        household.version = version
        session.add(household)
