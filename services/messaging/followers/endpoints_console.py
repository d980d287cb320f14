"""Operator console: the account's followers, filtered by tag, paged by an opaque cursor."""

from __future__ import annotations

from fastapi import APIRouter, Query

from contracts.registration.identity import ConsoleAccount
from servicekit.db import SessionDep
from services.messaging.dependencies import require_approved
from services.messaging.followers import rules, service
from services.messaging.followers.schemas import FollowerPage

router = APIRouter(prefix="/api/v1/followers", tags=["followers"])


@router.get("", response_model=FollowerPage)
async def list_followers(
    account: ConsoleAccount,
    session: SessionDep,
    tag_id: int | None = Query(default=None, ge=0, le=rules.TAG_ID_MAX),
    subscribed: bool = True,
    limit: int = Query(default=20, ge=1, le=100),
    cursor: str | None = None,
) -> FollowerPage:
    require_approved(account)
    return await service.console_list(
        session, account, subscribed=subscribed, tag_id=tag_id, limit=limit, cursor=cursor
    )
