"""What a phone's pull sends besides the rows: the hamlets of the user's area with the version each
has reached, and the catalogue (units, skills with the province's labels and lesson cards, milestones,
campaigns, the privacy notice), small and rarely changed, sent whole when any of it changes."""

from typing import Any

from sqlalchemy import and_
from sqlalchemy import select as sa_select
from sqlmodel import Session

from app.auth.scope import Scope
from app.models import AdminUnit, AreaVersion, Campaign, CampaignUnit, Milestone, Skill, SkillLabel, SkillLessons
from app.models.base import table_of
from app.models.units import unit_chain
from app.privacy import notice


def area_of(session: Session, scope: Scope) -> tuple[dict[int, Any], dict[int, int]]:
    """The hamlets a phone of this user downloads (id → row) and the version each has reached."""
    u, av = table_of(AdminUnit).c, table_of(AreaVersion).c
    stmt = (
        sa_select(u.id, u.name, u.level, u.code, u.parent_id, u.path, av.version)
        .outerjoin(table_of(AreaVersion), av.hamlet_id == u.id)
        .where(u.level == "hamlet")
    )
    if scope.is_admin:
        pass
    elif scope.unit_path is not None:
        stmt = stmt.where(u.path.startswith(scope.unit_path))
    else:
        stmt = stmt.where(u.id.in_(sorted(scope.hamlet_ids)))
    rows = session.execute(stmt).all()
    return {r.id: r for r in rows}, {r.id: r.version for r in rows if r.version is not None}


def catalogue(session: Session, area: dict[int, Any]) -> list[dict[str, Any]]:
    """Units of the area, the skills (with the province's own labels and lessons), milestones and
    campaigns, and the notice: three reads."""
    changes: list[dict[str, Any]] = []
    for unit_id in sorted(area):
        unit = area[unit_id]
        data: dict[str, Any] = {
            "id": unit.id,
            "name": unit.name,
            "level": unit.level,
            "code": unit.code,
            "parent_id": unit.parent_id,
        }
        changes.append({"type": "unit", "op": "put", "id": str(unit.id), "data": data})
    chains = [unit_chain(u.path) for u in area.values()]
    provinces = sorted({chain[0] for chain in chains if chain})
    province = provinces[0] if provinces else None
    changes += _skills(session, province)
    ms = table_of(Milestone).c
    milestones = session.execute(
        sa_select(ms.id, ms.position, ms.label_vi, ms.label_en, ms.is_active)
        .where(ms.province_unit_id.is_(None) | ms.province_unit_id.in_(provinces))
        .order_by(ms.position, ms.id)
    ).all()
    for milestone_id, position, label_vi, label_en, is_active in milestones:
        if not is_active:
            changes.append({"type": "milestone", "op": "delete", "id": milestone_id})
            continue
        data = {"id": milestone_id, "position": position, "label_vi": label_vi, "label_en": label_en}
        changes.append({"type": "milestone", "op": "put", "id": milestone_id, "data": data})
    above = {unit_id for chain in chains for unit_id in chain}
    if above:
        changes += _campaigns(session, above)
    # The notice read out at the door travels with the catalogue: the phone shows it with no signal.
    current = notice.current()
    data = {"version": current.version, "text_vi": current.text_vi, "text_en": current.text_en}
    changes.append({"type": "notice", "op": "put", "id": "current", "data": data})
    return changes


def _skills(session: Session, province: int | None) -> list[dict[str, Any]]:
    """The skills in order, each with the province's own label and lesson cards where it has them."""
    s, label, lessons = table_of(Skill).c, table_of(SkillLabel).c, table_of(SkillLessons).c
    if province is None:
        stmt = sa_select(s.id, s.position, s.label_vi, s.label_en, s.lessons)
    else:
        stmt = (
            sa_select(
                s.id, s.position, s.label_vi, s.label_en, s.lessons, label.label_vi, label.label_en, lessons.lessons
            )
            .outerjoin(table_of(SkillLabel), and_(label.skill_id == s.id, label.province_unit_id == province))
            .outerjoin(table_of(SkillLessons), and_(lessons.skill_id == s.id, lessons.province_unit_id == province))
        )
    out = []
    for skill_id, position, vi, en, national, *own in session.execute(stmt.order_by(s.position)).all():
        own_vi, own_en, own_lessons = own or (None, None, None)
        data = {
            "id": skill_id,
            "position": position,
            "label_vi": vi if own_vi is None else own_vi,
            "label_en": en if own_vi is None else own_en,
            # The lesson cards travel with the catalogue, so the phone opens them with no signal.
            "lessons": (national or []) if own_lessons is None else own_lessons,
        }
        out.append({"type": "skill", "op": "put", "id": skill_id, "data": data})
    return out


def _campaigns(session: Session, above: set[int]) -> list[dict[str, Any]]:
    """The campaigns of the area's units and those above: a campaign that lists the units taking part
    only when one of them is in the area's chain."""
    c, cu = table_of(Campaign).c, table_of(CampaignUnit).c
    rows = session.execute(
        sa_select(c.id, c.name, c.unit_id, c.starts_on, c.ends_on, c.covered_threshold, cu.unit_id)
        .outerjoin(table_of(CampaignUnit), cu.campaign_id == c.id)
        .where(c.unit_id.in_(sorted(above)))
        .order_by(c.id)
    ).all()
    listed: dict[int, set[int]] = {}
    for row in rows:
        if row[-1] is not None:
            listed.setdefault(row.id, set()).add(row[-1])
    out = []
    seen: set[int] = set()
    for campaign_id, name, unit_id, starts_on, ends_on, threshold, _ in rows:
        if campaign_id in seen or (campaign_id in listed and not listed[campaign_id] & above):
            continue
        seen.add(campaign_id)
        data = {
            "id": campaign_id,
            "name": name,
            "unit_id": unit_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "covered_threshold": threshold,
        }
        out.append({"type": "campaign", "op": "put", "id": str(campaign_id), "data": data})
    return out
