"""Recording outgoing messages (R-OUT-01) and the operator's notification centre (R-OUT-02)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging.schemas import OutboxEntry, OutboxRequest
from servicekit import clock
from servicekit.errors import NotFound, Unprocessable
from servicekit.text import mainland_mobile
from services.messaging.outbox import repository
from services.messaging.outbox.models import SMTP_PENDING, OutboxMessage
from services.messaging.outbox.schemas import NotificationCentre, NotificationView

_URL = re.compile(r"https?://[^\s<>\"']+")
_CODE = re.compile(r"(?<!\d)(\d{4,8})(?!\d)")
SMS_CODE_KIND = "sms_code"
# Column widths: longer values are refused as input errors instead of failing in the database.
MAX_LENGTHS = {"to": 320, "kind": 64, "account_id": 64, "namespace": 64}


def new_outbox_id() -> str:
    """`ob_` + microseconds (hex, fixed width) + randomness: ids sort in the order they were made."""
    micros = int(clock.real_now().timestamp() * 1_000_000)
    return f"ob_{micros:014x}{secrets.token_hex(4)}"


def recipient_key(to: str) -> str:
    """What filters compare: e-mail addresses ignore case; a mainland mobile number is its 11 digits
    (`+86 138…` finds what was sent to `138…`, as registration accepts both, R-REG-13); ids as given."""
    to = to.strip()
    if "@" in to:
        return to.lower()
    return mainland_mobile(to) or to


def parsed_data(channel: str, kind: str, body: str, data: dict[str, Any]) -> dict[str, Any]:
    """The caller's `data`, completed from the body when a sender did not pass the parsed fields.

    Testers read the activation link and token, the SMS code and the notice day from `data`
    (SPEC §7.1); filling them from the text keeps that true whatever the sender passed. Only a
    verification SMS (`sms_code`) holds a code: the digits of another text (a notice's date) are not one.
    """
    result = dict(data)
    if "link" not in result and (url := _URL.search(body)):
        result["link"] = url.group(0)
    if "token" not in result and isinstance(result.get("link"), str):
        tokens = parse_qs(urlsplit(result["link"]).query).get("token")
        if tokens:
            result["token"] = tokens[0]
    if channel == "sms" and kind == SMS_CODE_KIND and "code" not in result and (code := _CODE.search(body)):
        result["code"] = code.group(1)
    return result


def to_entry(row: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        channel=row.channel,  # the table's check constraint keeps it a Channel
        to=row.recipient,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        data=row.data,
        created_at=row.created_at.astimezone(clock.SHANGHAI),
        account_id=row.account_id,
        namespace=row.namespace,
    )


async def record(
    session: AsyncSession, message: OutboxRequest, *, relay_email: bool
) -> tuple[OutboxMessage, bool]:
    """Record a message once per key; returns the row and whether this call created it.

    `relay_email`: an SMTP relay is configured, so a new e-mail starts in smtp_status `pending`.
    """
    for name, limit in MAX_LENGTHS.items():
        value = getattr(message, name)
        if value is not None and not 0 < len(value.strip()) <= limit:
            raise Unprocessable(f"{name} 须为 1–{limit} 个字符", field=name)
    created_at = message.created_at or await clock.now(session, message.namespace)
    values: dict[str, Any] = {
        "id": new_outbox_id(),
        "key": message.key,
        "channel": message.channel,
        "recipient": message.to.strip(),
        "recipient_key": recipient_key(message.to),
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "data": parsed_data(message.channel, message.kind, message.body, message.data),
        "account_id": message.account_id,
        "namespace": message.namespace,
        "created_at": created_at,
        "smtp_status": SMTP_PENDING if relay_email and message.channel == "email" else None,
    }
    inserted = await repository.insert_if_absent(session, values)
    row = await repository.by_key(session, message.key)
    if row is None:  # impossible after ON CONFLICT unless the row was deleted in between (a reset)
        raise NotFound("消息刚被删除", code="outbox_entry_gone")
    return row, inserted


def notification_item(row: OutboxMessage) -> NotificationView:
    return NotificationView(
        id=row.id,
        kind=row.kind,
        subject=row.subject,
        body=row.body,
        data=row.data,
        created_at=row.created_at.astimezone(clock.SHANGHAI).isoformat(),
        read=row.read_at is not None,
    )


async def notification_centre(session: AsyncSession, account_id: str, *, limit: int) -> NotificationCentre:
    rows: Sequence[OutboxMessage] = await repository.notifications(session, account_id, limit=limit)
    return NotificationCentre(
        items=[notification_item(row) for row in rows],
        unread=await repository.unread_count(session, account_id),
    )


async def mark_notification_read(
    session: AsyncSession, *, account_id: str, namespace: str, notification_id: str
) -> NotificationView:
    at = await clock.now(session, namespace)
    row = await repository.mark_read(session, account_id, notification_id, at=at)
    if row is None:
        # Another account's notification is indistinguishable from a missing one (SPEC §8).
        raise NotFound("没有这条通知", code="notification_not_found", field="id")
    return notification_item(row)
