"""All tables. Importing this package registers every table on the shared metadata."""

from app.models.aggregates import UnitCoverage, UnitDaily, UnitMilestone, UnitSkill
from app.models.audit import AUDIT_CATEGORIES, AuditEntry, ExportLog
from app.models.campaigns import ALL_TIME, Campaign, CampaignUnit
from app.models.conversion import HamletAssignment, UnitConversion
from app.models.households import AreaVersion, Household, HouseholdHistory, Person
from app.models.skills import Milestone, Skill, SkillLabel, SkillLessons
from app.models.sync import HouseholdDeparture, SyncClient, SyncRejection
from app.models.teams import Team, TeamMember
from app.models.units import AdminUnit
from app.models.users import LoginThrottle, User, VolunteerArea
from app.models.visits import (
    HouseholdStatus,
    PersonMilestone,
    PersonSkill,
    Visit,
    VisitMilestone,
    VisitSkill,
)

__all__ = [
    "ALL_TIME",
    "AUDIT_CATEGORIES",
    "AdminUnit",
    "AreaVersion",
    "AuditEntry",
    "Campaign",
    "CampaignUnit",
    "ExportLog",
    "HamletAssignment",
    "Household",
    "HouseholdDeparture",
    "HouseholdHistory",
    "HouseholdStatus",
    "LoginThrottle",
    "Milestone",
    "Person",
    "PersonMilestone",
    "PersonSkill",
    "Skill",
    "SkillLabel",
    "SkillLessons",
    "SyncClient",
    "SyncRejection",
    "Team",
    "TeamMember",
    "UnitConversion",
    "UnitCoverage",
    "UnitDaily",
    "UnitMilestone",
    "UnitSkill",
    "User",
    "Visit",
    "VisitMilestone",
    "VisitSkill",
    "VolunteerArea",
]
