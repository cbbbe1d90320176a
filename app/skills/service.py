"""The skill catalogue as a province sees it.

The five skills are fixed (coverage means proficient in all five); their wording is data. A province
names its own platform for skill 5 and adds milestones of its own next to the national ones. Province
officials change their province's catalogue; admins change any, and the national milestones.
"""

import re
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from app.auth.scope import Scope
from app.errors import Forbidden, Invalid, NotFound, OutsideYourArea
from app.models import AdminUnit, Milestone, Skill, SkillLabel, SkillLessons
from app.models.units import unit_chain
from app.skills.schemas import Lesson, MilestoneIn, MilestonePatch
from app.text import fold
from app.units import service as units

# The four national skills are worded by the ministry; the fifth names a local platform.
EDITABLE_SKILLS = ("digital_platforms",)


class SkillNotFound(NotFound):
    code = "skill_not_found"
    message_vi = "Không tìm thấy kỹ năng."
    message_en = "Skill not found."


class MilestoneNotFound(NotFound):
    code = "milestone_not_found"
    message_vi = "Không tìm thấy mốc."
    message_en = "Milestone not found."


def home_province(scope: Scope) -> int | None:
    """The province the caller works in (admins have none)."""
    if scope.unit_path is not None and scope.unit_path != "\x00":
        return unit_chain(scope.unit_path)[0]
    if scope.hamlet_paths:
        return unit_chain(scope.hamlet_paths[0])[0]
    return None


def _province(session: Session, province_id: int) -> AdminUnit:
    unit = units.get_unit(session, province_id)
    if unit.level != "province":
        raise Invalid(
            "Đơn vị này không phải là tỉnh/thành phố.",
            "This unit is not a province.",
            code="not_a_province",
            details={"province_id": province_id},
        )
    return unit


def _province_to_edit(session: Session, scope: Scope, province_id: int | None) -> int:
    """The province whose catalogue the caller changes: their own, or any for an admin."""
    if not scope.is_admin and scope.user.role != "province_official":
        raise Forbidden()
    own = home_province(scope)
    target = province_id or own
    if target is None:
        raise Invalid("Chọn tỉnh/thành phố.", "Choose a province.", code="province_required")
    unit = _province(session, target)
    if not scope.is_admin and unit.id != own:
        raise OutsideYourArea(details={"province_id": target})
    return unit.id  # type: ignore[return-value]


def catalogue(
    session: Session, *, scope: Scope, province_id: int | None, include_inactive: bool = False
) -> dict[str, Any]:
    province = _province(session, province_id).id if province_id else home_province(scope)
    skills = session.exec(select(Skill).order_by(col(Skill.position))).all()
    labels = {}
    if province is not None:
        labels = {
            label.skill_id: label
            for label in session.exec(select(SkillLabel).where(SkillLabel.province_unit_id == province)).all()
        }
    stmt = select(Milestone).where(
        or_(col(Milestone.province_unit_id).is_(None), col(Milestone.province_unit_id) == province)
    )
    if not include_inactive:
        stmt = stmt.where(col(Milestone.is_active))
    milestones = session.exec(stmt.order_by(col(Milestone.position), col(Milestone.id))).all()
    own = lessons_of(session, province)
    return {
        "province_id": province,
        "skills": [
            {
                "id": s.id,
                "position": s.position,
                "label_vi": labels[s.id].label_vi if s.id in labels else s.label_vi,
                "label_en": labels[s.id].label_en if s.id in labels else s.label_en,
                "national_label_vi": s.label_vi,
                "national_label_en": s.label_en,
                "local": s.id in labels,
                "editable": s.id in EDITABLE_SKILLS,
                "lessons": own.get(s.id, s.lessons or []),
                "local_lessons": s.id in own,
            }
            for s in skills
        ],
        "milestones": [{**m.model_dump(), "province_id": m.province_unit_id} for m in milestones],
    }


def _skill(session: Session, skill_id: str) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise SkillNotFound(details={"skill_id": skill_id})
    if skill.id not in EDITABLE_SKILLS:
        raise Invalid(
            "Tên kỹ năng này do Bộ quy định; tỉnh chỉ đặt tên cho kỹ năng 5 (nền tảng số).",
            "This skill's wording is national; a province names only skill 5 (digital platforms).",
            code="skill_label_fixed",
            details={"skill_id": skill_id},
        )
    return skill


def set_skill_label(
    session: Session, *, scope: Scope, skill_id: str, province_id: int | None, label_vi: str, label_en: str
) -> int:
    province = _province_to_edit(session, scope, province_id)
    skill = _skill(session, skill_id)
    label = session.get(SkillLabel, (skill.id, province))
    if label is None:
        label = SkillLabel(skill_id=skill.id, province_unit_id=province, label_vi=label_vi, label_en=label_en)
    label.label_vi, label.label_en = label_vi, label_en
    session.add(label)
    session.flush()
    return province


def reset_skill_label(session: Session, *, scope: Scope, skill_id: str, province_id: int | None) -> int:
    province = _province_to_edit(session, scope, province_id)
    skill = _skill(session, skill_id)
    session.execute(
        delete(SkillLabel).where(col(SkillLabel.skill_id) == skill.id, col(SkillLabel.province_unit_id) == province)
    )
    return province


def _milestone_id(session: Session, prefix: str, label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", fold(label)).strip("_")[:30] or "moc"
    base = f"{prefix}_{slug}"[:36]
    candidate, n = base, 1
    while session.get(Milestone, candidate) is not None:
        n += 1
        candidate = f"{base}_{n}"
    return candidate


def create_milestone(session: Session, *, scope: Scope, data: MilestoneIn) -> Milestone:
    if data.province_id is None and scope.is_admin:
        province, prefix = None, "vn"
    else:
        province = _province_to_edit(session, scope, data.province_id)
        unit = session.get(AdminUnit, province)
        prefix = f"p{unit.code if unit else province}"
    position = session.exec(select(func.coalesce(func.max(Milestone.position), 0))).one() + 1
    milestone = Milestone(
        id=_milestone_id(session, prefix, data.label_en or data.label_vi),
        position=position,
        label_vi=data.label_vi,
        label_en=data.label_en,
        province_unit_id=province,
    )
    session.add(milestone)
    session.flush()
    return milestone


def update_milestone(session: Session, *, scope: Scope, milestone_id: str, data: MilestonePatch) -> Milestone:
    """Milestones are never removed (visits refer to them): a province deactivates its own."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise MilestoneNotFound(details={"milestone_id": milestone_id})
    if milestone.province_unit_id is None:
        if not scope.is_admin:
            raise Forbidden(
                "Chỉ quản trị viên được sửa mốc toàn quốc.",
                "Only an admin changes national milestones.",
                code="national_milestone",
            )
    else:
        _province_to_edit(session, scope, milestone.province_unit_id)
    for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(milestone, name, value)
    session.add(milestone)
    session.flush()
    return milestone


def lessons_of(session: Session, province: int | None) -> dict[str, list[dict[str, Any]]]:
    """The province's own lesson cards by skill (the national ones apply to the others)."""
    if province is None:
        return {}
    rows = session.exec(select(SkillLessons).where(SkillLessons.province_unit_id == province)).all()
    return {row.skill_id: row.lessons for row in rows}


def _any_skill(session: Session, skill_id: str) -> Skill:
    skill = session.get(Skill, skill_id)
    if skill is None:
        raise SkillNotFound(details={"skill_id": skill_id})
    return skill


def set_skill_lessons(
    session: Session, *, scope: Scope, skill_id: str, province_id: int | None, lessons: list[Lesson]
) -> int | None:
    """A province official replaces their province's cards; an admin with no province, the national ones."""
    cards = [lesson.model_dump() for lesson in lessons]
    if scope.is_admin and province_id is None:
        skill = _any_skill(session, skill_id)
        skill.lessons = cards
        session.add(skill)
        session.flush()
        return None
    province = _province_to_edit(session, scope, province_id)
    skill = _any_skill(session, skill_id)
    row = session.get(SkillLessons, (skill.id, province))
    if row is None:
        row = SkillLessons(skill_id=skill.id, province_unit_id=province, lessons=cards)
    row.lessons = cards
    session.add(row)
    session.flush()
    return province


def reset_skill_lessons(session: Session, *, scope: Scope, skill_id: str, province_id: int | None) -> int:
    """Back to the national cards."""
    province = _province_to_edit(session, scope, province_id)
    skill = _any_skill(session, skill_id)
    session.exec(  # type: ignore[call-overload]
        delete(SkillLessons).where(
            col(SkillLessons.skill_id) == skill.id, col(SkillLessons.province_unit_id) == province
        )
    )
    session.flush()
    return province
