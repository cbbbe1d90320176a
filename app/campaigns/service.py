"""Campaigns: a unit's time-boxed drive, its dates, its coverage threshold and the units taking part.

Anyone reads the campaigns of their unit, of the units above it and (officials) below it; officials
create and change campaigns inside their own unit. A visit counts for a campaign when its day lies
inside the campaign's dates, so dates and unit cannot change under visits already counted.
"""

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, true
from sqlmodel import Session, col, delete, select

from app.auth.scope import OFFICIAL_ROLES, Scope, require_unit_across_schemes
from app.campaigns.schemas import CampaignIn, CampaignPatch
from app.errors import Conflict, Forbidden, Invalid, NotFound, OutsideYourArea
from app.models import AdminUnit, Campaign, CampaignUnit, Visit
from app.models.units import unit_chain
from app.units import conversion
from app.units import service as units

EARLIEST = date(2020, 1, 1)
LATEST = date(2100, 12, 31)
LONGEST = timedelta(days=731)
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


class CampaignNotFound(NotFound):
    code = "campaign_not_found"
    message_vi = "Không tìm thấy chiến dịch."
    message_en = "Campaign not found."


class InvalidDates(Invalid):
    code = "invalid_dates"
    message_vi = "Ngày của chiến dịch không hợp lệ."
    message_en = "The campaign's dates are invalid."


class CampaignHasVisits(Conflict):
    code = "campaign_has_visits"
    message_vi = "Chiến dịch đã có lượt thăm: không thể đổi đơn vị hoặc ngày làm thay đổi lượt thăm đã tính."
    message_en = "The campaign has visits: its unit, or dates that would change which visits count, cannot change."


def _require_manager(scope: Scope) -> None:
    if not scope.is_admin and scope.user.role not in OFFICIAL_ROLES:
        raise Forbidden()


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidDates(
            "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.",
            "The end date must be on or after the start date.",
            details={"starts_on": str(starts_on), "ends_on": str(ends_on)},
        )
    if starts_on < EARLIEST or ends_on > LATEST:
        raise InvalidDates(
            f"Ngày phải nằm trong khoảng {EARLIEST:%d/%m/%Y} – {LATEST:%d/%m/%Y}.",
            f"Dates must lie between {EARLIEST} and {LATEST}.",
            details={"starts_on": str(starts_on), "ends_on": str(ends_on)},
        )
    if ends_on - starts_on > LONGEST:
        raise InvalidDates(
            "Một chiến dịch kéo dài tối đa 2 năm.",
            "A campaign lasts at most two years.",
            details={"starts_on": str(starts_on), "ends_on": str(ends_on)},
        )


def _visible(scope: Scope) -> ColumnElement[bool]:
    """Campaigns of the caller's units, of the units above them, and (officials) below them."""
    if scope.is_admin:
        return true()
    if scope.unit_path is not None:
        inside = select(AdminUnit.id).where(col(AdminUnit.path).startswith(scope.unit_path))
        return or_(col(Campaign.unit_id).in_(inside), col(Campaign.unit_id).in_(unit_chain(scope.unit_path)))
    above = sorted({i for p in scope.hamlet_paths for i in unit_chain(p)})
    return col(Campaign.unit_id).in_(above)


def get_campaign(session: Session, *, scope: Scope, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(details={"campaign_id": campaign_id})
    if not session.exec(select(func.count()).where(col(Campaign.id) == campaign_id, _visible(scope))).one():
        raise OutsideYourArea(details={"campaign_id": campaign_id})
    return campaign


def list_campaigns(
    session: Session, *, scope: Scope, unit_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Campaign], int]:
    visible = _visible(scope)
    reach = None
    if unit_id is not None:
        unit = units.get_unit(session, unit_id)
        across = False
        if not scope.can_read_unit(unit):
            # An official of a 2025 unit reads the pre-2025 units inside it, with their campaigns.
            require_unit_across_schemes(session, scope, unit)
            across = True
        # The campaigns that reach this unit: its own, those above it, those below it.
        below = select(AdminUnit.id).where(col(AdminUnit.path).startswith(unit.path))
        reach = or_(col(Campaign.unit_id).in_(below), col(Campaign.unit_id).in_(unit_chain(unit.path)))
        if across:
            visible = or_(visible, reach)
        # A 2025 unit: also the campaigns of the pre-2025 units it now contains (the 2024 drive).
        old = conversion.pre_2025_units_reaching(session, unit)
        if old:
            reach = or_(reach, col(Campaign.unit_id).in_(old))
            visible = or_(visible, col(Campaign.unit_id).in_(old))
    stmt = select(Campaign).where(visible)
    if reach is not None:
        stmt = stmt.where(reach)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    rows = session.exec(
        stmt.order_by(col(Campaign.starts_on).desc(), col(Campaign.id).desc()).limit(limit).offset(offset)
    ).all()
    return list(rows), int(total)


def _campaign_unit(session: Session, scope: Scope, unit_id: int | None) -> AdminUnit:
    unit_id = unit_id or scope.user.unit_id
    if unit_id is None:
        raise Invalid("Chọn đơn vị của chiến dịch.", "Choose the campaign's unit.", code="unit_required")
    unit = units.get_unit(session, unit_id)
    if unit.level == "hamlet":
        raise Invalid(
            "Chiến dịch thuộc một xã, huyện hoặc tỉnh.",
            "A campaign belongs to a commune, a district or a province.",
            code="wrong_campaign_unit",
        )
    scope.require_unit(unit)
    return unit


def _set_units(session: Session, campaign: Campaign, unit: AdminUnit, unit_ids: list[int]) -> None:
    wanted = sorted(set(unit_ids))
    found = {u.id: u for u in session.exec(select(AdminUnit).where(col(AdminUnit.id).in_(wanted))).all()}
    for unit_id in wanted:
        part = found.get(unit_id)
        if part is None:
            raise units.UnitNotFound(details={"unit_id": unit_id})
        if not part.path.startswith(unit.path):
            raise Invalid(
                "Đơn vị tham gia phải thuộc đơn vị của chiến dịch.",
                "A participating unit must lie inside the campaign's unit.",
                code="unit_outside_campaign",
                details={"unit_id": unit_id},
            )
    session.execute(delete(CampaignUnit).where(col(CampaignUnit.campaign_id) == campaign.id))
    for unit_id in wanted:
        session.add(CampaignUnit(campaign_id=campaign.id, unit_id=unit_id))  # type: ignore[arg-type]


def create_campaign(session: Session, *, scope: Scope, data: CampaignIn) -> Campaign:
    _require_manager(scope)
    _check_dates(data.starts_on, data.ends_on)
    unit = _campaign_unit(session, scope, data.unit_id)
    campaign = Campaign(
        name=data.name,
        unit_id=unit.id,  # type: ignore[arg-type]
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        covered_threshold=data.covered_threshold,
    )
    session.add(campaign)
    session.flush()
    _set_units(session, campaign, unit, data.unit_ids)
    session.flush()
    return campaign


def _visits_between(session: Session, campaign_id: int, start: date, end: date) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(Visit)
            .where(Visit.campaign_id == campaign_id, col(Visit.visited_on).between(start, end))
        ).one()
    )


def update_campaign(session: Session, *, scope: Scope, campaign_id: int, data: CampaignPatch) -> Campaign:
    _require_manager(scope)
    campaign = get_campaign(session, scope=scope, campaign_id=campaign_id)
    unit = units.get_unit(session, campaign.unit_id)
    scope.require_unit(unit)
    fields = data.model_dump(exclude_unset=True, exclude_none=True)
    has_visits = session.exec(select(Visit.id).where(Visit.campaign_id == campaign.id).limit(1)).first() is not None
    if "unit_id" in fields and fields["unit_id"] != campaign.unit_id:
        if has_visits:
            raise CampaignHasVisits(details={"campaign_id": campaign.id})
        unit = _campaign_unit(session, scope, fields["unit_id"])
        campaign.unit_id = unit.id  # type: ignore[assignment]
        if "unit_ids" not in fields:
            kept = session.exec(select(CampaignUnit.unit_id).where(CampaignUnit.campaign_id == campaign.id)).all()
            fields["unit_ids"] = list(kept)
    starts_on = fields.get("starts_on", campaign.starts_on)
    ends_on = fields.get("ends_on", campaign.ends_on)
    if (starts_on, ends_on) != (campaign.starts_on, campaign.ends_on):
        _check_dates(starts_on, ends_on)
        if has_visits:
            before = _visits_between(session, campaign.id, campaign.starts_on, campaign.ends_on)  # type: ignore[arg-type]
            after = _visits_between(session, campaign.id, starts_on, ends_on)  # type: ignore[arg-type]
            both = _visits_between(
                session,
                campaign.id,  # type: ignore[arg-type]
                max(starts_on, campaign.starts_on),
                min(ends_on, campaign.ends_on),
            )
            if not before == after == both:
                raise CampaignHasVisits(
                    details={"campaign_id": campaign.id, "visits_affected": before + after - 2 * both}
                )
        campaign.starts_on, campaign.ends_on = starts_on, ends_on
    if "name" in fields:
        campaign.name = fields["name"]
    if "covered_threshold" in fields:
        # Both thresholds are kept for every household, so reports follow without recomputing.
        campaign.covered_threshold = fields["covered_threshold"]
    if "unit_ids" in fields:
        _set_units(session, campaign, unit, fields["unit_ids"])
    session.add(campaign)
    session.flush()
    return campaign


def today_in_vietnam() -> date:
    return datetime.now(VIETNAM).date()


def describe(session: Session, campaigns: list[Campaign]) -> list[dict[str, Any]]:
    ids = [c.id for c in campaigns]
    parts: dict[int, list[int]] = {i: [] for i in ids if i is not None}
    if ids:
        for campaign_id, unit_id in session.exec(
            select(CampaignUnit.campaign_id, CampaignUnit.unit_id)
            .where(col(CampaignUnit.campaign_id).in_(ids))
            .order_by(col(CampaignUnit.unit_id))
        ).all():
            parts[campaign_id].append(unit_id)
    unit_ids = sorted({c.unit_id for c in campaigns})
    names = dict(session.exec(select(AdminUnit.id, AdminUnit.name).where(col(AdminUnit.id).in_(unit_ids))).all())
    today = today_in_vietnam()
    out = []
    for c in campaigns:
        state = "upcoming" if today < c.starts_on else "ended" if today > c.ends_on else "running"
        out.append(
            {**c.model_dump(), "unit_name": names.get(c.unit_id, ""), "unit_ids": parts[c.id or 0], "state": state}
        )
    return out


def close_campaign(session: Session, *, scope: Scope, campaign_id: int) -> Campaign:
    """End a running campaign today (Việt Nam time). Visits made until today still count."""
    _require_manager(scope)
    campaign = get_campaign(session, scope=scope, campaign_id=campaign_id)
    today = today_in_vietnam()
    if campaign.ends_on <= today:
        return campaign
    if campaign.starts_on > today:
        raise Invalid(
            "Chiến dịch chưa bắt đầu: hãy sửa ngày thay vì kết thúc.",
            "The campaign has not started: change its dates instead.",
            code="campaign_not_started",
        )
    return update_campaign(session, scope=scope, campaign_id=campaign_id, data=CampaignPatch(ends_on=today))
