"""Request and response bodies of the settings endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SettingsBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    wechat_id: str | None = Field(default=None, max_length=64)
    login_email: str | None = Field(default=None, max_length=254)
