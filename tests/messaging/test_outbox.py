"""R-OUT-01: recording outgoing messages idempotently, and listing them on the control plane."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from contracts.messaging.client import OUTBOX_PATH
from servicekit import clock
from servicekit.testing import asgi_client, wire_app
from services.messaging.app import build_app
from services.messaging.outbox.models import OutboxMessage


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def message(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": unique("activation"),
        "channel": "email",
        "to": f"{unique('op')}@example.gov.cn",
        "kind": "activation",
        "subject": "激活你的公众平台帐号",
        "body": "请点击链接激活：https://mp.example/activate?token=abc123",
        "data": {"link": "https://mp.example/activate?token=abc123", "token": "abc123"},
        "account_id": unique("acc"),
    }
    body.update(overrides)
    return body


async def rows_with_key(bind: AsyncConnection | AsyncEngine, key: str) -> int:
    async with AsyncSession(bind=bind, join_transaction_mode="create_savepoint") as session:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.key == key)
        return int(await session.scalar(query) or 0)


@pytest.fixture
def committing_app(engine: AsyncEngine) -> FastAPI:
    """Real commits (unique data per test): what concurrency needs."""
    return wire_app(build_app(), engine=engine)


@pytest.mark.rule("R-OUT-01")
class TestRecordMessage:
    async def test_new_key_is_recorded_at_the_namespace_clock(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        namespace = unique("ns")
        moment = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
        async with AsyncSession(bind=db_conn, join_transaction_mode="create_savepoint") as session:
            await clock.freeze(session, namespace)
            await clock.set_time(session, namespace, moment)
            await session.commit()
        payload = message(namespace=namespace)

        response = await client.post(OUTBOX_PATH, json=payload)

        assert response.status_code == 201
        entry = response.json()
        assert entry["id"].startswith("ob_")
        assert datetime.fromisoformat(entry["created_at"]) == moment
        assert entry["to"] == payload["to"]
        assert entry["data"] == {"link": "https://mp.example/activate?token=abc123", "token": "abc123"}
        assert await rows_with_key(db_conn, payload["key"]) == 1

    async def test_same_key_twice_returns_the_first_entry_and_keeps_one_row(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        payload = message()
        first = await client.post(OUTBOX_PATH, json=payload)
        retry = await client.post(OUTBOX_PATH, json={**payload, "body": "changed on retry"})

        assert (first.status_code, retry.status_code) == (201, 200)
        assert retry.json() == first.json()
        assert await rows_with_key(db_conn, payload["key"]) == 1

    async def test_concurrent_identical_requests_record_one_row(
        self, committing_app: FastAPI, engine: AsyncEngine
    ) -> None:
        payload = message()
        async with asgi_client(committing_app) as http:
            responses = await asyncio.gather(*(http.post(OUTBOX_PATH, json=payload) for _ in range(8)))

        assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
        assert len({r.json()["id"] for r in responses}) == 1
        assert await rows_with_key(engine, payload["key"]) == 1

    async def test_virtual_created_at_from_a_clock_transition_is_kept(
        self, client: httpx.AsyncClient
    ) -> None:
        at = datetime(2027, 5, 20, 0, 0, tzinfo=UTC)
        payload = message(channel="notification", kind="deregistration_notice", created_at=at.isoformat())
        payload["to"] = payload["account_id"]

        response = await client.post(OUTBOX_PATH, json=payload)

        assert datetime.fromisoformat(response.json()["created_at"]) == at

    async def test_sms_code_and_link_token_are_parsed_when_data_omits_them(
        self, client: httpx.AsyncClient
    ) -> None:
        sms = await client.post(
            OUTBOX_PATH,
            json=message(
                channel="sms", to="13800138000", kind="sms_code", body="验证码 482913，5分钟内有效", data={}
            ),
        )
        email = await client.post(
            OUTBOX_PATH,
            json=message(body="激活链接 https://mp.example/activate?token=t0k3n 请在48小时内点击", data={}),
        )

        assert sms.json()["data"]["code"] == "482913"
        assert email.json()["data"] == {"link": "https://mp.example/activate?token=t0k3n", "token": "t0k3n"}

    async def test_a_notice_by_sms_gets_no_code_from_its_dates(self, client: httpx.AsyncClient) -> None:
        notice = await client.post(
            OUTBOX_PATH,
            json=message(
                channel="sms",
                to="13800138000",
                kind="deregistration_notice",
                body="你的公众号将于2027年05月20日 10:00被终止使用",
                data={"rule": "R-DER-02", "day": 180},
            ),
        )

        assert notice.json()["data"] == {"rule": "R-DER-02", "day": 180}

    async def test_unknown_channel_is_refused_and_records_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        payload = message(channel="fax")

        response = await client.post(OUTBOX_PATH, json=payload)

        assert response.status_code == 422
        assert response.json()["error"]["code"] == "validation_error"
        assert await rows_with_key(db_conn, payload["key"]) == 0

    @pytest.mark.parametrize(("field", "value"), [("to", "x" * 321), ("kind", "k" * 65), ("to", " ")])
    async def test_value_outside_its_length_is_refused_and_records_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection, field: str, value: str
    ) -> None:
        payload = message(**{field: value})

        response = await client.post(OUTBOX_PATH, json=payload)

        assert response.status_code == 422
        assert response.json()["error"]["field"] == field
        assert await rows_with_key(db_conn, payload["key"]) == 0


@pytest.mark.rule("R-OUT-01")
class TestListOutbox:
    async def test_filters_are_exact_and_email_address_ignores_case(self, client: httpx.AsyncClient) -> None:
        address = f"{unique('Op')}@Example.gov.cn"
        await client.post(OUTBOX_PATH, json=message(to=address, kind="activation"))
        await client.post(OUTBOX_PATH, json=message(to=address, kind="password_reset"))
        await client.post(OUTBOX_PATH, json=message(to=address + ".other", kind="activation"))

        response = await client.get(
            "/_sandbox/outbox", params={"to": address.upper(), "kind": "activation", "channel": "email"}
        )

        assert response.status_code == 200
        items = response.json()["items"]
        assert [(i["to"], i["kind"]) for i in items] == [(address, "activation")]
        assert set(items[0]) >= {"id", "channel", "to", "kind", "subject", "body", "data", "created_at"}

    async def test_items_run_oldest_to_newest_and_since_is_inclusive(self, client: httpx.AsyncClient) -> None:
        address = f"{unique('op')}@example.gov.cn"
        start = datetime(2027, 1, 1, tzinfo=UTC)
        for day in (2, 0, 1):
            at = (start + timedelta(days=day)).isoformat()
            await client.post(OUTBOX_PATH, json=message(to=address, created_at=at, subject=f"day {day}"))

        everything = await client.get("/_sandbox/outbox", params={"to": address})
        recent = await client.get(
            "/_sandbox/outbox", params={"to": address, "since": (start + timedelta(days=1)).isoformat()}
        )

        assert [i["subject"] for i in everything.json()["items"]] == ["day 0", "day 1", "day 2"]
        assert [i["subject"] for i in recent.json()["items"]] == ["day 1", "day 2"]

    async def test_namespace_header_narrows_to_that_namespace(self, client: httpx.AsyncClient) -> None:
        address = f"{unique('op')}@example.gov.cn"
        mine, other = unique("ns"), unique("ns")
        await client.post(OUTBOX_PATH, json=message(to=address, namespace=mine))
        await client.post(OUTBOX_PATH, json=message(to=address, namespace=other))

        response = await client.get(
            "/_sandbox/outbox", params={"to": address}, headers={"X-Sandbox-Namespace": mine}
        )

        assert [i["namespace"] for i in response.json()["items"]] == [mine]

    async def test_mobile_number_is_found_with_or_without_plus_86(self, client: httpx.AsyncClient) -> None:
        phone = f"139{secrets.randbelow(10**8):08d}"
        sms = message(channel="sms", to=phone, kind="sms_code", body="验证码 123456", data={})
        await client.post(OUTBOX_PATH, json=sms)

        found = [
            (await client.get("/_sandbox/outbox", params={"to": to, "kind": "sms_code"})).json()["items"]
            for to in (phone, f"+86{phone}", f"86{phone}", f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}")
        ]

        assert [[i["to"] for i in items] for items in found] == [[phone]] * 4
