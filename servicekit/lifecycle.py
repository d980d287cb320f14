"""Wire formats every service speaks to the scheduler: the clock hook, reset and health.

In servicekit rather than contracts: the app factory serves these endpoints for every service, and
servicekit sits below contracts (an import-linter layers contract).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

CLOCK_HOOK_PATH = "/internal/clock-hook"
RESET_PATH = "/internal/reset"
READY_PATH = "/readyz"


class ClockHookRequest(BaseModel):
    """“Namespace N moved from T0 to T1”: perform every transition due at or before T1.

    `namespace` None means every namespace, each up to its own clock (the periodic sweep).
    Delivering the same interval twice changes nothing: transitions are driven by state.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    namespace: str | None = None
    from_: datetime | None = Field(default=None, alias="from")
    to: datetime | None = None


class ClockEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    at: datetime
    service: str
    kind: str
    account_id: str | None = None


def clock_event(at: datetime, service: str, kind: str, account_id: str | None, **extra: Any) -> ClockEvent:
    """An event with the fields of its kind beside the common ones (SPEC §7.1: `{at, service, kind,
    account_id, …}`)."""
    return ClockEvent.model_validate(
        {"at": at, "service": service, "kind": kind, "account_id": account_id, **extra}
    )


class ClockHookResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    events: list[ClockEvent] = Field(default_factory=list)


class ResetResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    service: str
    tables: int


class Readiness(BaseModel):
    model_config = ConfigDict(extra="allow")

    service: str
    status: str
    version: str
    database: str
    migrations: dict[str, Any] = Field(default_factory=dict)
