"""Registration's messages for messaging's outbox: written with the state change, relayed after
commit by `contracts.messaging.relay` (its docstring tells how a message is delivered exactly once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging import relay
from contracts.messaging.schemas import Channel
from services.registration.accounts.models import Account
from services.registration.outbox_relay.models import PendingMessage


def enqueue(
    session: AsyncSession,
    account: Account,
    *,
    channel: Channel,
    to: str,
    kind: str,
    created_at: datetime,
    subject: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> PendingMessage:
    """A message about `account`, sent to `to` once the current transaction commits."""
    message = relay.enqueue(
        session,
        PendingMessage,
        account_id=account.id,
        namespace=account.namespace,
        channel=channel,
        to=to,
        kind=kind,
        created_at=created_at,
        subject=subject,
        body=body,
        data=data,
    )
    assert isinstance(message, PendingMessage)
    return message
