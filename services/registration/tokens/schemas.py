"""Request and response bodies of operator sessions."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class SessionOut(BaseModel):
    """A new operator session: the bearer token and when it expires."""

    token: str
    expires_at: datetime
    account_id: str
