"""Messages for messaging's outbox: written with the state change, delivered after commit (the relay).

A message is a row of `pending_messages` inserted in the same transaction as the change that causes
it, so it exists exactly when the change does. After the request has committed
(`middleware.DeliverAfterResponse`, which holds the response until then) undelivered rows are sent
to messaging with the row id as the idempotency key, so a retry after a failed or lost answer never
sends twice. Rows left undelivered (messaging down) are retried after any later mutating request
and after every clock hook.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contracts.messaging.client import MessagingClient
from contracts.messaging.schemas import Channel, OutboxRequest
from servicekit.errors import SandboxError
from services.registration.accounts.models import Account
from services.registration.credentials import new_id
from services.registration.outbox_relay import repository
from services.registration.outbox_relay.models import PendingMessage

log = logging.getLogger("registration.outbox")
BATCH = 100


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
    message = PendingMessage(
        id=new_id("msg"),
        account_id=account.id,
        namespace=account.namespace,
        channel=channel,
        to=to,
        kind=kind,
        subject=subject,
        body=body,
        data=data or {},
        created_at=created_at,
        attempts=0,
    )
    session.add(message)
    return message


def _request(row: PendingMessage) -> OutboxRequest:
    return OutboxRequest(
        key=f"registration:{row.id}",
        channel=row.channel,
        to=row.to,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        data=row.data,
        account_id=row.account_id,
        namespace=row.namespace,
        created_at=row.created_at,
    )


async def deliver_pending(maker: async_sessionmaker[AsyncSession], messaging: MessagingClient | None) -> int:
    """Deliver undelivered messages, oldest first; returns how many were delivered.

    Rows are locked with SKIP LOCKED while being sent, so concurrent deliverers never send one row
    twice at the same time; the key covers the remaining case (sent, then our commit lost).
    """
    if messaging is None:
        return 0
    delivered = 0
    async with maker() as session:
        rows = await repository.undelivered(session, limit=BATCH)
        for row in rows:
            try:
                await messaging.send(_request(row), attempts=1)
            except SandboxError as exc:
                log.warning("outbox delivery failed kind=%s code=%s", row.kind, exc.instance_code)
                await repository.count_attempt(session, row.id, delivered=False)
                break  # messaging is unhealthy: keep order, retry later
            await repository.count_attempt(session, row.id, delivered=True)
            delivered += 1
        await session.commit()
    return delivered
