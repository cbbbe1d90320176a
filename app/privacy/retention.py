"""Retention: named data is kept for a set number of months after the last campaign of its hamlet ends,
then anonymised by the erasure machinery (service.erase), counts kept.

A household is past retention when every campaign taking place in its hamlet ended before the cut-off
(today minus the months), at least one such campaign exists, and nothing about it changed since the
cut-off (no edit, no visit received): a household still being visited keeps its names.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from app.campaigns.service import VIETNAM
from app.models import AdminUnit, Campaign, CampaignUnit, Household, Person, Visit
from app.privacy import service

BATCH = 500


@dataclass
class RetentionPlan:
    cutoff: date
    household_ids: list[uuid.UUID] = field(default_factory=list)
    people: int = 0
    visits: int = 0
    by_commune: Counter[str] = field(default_factory=Counter)


def months_before(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    # The same day of that month, or its last day (31 March minus one month is 28/29 February).
    last = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


def _expired_hamlets(session: Session, cutoff: date) -> dict[int, AdminUnit]:
    """Hamlets whose last campaign ended before the cut-off."""
    campaigns = session.exec(select(Campaign, AdminUnit).join(AdminUnit, col(AdminUnit.id) == Campaign.unit_id)).all()
    listed: dict[int, list[str]] = {}
    for campaign_id, path in session.exec(
        select(CampaignUnit.campaign_id, AdminUnit.path).join(AdminUnit, col(AdminUnit.id) == CampaignUnit.unit_id)
    ).all():
        listed.setdefault(campaign_id, []).append(path)
    hamlets = session.exec(select(AdminUnit).where(AdminUnit.level == "hamlet")).all()
    expired = {}
    for hamlet in hamlets:
        last: date | None = None
        for campaign, unit in campaigns:
            if not hamlet.path.startswith(unit.path):
                continue
            paths = listed.get(campaign.id or 0)
            if paths and not any(hamlet.path.startswith(p) for p in paths):
                continue
            last = campaign.ends_on if last is None else max(last, campaign.ends_on)
        if last is not None and last < cutoff and hamlet.id is not None:
            expired[hamlet.id] = hamlet
    return expired


def plan(session: Session, *, months: int, today: date) -> RetentionPlan:
    cutoff = months_before(today, months)
    result = RetentionPlan(cutoff=cutoff)
    expired = _expired_hamlets(session, cutoff)
    if not expired:
        return result
    since = datetime.combine(cutoff, time(0), tzinfo=VIETNAM)
    recent_visit = exists().where(col(Visit.household_id) == Household.id, col(Visit.received_at) >= since)
    ids = sorted(expired)
    communes = {
        u.id: u.name
        for u in session.exec(
            select(AdminUnit).where(col(AdminUnit.id).in_({h.parent_id for h in expired.values() if h.parent_id}))
        ).all()
    }
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = session.exec(
            select(Household.id, Household.hamlet_id).where(
                col(Household.hamlet_id).in_(chunk),
                col(Household.erased_at).is_(None),
                col(Household.updated_at) < since,
                ~recent_visit,
            )
        ).all()
        for household_id, hamlet_id in rows:
            result.household_ids.append(household_id)
            parent = expired[hamlet_id].parent_id
            result.by_commune[communes.get(parent, "?") if parent else "?"] += 1
    for start in range(0, len(result.household_ids), BATCH):
        chunk_ids = result.household_ids[start : start + BATCH]
        result.people += int(
            session.exec(select(func.count()).select_from(Person).where(col(Person.household_id).in_(chunk_ids))).one()
        )
        result.visits += int(
            session.exec(select(func.count()).select_from(Visit).where(col(Visit.household_id).in_(chunk_ids))).one()
        )
    return result


def apply(session: Session, *, months: int, today: date) -> RetentionPlan:
    """Anonymise every household past retention, in this session's transaction."""
    found = plan(session, months=months, today=today)
    reason = f"Hết thời hạn lưu trữ ({months} tháng sau chiến dịch, mốc {found.cutoff:%d/%m/%Y})"
    for start in range(0, len(found.household_ids), BATCH):
        service.erase(
            session,
            actor=None,
            household_ids=found.household_ids[start : start + BATCH],
            kind="retention",
            reason=reason,
        )
    return found
