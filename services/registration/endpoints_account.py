"""The operator's account on `/api/v1` after sign-up: view, settings, avatar, secret, search."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from servicekit.db import SessionDep
from servicekit.errors import Forbidden
from servicekit.uploads import MB, read_multipart
from services.registration import service_settings
from services.registration.dependencies import CurrentAccount, NamespaceDep, PeersDep

account = APIRouter(prefix="/api/v1", tags=["account"])
AVATAR_LIMIT = 5 * MB


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    wechat_id: str | None = Field(default=None, max_length=64)
    login_email: str | None = Field(default=None, max_length=254)


@account.get("/account")
async def get_account(current: CurrentAccount, session: SessionDep, peers: PeersDep) -> dict[str, Any]:
    return await service_settings.detail(session, current, peers)


@account.patch("/account/settings")
async def update_settings(body: SettingsBody, current: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    return await service_settings.update_settings(
        session, current, wechat_id=body.wechat_id, login_email=body.login_email
    )


@account.put("/account/avatar")
async def update_avatar(request: Request, current: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    form = await read_multipart(request, file_limits={"file": AVATAR_LIMIT})
    return await service_settings.update_avatar(session, current, form.files.get("file"))


@account.post("/account/developer/secret")
async def reset_secret(current: CurrentAccount, session: SessionDep) -> dict[str, Any]:
    return await service_settings.reset_secret(session, current)


@account.delete("/account")
async def deregister(current: CurrentAccount) -> None:
    """R-REG-33 / FAQ 15: operators cannot deregister."""
    raise Forbidden("公众号暂不支持主动申请注销", code="voluntary_deregistration_unsupported")


@account.get("/accounts/search")
async def search_accounts(
    session: SessionDep,
    namespace: NamespaceDep,
    peers: PeersDep,
    q: str = Query(min_length=1, max_length=64),
) -> dict[str, Any]:
    return await service_settings.search(session, q=q, namespace=namespace, peers=peers)
