"""R-OUT-02: the operator's notification centre, fed by the outbox's `notification` channel."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from contracts.messaging.client import OUTBOX_PATH
from contracts.registration.schemas import AccountView
from services.messaging.outbox.models import OutboxMessage
from tests.messaging.factories import account_headers, account_view

NOTIFICATIONS = "/api/v1/notifications"
START = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)


async def notify(
    http: httpx.AsyncClient, account: AccountView, subject: str, *, day: int = 0, **extra: Any
) -> str:
    """Record a notification for `account` the way registration or the scheduler does."""
    payload = {
        "key": f"notice-{secrets.token_hex(6)}",
        "channel": "notification",
        "to": account.account_id,
        "account_id": account.account_id,
        "namespace": account.namespace,
        "kind": "deregistration_notice",
        "subject": subject,
        "body": f"{subject}：请尽快完成注册",
        "created_at": (START + timedelta(days=day)).isoformat(),
        **extra,
    }
    response = await http.post(OUTBOX_PATH, json=payload)
    assert response.status_code == 201
    return str(response.json()["id"])


@pytest.mark.rule("R-OUT-02")
class TestListNotifications:
    async def test_operator_sees_own_notifications_newest_first_with_unread_count(
        self, client: httpx.AsyncClient
    ) -> None:
        account = account_view()
        await notify(client, account, "第60天提醒", day=60, data={"day": 60})
        await notify(client, account, "第70天提醒", day=70, data={"day": 70})
        await client.post(
            OUTBOX_PATH,
            json={
                "key": f"mail-{secrets.token_hex(6)}",
                "channel": "email",
                "to": "op@example.gov.cn",
                "account_id": account.account_id,
                "kind": "activation",
            },
        )

        response = await client.get(NOTIFICATIONS, headers=account_headers(account))

        assert response.status_code == 200
        body = response.json()
        assert [i["subject"] for i in body["items"]] == ["第70天提醒", "第60天提醒"]
        assert body["items"][0]["data"] == {"day": 70}
        assert body["items"][0]["read"] is False
        assert set(body["items"][0]) == {"id", "kind", "subject", "body", "data", "created_at", "read"}
        assert body["unread"] == 2

    async def test_another_accounts_notifications_are_never_listed(self, client: httpx.AsyncClient) -> None:
        mine, theirs = account_view(), account_view()
        await notify(client, theirs, "别人的通知")

        response = await client.get(NOTIFICATIONS, headers=account_headers(mine))

        assert response.json() == {"items": [], "unread": 0}

    async def test_without_a_session_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get(NOTIFICATIONS)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"


@pytest.mark.rule("R-OUT-02")
class TestReadNotification:
    async def test_marking_read_updates_the_item_and_the_unread_count(
        self, client: httpx.AsyncClient
    ) -> None:
        account = account_view()
        first = await notify(client, account, "第60天提醒", day=60)
        await notify(client, account, "第70天提醒", day=70)

        response = await client.post(f"{NOTIFICATIONS}/{first}/read", headers=account_headers(account))
        again = await client.post(f"{NOTIFICATIONS}/{first}/read", headers=account_headers(account))
        listing = (await client.get(NOTIFICATIONS, headers=account_headers(account))).json()

        assert response.status_code == 200
        assert response.json()["read"] is True
        assert again.status_code == 200
        assert listing["unread"] == 1
        assert {i["id"]: i["read"] for i in listing["items"]}[first] is True

    async def test_another_accounts_notification_is_404_and_stays_unread(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        mine, theirs = account_view(), account_view()
        their_notice = await notify(client, theirs, "别人的通知")

        response = await client.post(f"{NOTIFICATIONS}/{their_notice}/read", headers=account_headers(mine))

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "notification_not_found"
        async with AsyncSession(bind=db_conn, join_transaction_mode="create_savepoint") as session:
            read_at = await session.scalar(
                select(OutboxMessage.read_at).where(OutboxMessage.id == their_notice)
            )
        assert read_at is None

    async def test_an_email_entry_is_not_a_notification(self, client: httpx.AsyncClient) -> None:
        account = account_view()
        email = await client.post(
            OUTBOX_PATH,
            json={
                "key": f"mail-{secrets.token_hex(6)}",
                "channel": "email",
                "to": "op@example.gov.cn",
                "account_id": account.account_id,
                "kind": "activation",
            },
        )

        response = await client.post(
            f"{NOTIFICATIONS}/{email.json()['id']}/read", headers=account_headers(account)
        )

        assert response.status_code == 404

    async def test_without_a_session_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post(f"{NOTIFICATIONS}/ob_whatever/read")

        assert response.status_code == 401
