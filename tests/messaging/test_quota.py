"""R-MSG-23 quota and R-MSG-26 clientmsgid: per period, shared by console and API, held under concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from servicekit import clock
from servicekit.testing import asgi_client, wire_app
from services.messaging.app import build_app
from services.messaging.mass.models import MassCounter, MassJob
from tests.messaging.factories import CgiApi, account_headers, account_view, api_at, freeze_at

TEXT = {"msgtype": "text", "filter": {"is_to_all": True}, "text": {"content": "通知"}}


async def sendall(api: CgiApi, **extra: Any) -> dict[str, Any]:
    return await api.post_json("message/mass/sendall", {**TEXT, **extra})


@pytest.mark.rule("R-MSG-23")
class TestSubscriptionDailyQuota:
    async def test_second_send_of_the_day_is_45028_with_resets_at(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        api = await api_at(client, db_conn, "subscription", datetime(2026, 12, 1, 23, 50))

        assert (await sendall(api))["errcode"] == 0
        refused = await sendall(api)

        assert (refused["errcode"], refused["errmsg"]) == (45028, "has no masssend quota")
        assert datetime.fromisoformat(refused["resets_at"]) == datetime(2026, 12, 2, tzinfo=clock.SHANGHAI)

    async def test_next_natural_day_in_shanghai_resets(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        api = await api_at(client, db_conn, "subscription", datetime(2026, 12, 1, 23, 50))
        assert (await sendall(api))["errcode"] == 0

        await freeze_at(db_conn, api.account, datetime(2026, 12, 2, 0, 0, 1))

        assert (await sendall(api))["errcode"] == 0
        assert (await sendall(api))["errcode"] == 45028


@pytest.mark.rule("R-MSG-23")
class TestServiceMonthlyQuota:
    async def test_fifth_send_of_the_month_is_refused_and_next_month_resets(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        api = await api_at(client, db_conn, "service", datetime(2026, 11, 3, 9, 0))

        results = [(await sendall(api))["errcode"] for _ in range(5)]
        assert results == [0, 0, 0, 0, 45028]
        await freeze_at(db_conn, api.account, datetime(2026, 11, 30, 23, 59))
        assert (await sendall(api))["errcode"] == 45028

        await freeze_at(db_conn, api.account, datetime(2026, 12, 1, 0, 0))
        assert (await sendall(api))["errcode"] == 0


@pytest.mark.rule("R-MSG-23")
class TestQuotaSharedWithConsole:
    async def test_console_send_uses_the_api_quota_and_gets_429(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view(account_type="subscription")
        headers = account_headers(account)
        assert (await sendall(CgiApi(client, account)))["errcode"] == 0

        response = await client.post(
            "/api/v1/mass-sends", json={"msgtype": "text", "text": "hi"}, headers=headers
        )

        assert response.status_code == 429
        error = response.json()["error"]
        assert error["code"] == "mass_send_quota_exhausted"
        assert "resets_at" in error
        quota = (await client.get("/api/v1/mass-sends/quota", headers=headers)).json()
        assert (quota["used"], quota["limit"], quota["period"]) == (1, 1, "day")

    async def test_a_refused_send_consumes_no_quota(self, client: httpx.AsyncClient) -> None:
        account = account_view(account_type="subscription")
        api = CgiApi(client, account)
        bad = {**TEXT, "text": {"content": "Привет"}}

        assert (await api.post_json("message/mass/sendall", bad))["errcode"] == 47003
        assert (await sendall(api))["errcode"] == 0


@pytest.mark.rule("R-MSG-26")
class TestClientMsgId:
    async def test_repeat_within_24_hours_is_45065_with_the_first_job_and_sends_nothing(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account = account_view(account_type="service")
        api = CgiApi(client, account)
        first = await sendall(api, clientmsgid="notice-42")

        repeat = await sendall(api, clientmsgid="notice-42")

        assert repeat["errcode"] == 45065
        assert repeat["msg_id"] == repeat["msgid"] == first["msg_id"]
        jobs = await db_conn.scalar(select(func.count()).where(MassJob.account_id == account.account_id))
        used = await db_conn.scalar(
            select(MassCounter.used).where(MassCounter.account_id == account.account_id)
        )
        assert (jobs, used) == (1, 1)

    async def test_same_clientmsgid_after_24_hours_sends_again(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        api = await api_at(client, db_conn, "service", datetime(2026, 11, 3, 9, 0))
        first = await sendall(api, clientmsgid="daily")
        await freeze_at(db_conn, api.account, datetime(2026, 11, 4, 9, 0, 1))

        again = await sendall(api, clientmsgid="daily")

        assert again["errcode"] == 0
        assert again["msg_id"] != first["msg_id"]

    async def test_clientmsgid_over_64_bytes_is_45067(self, client: httpx.AsyncClient) -> None:
        result = await sendall(CgiApi(client, account_view()), clientmsgid="x" * 65)
        assert result["errcode"] == 45067


@pytest.fixture
async def committing_client(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the real engine: every request commits, so concurrent requests really race."""
    async with asgi_client(wire_app(build_app(), engine=engine)) as c:
        yield c


class TestConcurrency:
    @pytest.mark.parametrize(("account_type", "limit"), [("subscription", 1), ("service", 4)])
    @pytest.mark.rule("R-MSG-23")
    async def test_concurrent_sends_accept_exactly_the_limit(
        self, committing_client: httpx.AsyncClient, account_type: str, limit: int
    ) -> None:
        api = CgiApi(committing_client, account_view(account_type=account_type))

        results = await asyncio.gather(*(sendall(api) for _ in range(limit + 6)))

        codes = sorted(r["errcode"] for r in results)
        assert codes == [0] * limit + [45028] * 6

    @pytest.mark.rule("R-MSG-26")
    async def test_concurrent_repeats_of_a_clientmsgid_send_once(
        self, committing_client: httpx.AsyncClient, engine: AsyncEngine
    ) -> None:
        account = account_view(account_type="service")
        api = CgiApi(committing_client, account)

        results = await asyncio.gather(*(sendall(api, clientmsgid="race") for _ in range(6)))

        accepted = [r for r in results if r["errcode"] == 0]
        assert len(accepted) == 1
        assert {r["msg_id"] for r in results} == {accepted[0]["msg_id"]}
        async with engine.connect() as conn:
            jobs = await conn.scalar(select(func.count()).where(MassJob.account_id == account.account_id))
        assert jobs == 1


class TestStats:
    async def test_internal_stats_report_followers_and_the_current_quota(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        api = await api_at(client, db_conn, "service", datetime(2026, 11, 3, 9, 0))
        await sendall(api)
        account = api.account

        response = await client.get(
            f"/internal/accounts/{account.account_id}/stats", params={"namespace": account.namespace}
        )

        body = response.json()
        assert body["followers"] == 0
        assert (body["quota"]["used"], body["quota"]["limit"], body["quota"]["period"]) == (1, 4, "month")
        assert datetime.fromisoformat(body["quota"]["resets_at"]) == datetime(
            2026, 12, 1, tzinfo=clock.SHANGHAI
        )

    async def test_stats_with_the_account_type_report_an_unused_quota(
        self, client: httpx.AsyncClient
    ) -> None:
        account = account_view(account_type="subscription")

        response = await client.get(
            f"/internal/accounts/{account.account_id}/stats",
            params={"namespace": account.namespace, "type": "subscription"},
        )

        quota = response.json()["quota"]
        assert (quota["used"], quota["limit"], quota["period"]) == (0, 1, "day")
