"""Messages for messaging's outbox: written with the state change, delivered after commit.

A message is a row of `pending_messages` inserted in the same transaction as the change that causes
it, so it exists exactly when the change does. After the request has committed (the middleware below,
which holds the response until then) undelivered rows are sent to messaging with the row id as the
idempotency key, so a retry after a failed or lost answer never sends twice. Rows left undelivered
(messaging down) are retried after any later mutating request and after every clock hook.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.messaging.client import MessagingClient
from contracts.messaging.schemas import Channel, OutboxRequest
from servicekit.errors import SandboxError
from servicekit.logs import log_background_failure
from services.registration.credentials import new_id
from services.registration.models import Account, PendingMessage

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


async def deliver_pending(maker: async_sessionmaker[AsyncSession], client: httpx.AsyncClient | None) -> int:
    """Deliver undelivered messages, oldest first; returns how many were delivered.

    Rows are locked with SKIP LOCKED while being sent, so concurrent deliverers never send one row
    twice at the same time; the key covers the remaining case (sent, then our commit lost).
    """
    if client is None:
        return 0
    messaging = MessagingClient(client)
    delivered = 0
    async with maker() as session:
        rows = (
            await session.scalars(
                select(PendingMessage)
                .where(PendingMessage.delivered_at.is_(None))
                .order_by(PendingMessage.created_at, PendingMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            try:
                await messaging.send(_request(row), attempts=1)
            except SandboxError as exc:
                log.warning("outbox delivery failed kind=%s code=%s", row.kind, exc.instance_code)
                await session.execute(
                    update(PendingMessage)
                    .where(PendingMessage.id == row.id)
                    .values(attempts=PendingMessage.attempts + 1)
                )
                break  # messaging is unhealthy: keep order, retry later
            await session.execute(
                update(PendingMessage)
                .where(PendingMessage.id == row.id)
                .values(delivered_at=func.now(), attempts=PendingMessage.attempts + 1)
            )
            delivered += 1
        await session.commit()
    return delivered


def messaging_client(app: FastAPI) -> httpx.AsyncClient | None:
    peers: dict[str, httpx.AsyncClient] = getattr(app.state, "peers", {}) or {}
    return peers.get("messaging")


class DeliverAfterResponse:
    """Deliver pending messages once a mutating request has committed, before its answer goes out.

    The unit of work commits when the endpoint returns, before the response starts, so the messages
    it wrote are deliverable by then. Holding the response until they are delivered means a client
    that reads the outbox right after its request (a resent link, a second SMS code) finds the new
    message, never the previous one.
    """

    def __init__(self, app: ASGIApp, *, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        delivered = False

        async def send_after_delivery(message: Message) -> None:
            nonlocal delivered
            if message["type"] == "http.response.start" and not delivered:
                delivered = True
                await self._deliver()
            await send(message)

        await self.app(scope, receive, send_after_delivery)
        if not delivered:
            await self._deliver()

    async def _deliver(self) -> None:
        maker = getattr(self.owner.state, "sessionmaker", None)
        if maker is None:
            return
        try:
            await deliver_pending(maker, messaging_client(self.owner))
        except Exception:  # delivery must never break the request that already succeeded
            log_background_failure(log, "outbox delivery failed")
