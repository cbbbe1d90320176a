"""Reports in either tree of units: `scheme=vn2004` (province → district → commune → hamlet, the list in
force until 30 June 2025) or `scheme=vn2025` (province → commune → hamlet).

Data is recorded under the hamlet where it was collected, and hamlets are never converted. A 2025
province or commune reads the hamlets it now contains (`app.units.conversion.Area`): its own 2025
hamlets, the hamlets of every pre-2025 commune that went whole into one of its communes, and the
hamlets of split communes once an admin assigned them. A split commune's hamlets not yet assigned are
the province's "chưa phân bổ" row: counted in the province, in no commune, never dropped.

The roll-up sums the hamlet-level aggregate rows (`unit_coverage`, `unit_skill`, `unit_milestone`,
`unit_daily`, all maintained on write) grouped in SQL by (the hamlet's parent, its assignment), so a
province reads one row per old commune and table, never raw visits; the forces deployed come from
the same GROUP BY over visits as in the pre-2025 tree. The JSON is the same as `app.reports.service`'s.

The default scheme is the unit's own; for a hamlet (the same rows in both trees) the scheme of the
user's unit, which decides the breadcrumbs above it.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.auth.scope import Scope
from app.errors import Invalid
from app.models import (
    ALL_TIME,
    AdminUnit,
    Campaign,
    CampaignUnit,
    HamletAssignment,
    UnitCoverage,
    UnitDaily,
    UnitMilestone,
    UnitSkill,
    Visit,
)
from app.models.aggregates import COVERAGE_COUNTERS
from app.models.base import utcnow
from app.models.units import SCHEME_2004, SCHEME_2025
from app.reports import service
from app.reports.schemas import (
    CoverageFigures,
    CoverageOut,
    DayFigures,
    ForceFigures,
    LabelOut,
    ProgressOut,
    Target,
    ToVisitOut,
    UnitRef,
)
from app.units import conversion
from app.units.conversion import UNASSIGNED, Area

SCHEMES = (SCHEME_2004, SCHEME_2025)
SCHEME_PATTERN = "^(vn2004|vn2025)$"
UNASSIGNED_NAME = "Chưa phân bổ"
SCHEME_WORDS = {SCHEME_2004: "trước ngày 01/07/2025 (vn2004)", SCHEME_2025: "từ ngày 01/07/2025 (vn2025)"}


class SchemeMismatch(Invalid):
    code = "scheme_mismatch"
    message_vi = "Đơn vị này không thuộc danh mục đơn vị hành chính đã chọn."
    message_en = "This unit does not belong to the chosen list of administrative units."


def unassigned_ref(level: str = "commune") -> UnitRef:
    """The "chưa phân bổ" row of a province: id 0, no code."""
    return UnitRef(id=UNASSIGNED, level=level, code="", name=UNASSIGNED_NAME)


def scheme_for(session: Session, scope: Scope, unit: AdminUnit, requested: str | None) -> str:
    if unit.level != "hamlet":
        if requested is not None and requested != unit.scheme:
            raise SchemeMismatch(
                f"{unit.name} thuộc danh mục {SCHEME_WORDS.get(unit.scheme, unit.scheme)}: hãy xem theo danh mục đó "
                "hoặc chọn một đơn vị của danh mục kia.",
                f"{unit.name} belongs to the {unit.scheme} list: read it in that list or choose a unit of the other.",
                details={"unit_id": unit.id, "unit_scheme": unit.scheme, "scheme": requested},
            )
        return unit.scheme
    if requested is not None:
        return requested
    own = session.get(AdminUnit, scope.user.unit_id) if scope.user.unit_id else None
    return own.scheme if own is not None else unit.scheme


def resolve(
    session: Session, *, scope: Scope, unit_id: int | None, campaign_id: int, scheme: str | None
) -> tuple[AdminUnit, Campaign | None, str]:
    unit, campaign = service.resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id)
    return unit, campaign, scheme_for(session, scope, unit, scheme)


def _rolled_up(unit: AdminUnit, scheme: str) -> bool:
    """Whether the figures come from the 2025 roll-up (a 2025 province or commune)."""
    return scheme == SCHEME_2025 and unit.scheme == SCHEME_2025 and unit.level in ("province", "commune")


def ancestors_in(session: Session, unit: AdminUnit, scheme: str) -> list[UnitRef] | None:
    """The breadcrumbs of a pre-2025 hamlet read in the 2025 tree (None: keep the unit's own)."""
    if unit.level == "hamlet" and unit.scheme == SCHEME_2004 and scheme == SCHEME_2025:
        return [service.unit_ref(u) for u in conversion.chain_2025(session, unit)]
    return None


# --- sums of hamlet rows ------------------------------------------------------------------------------


Hamlet = aliased(AdminUnit, name="hamlet")


def _grouped(
    session: Session,
    area: Area,
    model: Any,
    columns: Sequence[str],
    *,
    where: Sequence[Any],
    extra: Sequence[Any] = (),
    per_hamlet: bool = False,
) -> list[tuple[int, int, tuple[Any, ...], list[int]]]:
    """Sum `columns` of `model`'s hamlet rows inside the area, grouped by (hamlet's parent, its
    assignment[, hamlet id], *extra). Returns (owner, hamlet id or 0, extra values, sums) for the rows
    the area owns (owner: a 2025 commune id, or UNASSIGNED)."""
    keys: list[Any] = [col(Hamlet.parent_id), col(HamletAssignment.commune_id)]
    if per_hamlet:
        keys.append(col(Hamlet.id))
    keys += list(extra)
    stmt = (
        select(*keys, *(func.sum(getattr(model, c)) for c in columns))
        .select_from(model)
        .join(Hamlet, col(Hamlet.id) == model.unit_id)
        .outerjoin(HamletAssignment, col(HamletAssignment.hamlet_id) == Hamlet.id)
        .where(Hamlet.level == "hamlet", col(Hamlet.parent_id).in_(area.parents), *where)
        .group_by(*keys)
    )
    out = []
    for row in session.execute(stmt).all():
        parent_id, assigned = row[0], row[1]
        owner = area.owner(parent_id, assigned)
        if owner is None:
            continue
        rest = row[2:]
        hamlet_id = 0
        if per_hamlet:
            hamlet_id, rest = rest[0], rest[1:]
        n = len(extra)
        out.append((owner, hamlet_id, tuple(rest[:n]), [int(v or 0) for v in rest[n:]]))
    return out


def _hamlets(session: Session, area: Area) -> list[tuple[AdminUnit, int]]:
    """Every hamlet the area owns, with its owner."""
    rows = session.exec(
        select(Hamlet, HamletAssignment.commune_id)
        .outerjoin(HamletAssignment, col(HamletAssignment.hamlet_id) == Hamlet.id)
        .where(Hamlet.level == "hamlet", col(Hamlet.parent_id).in_(area.parents))
    ).all()
    out = []
    for hamlet, assigned in rows:
        owner = area.owner(hamlet.parent_id or 0, assigned)
        if owner is not None:
            out.append((hamlet, owner))
    return out


def _taking_part(session: Session, campaign: Campaign) -> list[AdminUnit]:
    listed = session.exec(
        select(AdminUnit)
        .join(CampaignUnit, col(CampaignUnit.unit_id) == AdminUnit.id)
        .where(CampaignUnit.campaign_id == campaign.id)
    ).all()
    return list(listed) or [u for u in [session.get(AdminUnit, campaign.unit_id)] if u is not None]


class _Rollup:
    """The figures of a 2025 unit and of its children (communes, or hamlets for a commune)."""

    def __init__(self, session: Session, unit: AdminUnit, campaign: Campaign | None) -> None:
        self.session = session
        self.unit = unit
        self.campaign = campaign
        self.area = conversion.area_of(session, unit)
        self.per_hamlet = unit.level == "commune"
        self.campaign_id = campaign.id if campaign is not None else ALL_TIME
        self.owner_paths: dict[int, str] = {UNASSIGNED: unit.path, **self.area.paths}

    def key(self, owner: int, hamlet_id: int) -> int:
        return hamlet_id if self.per_hamlet else owner

    def counters(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COVERAGE_COUNTERS, 0))
        rows = _grouped(
            self.session,
            self.area,
            UnitCoverage,
            COVERAGE_COUNTERS,
            where=[UnitCoverage.campaign_id == self.campaign_id],
            per_hamlet=self.per_hamlet,
        )
        for owner, hamlet_id, _, sums in rows:
            target = out[self.key(owner, hamlet_id)]
            for name, value in zip(COVERAGE_COUNTERS, sums, strict=True):
                target[name] += value
        return out

    def denominators(self) -> dict[int, tuple[int, int]]:
        """(households, people) per key, from the all-time hamlet rows; for a campaign only the hamlets
        inside a unit taking part (in either tree)."""
        stmt = (
            select(  # type: ignore[call-overload]
                col(Hamlet.id),
                col(Hamlet.parent_id),
                col(Hamlet.path),
                col(HamletAssignment.commune_id),
                col(UnitCoverage.households),
                col(UnitCoverage.people),
            )
            .select_from(UnitCoverage)
            .join(Hamlet, col(Hamlet.id) == UnitCoverage.unit_id)
            .outerjoin(HamletAssignment, col(HamletAssignment.hamlet_id) == Hamlet.id)
            .where(
                Hamlet.level == "hamlet",
                col(Hamlet.parent_id).in_(self.area.parents),
                UnitCoverage.campaign_id == ALL_TIME,
            )
        )
        taking_part = _taking_part(self.session, self.campaign) if self.campaign is not None else None
        out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for hamlet_id, parent_id, path, assigned, households, people in self.session.execute(stmt).all():
            owner = self.area.owner(parent_id, assigned)
            if owner is None:
                continue
            if taking_part is not None and not any(
                path.startswith(p.path) or self.owner_paths[owner].startswith(p.path) for p in taking_part
            ):
                continue
            row = out[self.key(owner, hamlet_id)]
            row[0] += households
            row[1] += people
        return {k: (v[0], v[1]) for k, v in out.items()}

    def skills(self) -> dict[int, dict[str, tuple[int, int]]]:
        out: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        for owner, hamlet_id, (skill_id,), sums in _grouped(
            self.session,
            self.area,
            UnitSkill,
            ("people_taught", "people_proficient"),
            where=[UnitSkill.campaign_id == self.campaign_id],
            extra=[col(UnitSkill.skill_id)],
            per_hamlet=self.per_hamlet,
        ):
            row = out[self.key(owner, hamlet_id)][skill_id]
            row[0] += sums[0]
            row[1] += sums[1]
        return {k: {s: (v[0], v[1]) for s, v in d.items()} for k, d in out.items()}

    def milestones(self) -> dict[int, dict[str, int]]:
        out: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for owner, hamlet_id, (milestone_id,), sums in _grouped(
            self.session,
            self.area,
            UnitMilestone,
            ("people",),
            where=[UnitMilestone.campaign_id == self.campaign_id],
            extra=[col(UnitMilestone.milestone_id)],
            per_hamlet=self.per_hamlet,
        ):
            out[self.key(owner, hamlet_id)][milestone_id] += sums[0]
        return out

    def daily(self) -> dict[date, list[int]]:
        """The unit's total per day: visits, visited, covered 1, covered 2, proficient in all five."""
        columns = (
            "visits",
            "households_visited",
            "households_covered_1",
            "households_covered_2",
            "people_proficient_all",
        )
        out: dict[date, list[int]] = defaultdict(lambda: [0] * len(columns))
        for _, _, (day,), sums in _grouped(
            self.session,
            self.area,
            UnitDaily,
            columns,
            where=[UnitDaily.campaign_id == self.campaign_id],
            extra=[col(UnitDaily.day)],
        ):
            row = out[day]
            for i, value in enumerate(sums):
                row[i] += value
        return out

    def forces(self, hamlets: list[tuple[AdminUnit, int]]) -> dict[int, ForceFigures]:
        """As `service.forces_for`: one GROUP BY over the visits counted for the campaign in the area's
        hamlets, returning distinct (hamlet, volunteer, day, team), credited to the unit (key -1) and
        to the hamlet's child row."""
        keys = {h.id or 0: (-1, self.key(owner, h.id or 0)) for h, owner in hamlets}
        stmt = (
            select(*service.FORCE_COLUMNS)
            .join(Hamlet, col(Hamlet.id) == Visit.hamlet_id)
            .where(col(Hamlet.parent_id).in_(self.area.parents))
        )
        rows = self.session.exec(service.counted_work(stmt, self.campaign)).all()
        return service.credit_forces(rows, keys, {-1, *(k for pair in keys.values() for k in pair)})


def _sum_figures(parts: list[dict[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(COVERAGE_COUNTERS, 0)
    for part in parts:
        for name in COVERAGE_COUNTERS:
            total[name] += part.get(name, 0)
    return total


def _figures_2025(
    session: Session,
    unit: AdminUnit,
    campaign: Campaign | None,
    skills: list[LabelOut],
    milestones: list[LabelOut],
    with_forces: bool,
    communes: list[AdminUnit] | None = None,
) -> tuple[CoverageFigures, list[CoverageFigures], str | None]:
    """(the unit's totals, one row per child, the children's level). `communes`: a province's, when
    already read."""
    rollup = _Rollup(session, unit, campaign)
    counters = rollup.counters()
    totals = rollup.denominators()
    skill_rows = rollup.skills()
    milestone_rows = rollup.milestones()
    need_hamlets = with_forces or rollup.per_hamlet
    hamlets = _hamlets(session, rollup.area) if need_hamlets else []
    forces = rollup.forces(hamlets) if with_forces else None
    threshold = service.threshold_of(campaign)

    refs: list[UnitRef] = []
    if rollup.per_hamlet:
        old_names = {
            u.id: u.name
            for u in session.exec(
                select(AdminUnit).where(col(AdminUnit.id).in_({h.parent_id for h, _ in hamlets} - {unit.id}))
            ).all()
        }
        for hamlet, _ in sorted(hamlets, key=lambda p: (p[0].code, p[0].name)):
            ref = service.unit_ref(hamlet)
            if hamlet.parent_id in old_names:  # a pre-2025 hamlet: say which old commune it comes from
                old = old_names[hamlet.parent_id]
                ref = ref.model_copy(update={"name": f"{hamlet.name} ({old[:1].lower()}{old[1:]} cũ)"})
            refs.append(ref)
        child_level: str | None = "hamlet" if refs else None
    else:
        if communes is None:
            communes = service.family(session, unit)[1]
        refs = [service.unit_ref(c) for c in communes]
        has_unassigned = UNASSIGNED in counters or UNASSIGNED in totals or any(o == UNASSIGNED for _, o in hamlets)
        if has_unassigned:
            refs.append(unassigned_ref())
        child_level = "commune" if refs else None

    def figures(ref: UnitRef, keys: list[int], own: int | None) -> CoverageFigures:
        counts = _sum_figures([counters[k] for k in keys if k in counters])
        households = sum(totals.get(k, (0, 0))[0] for k in keys)
        people = sum(totals.get(k, (0, 0))[1] for k in keys)
        skills_sum: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        milestones_sum: dict[str, int] = defaultdict(int)
        for k in keys:
            for skill_id, (taught, proficient) in skill_rows.get(k, {}).items():
                skills_sum[skill_id][0] += taught
                skills_sum[skill_id][1] += proficient
            for milestone_id, people_count in milestone_rows.get(k, {}).items():
                milestones_sum[milestone_id] += people_count
        skill_objects = {
            s: UnitSkill(unit_id=0, campaign_id=0, skill_id=s, people_taught=v[0], people_proficient=v[1])
            for s, v in skills_sum.items()
        }
        force = None
        if forces is not None:
            force = forces.get(own if own is not None else -1, ForceFigures())
        fig = service._figures(
            unit,
            threshold,
            counts,
            households=households,
            people=people,
            skills=skills,
            skill_rows=skill_objects,
            milestones=milestones,
            milestone_rows=dict(milestones_sum),
            forces=force,
        )
        return fig.model_copy(update={"unit": ref})

    keys = sorted(set(counters) | set(totals) | set(skill_rows) | set(milestone_rows))
    total = figures(service.unit_ref(unit), keys, None)
    children = [figures(ref, [ref.id], ref.id) for ref in refs]
    return total, children, child_level


# --- the reports --------------------------------------------------------------------------------------


def coverage(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None,
    campaign_id: int = ALL_TIME,
    with_forces: bool = False,
    scheme: str | None = None,
) -> CoverageOut:
    """`service.coverage` in the chosen tree."""
    unit, campaign, scheme = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)
    if not _rolled_up(unit, scheme):
        report = service.coverage(
            session, scope=scope, unit_id=unit.id, campaign_id=campaign_id, with_forces=with_forces
        )
        ancestors = ancestors_in(session, unit, scheme)
        return report if ancestors is None else report.model_copy(update={"ancestors": ancestors})
    above, below = service.family(session, unit)
    skills, milestones = service.catalogue(session, scope, unit)
    totals, children, child_level = _figures_2025(session, unit, campaign, skills, milestones, with_forces, below)
    threshold = service.threshold_of(campaign)
    return CoverageOut(
        unit=service.unit_ref(unit),
        ancestors=[service.unit_ref(u) for u in above],
        campaign=service._campaign_ref(campaign),
        covered_threshold=threshold,
        target=Target(
            households=totals.households,
            covered_threshold=threshold,
            people_proficient_all=totals.households * threshold,
        ),
        skills=skills,
        milestones=milestones,
        totals=totals,
        child_level=child_level,
        children=children,
        generated_at=utcnow(),
    )


def commune_figures(
    session: Session, *, scope: Scope, unit_id: int, campaign_id: int = ALL_TIME, scheme: str | None = None
) -> list[tuple[UnitRef | None, CoverageFigures]]:
    """Every commune of a province (2025: every 2025 commune, then "chưa phân bổ" if any)."""
    unit, campaign, scheme = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)
    if not _rolled_up(unit, scheme):
        return service.commune_figures(session, scope=scope, unit_id=unit.id or 0, campaign_id=campaign_id)
    skills, milestones = service.catalogue(session, scope, unit)
    _, children, _ = _figures_2025(session, unit, campaign, skills, milestones, True)
    return [(None, f) for f in children]


def progress(
    session: Session, *, scope: Scope, unit_id: int | None, campaign_id: int = ALL_TIME, scheme: str | None = None
) -> ProgressOut:
    """`service.progress` in the chosen tree."""
    unit, campaign, scheme = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)
    if not _rolled_up(unit, scheme):
        report = service.progress(session, scope=scope, unit_id=unit.id, campaign_id=campaign_id)
        ancestors = ancestors_in(session, unit, scheme)
        return report if ancestors is None else report.model_copy(update={"ancestors": ancestors})
    rollup = _Rollup(session, unit, campaign)
    households = sum(h for h, _ in rollup.denominators().values())
    rows = rollup.daily()
    threshold = service.threshold_of(campaign)
    covered_at = 3 if threshold == 2 else 2
    days: list[DayFigures] = []
    running = [0, 0, 0, 0]  # visits, visited, covered, proficient
    for day, visits, visited, covered, proficient in _window(
        campaign, {d: (r[0], r[1], r[covered_at], r[4]) for d, r in rows.items()}
    ):
        running = [running[0] + visits, running[1] + visited, running[2] + covered, running[3] + proficient]
        if day is None:
            continue  # before the window: counts towards the running totals only
        days.append(
            DayFigures(
                day=day,
                visits=visits,
                households_visited=visited,
                households_covered=covered,
                people_proficient_all=proficient,
                cumulative_visits=running[0],
                cumulative_households_visited=running[1],
                cumulative_households_covered=running[2],
                cumulative_people_proficient_all=running[3],
                cumulative_visited_pct=service.pct(running[1], households),
                cumulative_covered_pct=service.pct(running[2], households),
            )
        )
    return ProgressOut(
        unit=service.unit_ref(unit),
        ancestors=[service.unit_ref(u) for u in service.family(session, unit)[0]],
        campaign=service._campaign_ref(campaign),
        covered_threshold=threshold,
        households=households,
        days=days,
        generated_at=utcnow(),
    )


def _window(
    campaign: Campaign | None, rows: dict[date, tuple[int, int, int, int]]
) -> Iterator[tuple[date | None, int, int, int, int]]:
    """The days of `service.progress`: the campaign's (all time: first to last active day, at most
    MAX_DAYS), each with its figures; days before the window come first with day None."""
    if campaign is not None:
        first, last = campaign.starts_on, campaign.ends_on
    elif rows:
        first, last = min(rows), max(rows)
        first = max(first, last - timedelta(days=service.MAX_DAYS - 1))
    else:
        return
    for day in sorted(d for d in rows if d < first):
        yield None, *rows[day]
    day = first
    while day <= last:
        yield day, *rows.get(day, (0, 0, 0, 0))
        day += timedelta(days=1)


def area_hamlet_ids(session: Session, unit: AdminUnit) -> list[int]:
    """The hamlets a 2025 province or commune contains (for the to-visit list)."""
    return [h.id or 0 for h, owner in _hamlets(session, conversion.area_of(session, unit))]


def to_visit(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None,
    campaign_id: int = ALL_TIME,
    reason: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
    scheme: str | None = None,
) -> ToVisitOut:
    """`service.to_visit` in the chosen tree: a 2025 unit lists the households of the hamlets it contains."""
    unit, _, scheme = resolve(session, scope=scope, unit_id=unit_id, campaign_id=campaign_id, scheme=scheme)
    hamlet_ids = area_hamlet_ids(session, unit) if _rolled_up(unit, scheme) else None
    return service.to_visit(
        session,
        scope=scope,
        unit_id=unit.id,
        campaign_id=campaign_id,
        reason=reason,
        limit=limit,
        offset=offset,
        hamlet_ids=hamlet_ids,
    )


__all__ = [
    "SCHEMES",
    "SchemeMismatch",
    "commune_figures",
    "coverage",
    "progress",
    "to_visit",
]
