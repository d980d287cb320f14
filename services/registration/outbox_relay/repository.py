"""Every SQL statement of the relay: the undelivered batch and its delivery attempts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration.outbox_relay.models import PendingMessage


async def undelivered(session: AsyncSession, *, limit: int) -> Sequence[PendingMessage]:
    """The oldest undelivered messages, locked with SKIP LOCKED (concurrent relays never share a row)."""
    rows = await session.scalars(
        select(PendingMessage)
        .where(PendingMessage.delivered_at.is_(None))
        .order_by(PendingMessage.created_at, PendingMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return rows.all()


async def count_attempt(session: AsyncSession, message_id: str, *, delivered: bool) -> None:
    values: dict[str, Any] = {"attempts": PendingMessage.attempts + 1}
    if delivered:
        values["delivered_at"] = func.now()
    await session.execute(update(PendingMessage).where(PendingMessage.id == message_id).values(**values))
