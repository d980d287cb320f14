"""Control plane and internal calls of mass send: the follower's inbox, messaging's account stats."""

from __future__ import annotations

from fastapi import APIRouter, Query

from contracts.messaging.client import ACCOUNT_STATS_PATH
from contracts.messaging.schemas import AccountStats
from servicekit.clock import DEFAULT_NAMESPACE
from servicekit.db import SessionDep
from services.messaging.mass import service
from services.messaging.mass.schemas import FollowerInbox

sandbox_router = APIRouter(prefix="/_sandbox", tags=["sandbox: followers"])
internal_router = APIRouter(tags=["internal"])


@sandbox_router.get(
    "/followers/{openid}/inbox", response_model=FollowerInbox, response_model_exclude_unset=True
)
async def follower_inbox(
    openid: str, session: SessionDep, limit: int = Query(default=50, ge=1, le=500)
) -> FollowerInbox:
    """What the follower sees (R-MSG-24): `folder` is `subscription` (订阅号) or `chat`, newest first."""
    return await service.inbox(session, openid=openid, limit=limit)


@internal_router.get(ACCOUNT_STATS_PATH, response_model=AccountStats)
async def account_stats(
    account_id: str,
    session: SessionDep,
    namespace: str = DEFAULT_NAMESPACE,
    account_type: str | None = Query(default=None, alias="type"),
) -> AccountStats:
    """Without `type`, the quota is that of the type mass send last saw for the account (or none)."""
    return await service.account_stats(
        session, account_id=account_id, namespace=namespace, account_type=account_type
    )
