"""Every SQL statement of the outbox and the notification centre."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.messaging.outbox.models import (
    SMTP_FAILED,
    SMTP_PENDING,
    SMTP_SENDING,
    SMTP_SENT,
    OutboxMessage,
)

# Sent on commit of every new row: the long-poll of `/_sandbox/outbox/latest` wakes on it.
NOTIFY_CHANNEL = "messaging_outbox"


@dataclass(frozen=True)
class OutboxFilter:
    """Exact-match filters of the control-plane listing; None means "any"."""

    channel: str | None = None
    recipient_key: str | None = None
    kind: str | None = None
    since: datetime | None = None
    namespace: str | None = None

    def apply(self, query: Select[OutboxMessage]) -> Select[OutboxMessage]:
        if self.channel is not None:
            query = query.where(OutboxMessage.channel == self.channel)
        if self.recipient_key is not None:
            query = query.where(OutboxMessage.recipient_key == self.recipient_key)
        if self.kind is not None:
            query = query.where(OutboxMessage.kind == self.kind)
        if self.since is not None:
            query = query.where(OutboxMessage.created_at >= self.since)
        if self.namespace is not None:
            query = query.where(OutboxMessage.namespace == self.namespace)
        return query


async def insert_if_absent(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless a row with this key exists; True when this call inserted it.

    ON CONFLICT waits for a concurrent insert of the same key to commit, so of two identical requests
    exactly one inserts and the other then reads the winner's row.
    """
    inserted = await session.scalar(
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.key])
        .returning(OutboxMessage.id)
    )
    if inserted is None:
        return False
    await session.execute(
        text("SELECT pg_notify(:channel, :id)"), {"channel": NOTIFY_CHANNEL, "id": inserted}
    )
    return True


async def by_key(session: AsyncSession, key: str) -> OutboxMessage | None:
    query = select(OutboxMessage).where(OutboxMessage.key == key).execution_options(populate_existing=True)
    return await session.scalar(query)


async def listing(session: AsyncSession, where: OutboxFilter, *, limit: int) -> Sequence[OutboxMessage]:
    query = where.apply(select(OutboxMessage))
    query = query.order_by(OutboxMessage.created_at, OutboxMessage.id).limit(limit)
    return (await session.scalars(query)).all()


async def newest(session: AsyncSession, where: OutboxFilter) -> OutboxMessage | None:
    query = where.apply(select(OutboxMessage))
    return await session.scalar(
        query.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(1)
    )


def _notifications_of(account_id: str) -> Select[OutboxMessage]:
    return select(OutboxMessage).where(
        OutboxMessage.channel == "notification", OutboxMessage.account_id == account_id
    )


async def notifications(session: AsyncSession, account_id: str, *, limit: int) -> Sequence[OutboxMessage]:
    query = _notifications_of(account_id).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    return (await session.scalars(query.limit(limit))).all()


async def unread_count(session: AsyncSession, account_id: str) -> int:
    query = select(func.count()).where(
        OutboxMessage.channel == "notification",
        OutboxMessage.account_id == account_id,
        OutboxMessage.read_at.is_(None),
    )
    return int(await session.scalar(query) or 0)


async def mark_read(
    session: AsyncSession, account_id: str, notification_id: str, *, at: datetime
) -> OutboxMessage | None:
    """Mark one of the account's notifications read (the first read time stays); None if not theirs."""
    query = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == notification_id,
            OutboxMessage.channel == "notification",
            OutboxMessage.account_id == account_id,
        )
        .values(read_at=func.coalesce(OutboxMessage.read_at, at))
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(query)


async def claim_due_emails(
    session: AsyncSession, *, message_id: str | None, limit: int, lease: timedelta
) -> Sequence[OutboxMessage]:
    """Claim e-mails due for the SMTP relay (`pending` → `sending` for `lease`), oldest first.

    Also takes back `sending` rows whose lease ran out (their process died mid-send). SKIP LOCKED: two
    relays never claim the same row.
    """
    now = func.now()
    due = select(OutboxMessage.id).where(
        or_(
            (OutboxMessage.smtp_status == SMTP_PENDING)
            & (or_(OutboxMessage.smtp_next_attempt_at.is_(None), OutboxMessage.smtp_next_attempt_at <= now)),
            (OutboxMessage.smtp_status == SMTP_SENDING) & (OutboxMessage.smtp_next_attempt_at <= now),
        )
    )
    if message_id is not None:
        due = due.where(OutboxMessage.id == message_id)
    due = due.order_by(OutboxMessage.recorded_at).limit(limit).with_for_update(skip_locked=True)
    claim = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due.scalar_subquery()))
        .values(
            smtp_status=SMTP_SENDING,
            smtp_attempts=OutboxMessage.smtp_attempts + 1,
            smtp_next_attempt_at=now + lease,
        )
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(claim)).all()


async def _set_smtp_state(session: AsyncSession, message_id: str, values: dict[str, object]) -> None:
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def mark_email_sent(session: AsyncSession, message_id: str) -> None:
    await _set_smtp_state(
        session, message_id, {"smtp_status": SMTP_SENT, "smtp_sent_at": func.now(), "smtp_error": None}
    )


async def mark_email_failed(session: AsyncSession, message_id: str, *, error: str) -> None:
    """The last attempt failed: the row stays `failed`, never retried."""
    await _set_smtp_state(
        session, message_id, {"smtp_status": SMTP_FAILED, "smtp_error": error, "smtp_next_attempt_at": None}
    )


async def retry_email_later(
    session: AsyncSession, message_id: str, *, error: str, backoff: timedelta
) -> None:
    await _set_smtp_state(
        session,
        message_id,
        {"smtp_status": SMTP_PENDING, "smtp_error": error, "smtp_next_attempt_at": func.now() + backoff},
    )
