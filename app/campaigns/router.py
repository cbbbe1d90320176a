from typing import Any

from fastapi import APIRouter

from app.campaigns import service
from app.campaigns.schemas import CampaignIn, CampaignOut, CampaignPageOut, CampaignPatch
from app.deps import PageDep, ScopeDep, SessionDep
from app.routing import OneHopRoute
from app.schemas_common import IdPath, IdQuery

router = APIRouter(prefix="/campaigns", tags=["campaigns"], route_class=OneHopRoute)


@router.get("", response_model=CampaignPageOut)
def list_campaigns(session: SessionDep, scope: ScopeDep, page: PageDep, unit_id: IdQuery = None) -> dict[str, Any]:
    rows, total = service.list_campaigns(session, scope=scope, unit_id=unit_id, limit=page.limit, offset=page.offset)
    return {"items": service.describe(session, rows), "total": total, "limit": page.limit, "offset": page.offset}


@router.post("", response_model=CampaignOut, status_code=201)
def create_campaign(body: CampaignIn, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return service.describe(session, [service.create_campaign(session, scope=scope, data=body)])[0]


@router.get("/{campaign_id}", response_model=CampaignOut)
def get_campaign(campaign_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    return service.describe(session, [service.get_campaign(session, scope=scope, campaign_id=campaign_id)])[0]


@router.patch("/{campaign_id}", response_model=CampaignOut)
def update_campaign(campaign_id: IdPath, body: CampaignPatch, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    campaign = service.update_campaign(session, scope=scope, campaign_id=campaign_id, data=body)
    return service.describe(session, [campaign])[0]


@router.post("/{campaign_id}/close", response_model=CampaignOut)
def close_campaign(campaign_id: IdPath, session: SessionDep, scope: ScopeDep) -> dict[str, Any]:
    """End a running campaign today: it no longer shows as running; its visits stay counted."""
    return service.describe(session, [service.close_campaign(session, scope=scope, campaign_id=campaign_id)])[0]
