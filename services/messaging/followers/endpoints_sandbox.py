"""Control plane (R-MSG-01): followers are created and unsubscribed only here, never by an account."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from servicekit.db import SessionDep
from services.messaging.dependencies import RegistrationClientDep, account_for_appid
from services.messaging.followers import repository, rules, service
from services.messaging.followers.schemas import FollowerView

router = APIRouter(prefix="/_sandbox/accounts/{appid}/followers", tags=["sandbox: followers"])


class SeedFollowers(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1, le=rules.SEED_MAX)
    gender: Literal[0, 1, 2] | None = None
    country: str | None = Field(default=None, min_length=1, max_length=32)
    province: str | None = Field(default=None, min_length=1, max_length=32)
    city: str | None = Field(default=None, min_length=1, max_length=32)
    language: Literal["zh_CN", "zh_TW", "en"] | None = None


class SeededFollowers(BaseModel):
    created: int
    openids: list[str]


@router.post("", response_model=SeededFollowers)
async def add_followers(
    appid: str, payload: SeedFollowers, registration: RegistrationClientDep, session: SessionDep
) -> SeededFollowers:
    account = await account_for_appid(registration, appid)
    openids = await service.seed_followers(session, account, service.SeedRequest(**payload.model_dump()))
    return SeededFollowers(created=payload.count, openids=openids)


@router.post("/{openid}/unsubscribe", response_model=FollowerView)
async def unsubscribe_follower(
    appid: str, openid: str, registration: RegistrationClientDep, session: SessionDep
) -> FollowerView:
    account = await account_for_appid(registration, appid)
    follower = await service.unsubscribe(session, account, openid)
    tag_ids = await repository.tag_ids_of(session, [follower.id])
    return service.console_item(follower, tag_ids[follower.id])
