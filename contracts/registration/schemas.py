"""Registration's wire formats for other services and the gateway."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


# --- deregistration (R-DER-04): the scheduler asks registration to terminate accounts, a batch at a time ---

MAX_TERMINATIONS = 1000
TerminationOutcome = Literal["terminated", "already_terminated", "refused", "not_found"]


class Termination(BaseModel):
    """Terminate `account_id` at the virtual instant `at` for `reason`, because its cycle of `rule`
    anchored at `anchor_at` ran out. Registration owns the account and checks the claim: an account
    approved or logged in after `anchor_at` is not terminated (`refused`): the scheduler had not yet
    heard of it."""

    model_config = ConfigDict(extra="ignore")

    account_id: str = Field(min_length=1, max_length=40)
    rule: Literal["R-DER-01", "R-DER-02"]
    reason: Literal["registration_incomplete", "inactive"]
    anchor_at: datetime
    at: datetime


class TerminationBatch(BaseModel):
    model_config = ConfigDict(extra="ignore")

    items: list[Termination] = Field(max_length=MAX_TERMINATIONS)


class TerminationResult(BaseModel):
    """What became of one requested termination; `terminated_at`/`reason` are the account's own."""

    account_id: str
    outcome: TerminationOutcome
    terminated_at: datetime | None = None
    reason: str | None = None


class TerminationResults(BaseModel):
    items: list[TerminationResult]
