"""The operator's settings on `/api/v1` after approval: WeChat ID, login e-mail, avatar, AppSecret."""

from __future__ import annotations

from fastapi import APIRouter, Request

from servicekit.db import SessionDep
from servicekit.uploads import MB, read_multipart
from services.registration.dependencies import CurrentAccount
from services.registration.settings import service
from services.registration.settings.schemas import (
    AdminWechatBody,
    AdminWechatOut,
    AvatarOut,
    SecretOut,
    SettingsBody,
    SettingsOut,
)

settings = APIRouter(prefix="/api/v1", tags=["account"])
AVATAR_LIMIT = 5 * MB


@settings.patch("/account/settings")
async def update_settings(body: SettingsBody, current: CurrentAccount, session: SessionDep) -> SettingsOut:
    return await service.update_settings(
        session, current, wechat_id=body.wechat_id, login_email=body.login_email
    )


@settings.put("/account/admin-wechat")
async def bind_admin_wechat(
    body: AdminWechatBody, current: CurrentAccount, session: SessionDep
) -> AdminWechatOut:
    """Bind the administrator WeChat (微信号) that deregistration notices also go to (R-DER-03)."""
    return await service.bind_admin_wechat(session, current, body.wechat_id)


@settings.delete("/account/admin-wechat")
async def unbind_admin_wechat(current: CurrentAccount, session: SessionDep) -> AdminWechatOut:
    """No administrator WeChat any more: notices go to the other channels only."""
    return await service.bind_admin_wechat(session, current, None)


@settings.put("/account/avatar")
async def update_avatar(request: Request, current: CurrentAccount, session: SessionDep) -> AvatarOut:
    form = await read_multipart(request, file_limits={"file": AVATAR_LIMIT})
    return await service.update_avatar(session, current, form.files.get("file"))


@settings.post("/account/developer/secret")
async def reset_secret(current: CurrentAccount, session: SessionDep) -> SecretOut:
    return await service.reset_secret(session, current)
