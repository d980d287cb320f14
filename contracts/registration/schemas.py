"""Registration's wire formats for other services and the gateway."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from pydantic import BaseModel, ConfigDict


class AccountView(BaseModel):
    """What every other service needs to know about an account (issue #3 item 6)."""

    model_config = ConfigDict(extra="ignore")

    account_id: str
    namespace: str
    status: str
    type: str | None = None
    appid: str | None = None
    original_id: str | None = None
    name: str | None = None
    certified: bool = False
    capabilities: list[str] = []
    login_email: str | None = None
    phone: str | None = None
    operator_wechat: str | None = None
    terminated_at: datetime | None = None


class Introspection(BaseModel):
    """Answer of the gateway's token/session check: the account and how long the answer holds (s)."""

    model_config = ConfigDict(extra="ignore")

    account: AccountView
    ttl: float


def encode_account_header(view_json: bytes) -> str:
    """The gateway passes the resolved account to services as base64url JSON in X-Sandbox-Account."""
    return base64.urlsafe_b64encode(view_json).decode("ascii")


def decode_account_header(value: str) -> AccountView:
    return AccountView.model_validate(json.loads(base64.urlsafe_b64decode(value.encode("ascii"))))
