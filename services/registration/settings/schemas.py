"""Request and response bodies of the settings endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    wechat_id: str | None = Field(default=None, max_length=64)
    login_email: str | None = Field(default=None, max_length=254)


class AdminWechatBody(BaseModel):
    """`PUT /api/v1/account/admin-wechat`: the administrator's 微信号 (R-DER-03, FAQ 17)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    wechat_id: str = Field(max_length=64)


class AdminWechatOut(BaseModel):
    admin_wechat: str | None


class LoginEmailNextAllowed(BaseModel):
    login_email: datetime | None


class SettingsOut(BaseModel):
    wechat_id: str | None
    login_email: str
    next_allowed_at: LoginEmailNextAllowed


class AvatarOut(BaseModel):
    format: str
    size: int
    next_allowed_at: datetime | None


class SecretOut(BaseModel):
    """The new AppSecret, shown this once (R-REG-30)."""

    appid: str | None
    secret: str
