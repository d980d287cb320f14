"""HTTP of the outbox (internal and control plane) and of the notification centre."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, Response, status

from contracts.messaging.client import OUTBOX_PATH
from contracts.messaging.schemas import Channel, OutboxEntry, OutboxRequest
from contracts.registration.identity import ConsoleAccount
from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import NotFound
from services.messaging.outbox import repository, service, smtp
from services.messaging.outbox.notifier import OutboxNotifier
from services.messaging.outbox.repository import OutboxFilter
from services.messaging.outbox.schemas import NotificationCentre, NotificationView, OutboxListing

MAX_WAIT_SECONDS = 30.0

internal = APIRouter(tags=["internal"])
control = APIRouter(prefix="/_sandbox/outbox", tags=["sandbox"])
console = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

NamespaceHeader = Annotated[str | None, Header(alias=NAMESPACE_HEADER)]


@internal.post(OUTBOX_PATH, response_model=OutboxEntry)
async def record_message(
    message: OutboxRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    background: BackgroundTasks,
) -> OutboxEntry:
    """Record a message idempotently by `key`: 201 when recorded now, 200 with the first entry on a retry."""
    smtp_url: str | None = request.app.state.settings.smtp_url
    row, inserted = await service.record(session, message, relay_email=smtp_url is not None)
    response.status_code = status.HTTP_201_CREATED if inserted else status.HTTP_200_OK
    if inserted and smtp_url and row.smtp_status == "pending":
        # Background tasks run after the session dependency has committed the row: never send from
        # inside the transaction, nor an e-mail whose recording could still roll back.
        background.add_task(smtp.relay_after_commit, request.app.state.sessionmaker, smtp_url, row.id)
    return service.to_entry(row)


def _filter(
    namespace: str | None,
    channel: Channel | None,
    to: str | None,
    kind: str | None,
    since: datetime | None,
) -> OutboxFilter:
    return OutboxFilter(
        channel=channel,
        recipient_key=service.recipient_key(to) if to is not None else None,
        kind=kind,
        since=since,
        namespace=namespace,
    )


@control.get("", response_model=OutboxListing)
async def list_outbox(
    session: SessionDep,
    namespace: NamespaceHeader = None,
    channel: Channel | None = None,
    to: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> OutboxListing:
    """Messages that left the platform, oldest → newest (by virtual `created_at`, then id).

    Filters are exact matches (`to` ignores case for e-mail addresses); `since` keeps entries created
    at or after that moment, so polling with the last seen `created_at` never misses one sharing it
    (frozen clocks make that common). `X-Sandbox-Namespace` narrows to one namespace. `limit` caps
    the page at the oldest matching entries: page on with `since`.
    """
    where = _filter(namespace, channel, to, kind, since)
    rows = await repository.listing(session, where, limit=limit)
    return OutboxListing(items=[service.to_entry(row) for row in rows])


@control.get("/latest", response_model=OutboxEntry)
async def latest_outbox(
    request: Request,
    namespace: NamespaceHeader = None,
    channel: Channel | None = None,
    to: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    wait: Annotated[float, Query(ge=0)] = 5.0,
) -> OutboxEntry:
    """The newest matching entry; if none yet, wait up to `wait` seconds (at most 30) for one, else 404.

    Holds no database session while waiting: each check is a short session of its own.
    """
    where = _filter(namespace, channel, to, kind, since)
    notifier: OutboxNotifier = getattr(request.app.state, "outbox_notifier", None) or OutboxNotifier()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + min(wait, MAX_WAIT_SECONDS)
    while True:
        woken = notifier.snapshot()
        async with request.app.state.sessionmaker() as session:
            row = await repository.newest(session, where)
        if row is not None:
            return service.to_entry(row)
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise NotFound(f"{min(wait, MAX_WAIT_SECONDS):g} 秒内没有匹配的消息", code="not_found")
        await notifier.wait(woken, remaining)


@console.get("", response_model=NotificationCentre)
async def list_notifications(
    account: ConsoleAccount,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationCentre:
    """The operator's notification centre (R-OUT-02), newest first, with the unread count."""
    return await service.notification_centre(session, account.account_id, limit=limit)


@console.post("/{notification_id}/read", response_model=NotificationView)
async def read_notification(
    notification_id: str, account: ConsoleAccount, session: SessionDep
) -> NotificationView:
    """Mark one of the operator's notifications read; 404 for a missing or another account's one."""
    return await service.mark_notification_read(
        session, account_id=account.account_id, namespace=account.namespace, notification_id=notification_id
    )


routers: list[APIRouter] = [internal, control, console]
