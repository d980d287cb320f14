from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["email", "sms", "wechat", "notification"]


class OutboxRequest(BaseModel):
    """A message leaving the platform (R-OUT-01). `key` makes the call idempotent: a retry with the
    same key returns the first entry and sends nothing again."""

    model_config = ConfigDict(extra="ignore")

    key: str = Field(min_length=1, max_length=200)
    channel: Channel
    to: str
    kind: str
    subject: str = ""
    body: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    account_id: str | None = None
    namespace: str = "default"
    created_at: datetime | None = None  # the virtual moment it was sent (defaults to the clock)


class OutboxEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    channel: Channel
    to: str
    kind: str
    subject: str
    body: str
    data: dict[str, Any]
    created_at: datetime
    account_id: str | None = None
    namespace: str = "default"


class QuotaState(BaseModel):
    model_config = ConfigDict(extra="ignore")

    used: int
    limit: int
    period: str
    resets_at: datetime


class AccountStats(BaseModel):
    """Messaging's part of `GET /_sandbox/accounts/{appid}` (followers and quota counters)."""

    model_config = ConfigDict(extra="ignore")

    followers: int = 0
    quota: QuotaState | None = None
