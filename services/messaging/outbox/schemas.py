"""Response shapes of the outbox's control plane and the notification centre (times: ISO 8601 strings,
Asia/Shanghai). Outbox entries themselves are the wire format of `contracts.messaging`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from contracts.messaging.schemas import OutboxEntry


class OutboxListing(BaseModel):
    items: list[OutboxEntry]


class NotificationView(BaseModel):
    """One notification of the operator's notification centre (R-OUT-02)."""

    id: str
    kind: str
    subject: str
    body: str
    data: dict[str, Any]
    created_at: str
    read: bool


class NotificationCentre(BaseModel):
    items: list[NotificationView]
    unread: int
