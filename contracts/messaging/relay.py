"""The producer's side of messaging's outbox, for every service that notifies operators.

A message is a row of the producing service's own `pending_messages` table (a model built on
`PendingMessageColumns`), inserted in the same transaction as the change that causes it, so it exists
exactly when the change does. After the request has committed (`DeliverAfterResponse`, which holds
the response until then) undelivered rows are sent to messaging with `<service>:<row id>` as the
idempotency key, so a retry after a failed or lost answer never sends twice. Rows left undelivered
(messaging down) are retried after any later mutating request and after every clock hook.

The relay's SQL lives here, beside the model it reads, because it is the same for every producer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from uuid import uuid4

from sqlalchemy import DateTime, Index, Integer, String, Text, func, select, text, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from starlette.types import ASGIApp, Scope

from contracts.messaging.client import MessagingClient
from contracts.messaging.schemas import Channel, OutboxRequest
from servicekit.after_commit import AfterCommit
from servicekit.errors import SandboxError

log = logging.getLogger("outbox.relay")
BATCH = 100
_TS = DateTime(timezone=True)


class PendingMessageColumns:
    """The columns of a service's `pending_messages` table; mix into the service's declarative base."""

    __tablename__ = "pending_messages"
    source: ClassVar[str]  # the producing service: the idempotency key's prefix

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            Index(
                "ix_pending_messages_undelivered", "created_at", postgresql_where=text("delivered_at IS NULL")
            ),
        )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text, server_default=text("''"))
    body: Mapped[str] = mapped_column(Text, server_default=text("''"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(_TS)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    delivered_at: Mapped[datetime | None] = mapped_column(_TS)


def new_message_id() -> str:
    return f"msg_{uuid4().hex[:20]}"


def enqueue(
    session: AsyncSession,
    model: type[PendingMessageColumns],
    *,
    account_id: str,
    namespace: str,
    channel: Channel,
    to: str,
    kind: str,
    created_at: datetime,
    subject: str = "",
    body: str = "",
    data: dict[str, Any] | None = None,
) -> PendingMessageColumns:
    """A message about `account_id`, sent to `to` once the current transaction commits."""
    values: dict[str, Any] = {
        "id": new_message_id(),
        "account_id": account_id,
        "namespace": namespace,
        "channel": channel,
        "to": to,
        "kind": kind,
        "subject": subject,
        "body": body,
        "data": data or {},
        "created_at": created_at,
        "attempts": 0,
    }
    message = model(**values)
    session.add(message)
    return message


def _request(row: PendingMessageColumns) -> OutboxRequest:
    return OutboxRequest(
        key=f"{row.source}:{row.id}",
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


async def deliver_pending(
    maker: async_sessionmaker[AsyncSession],
    model: type[PendingMessageColumns],
    messaging: MessagingClient | None,
) -> int:
    """Deliver undelivered messages, oldest first; returns how many were delivered.

    Rows are locked with SKIP LOCKED while being sent, so concurrent deliverers never send one row
    twice at the same time; the key covers the remaining case (sent, then our commit lost).
    """
    if messaging is None:
        return 0
    delivered = 0
    async with maker() as session:
        rows = (
            await session.scalars(
                select(model)
                .where(model.delivered_at.is_(None))
                .order_by(model.created_at, model.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            try:
                await messaging.send(_request(row), attempts=1)
            except SandboxError as exc:
                log.warning("outbox delivery failed kind=%s code=%s", row.kind, exc.instance_code)
                await _count_attempt(session, model, row.id, delivered=False)
                break  # messaging is unhealthy: keep order, retry later
            await _count_attempt(session, model, row.id, delivered=True)
            delivered += 1
        await session.commit()
    return delivered


async def _count_attempt(
    session: AsyncSession, model: type[PendingMessageColumns], message_id: str, *, delivered: bool
) -> None:
    values: dict[str, Any] = {"attempts": model.attempts + 1}
    if delivered:
        values["delivered_at"] = func.now()
    await session.execute(update(model).where(model.id == message_id).values(**values))


class DeliverAfterResponse(AfterCommit):
    """Deliver pending messages once a mutating request has committed, before its answer goes out.

    The unit of work commits when the endpoint returns, before the response starts, so the messages
    it wrote are deliverable by then. Holding the response until they are delivered means a client
    that reads the outbox right after its request (a resent link, a second SMS code, a decision's
    notice) finds the new message, never the previous one.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        owner: Any,
        model: type[PendingMessageColumns],
        messaging: Callable[[Any], MessagingClient | None],
    ) -> None:
        super().__init__(app)
        self.owner = owner
        self.model = model
        self.messaging = messaging

    async def after_commit(self, scope: Scope) -> None:
        maker = getattr(self.owner.state, "sessionmaker", None)
        if maker is None:
            return
        await deliver_pending(maker, self.model, self.messaging(self.owner.state))


async def deliver_all_pending(
    maker: async_sessionmaker[AsyncSession],
    model: type[PendingMessageColumns],
    messaging: MessagingClient | None,
) -> int:
    """`deliver_pending` batch after batch until nothing is left or messaging fails; how many went."""
    total = 0
    while True:
        delivered = await deliver_pending(maker, model, messaging)
        total += delivered
        if delivered < BATCH:
            return total
