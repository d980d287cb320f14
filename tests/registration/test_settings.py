from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.registration.factories import (
    FakeMessaging,
    activated_operator,
    advance,
    fixture_account,
    image_bytes,
    login,
    request_token,
    set_clock,
    unique_email,
)

T0 = datetime(2026, 1, 31, 4, 0, tzinfo=UTC)


async def approved_operator(client: httpx.AsyncClient, **body: object) -> tuple[dict, dict[str, str]]:
    account = await fixture_account(client, **body)
    return account, await login(client, account["email"], account["password"])


@pytest.mark.rule("R-REG-32")
class TestWechatId:
    async def test_wechat_id_can_be_set_once(self, client: httpx.AsyncClient) -> None:
        _, headers = await approved_operator(client)
        first = await client.patch(
            "/api/v1/account/settings", json={"wechat_id": "dongcheng_gov"}, headers=headers
        )
        assert first.status_code == 200
        assert first.json()["wechat_id"] == "dongcheng_gov"
        second = await client.patch(
            "/api/v1/account/settings", json={"wechat_id": "dongcheng_2"}, headers=headers
        )
        assert second.json()["error"]["code"] == "wechat_id_already_set"

    async def test_wechat_id_is_unique(self, client: httpx.AsyncClient) -> None:
        _, a = await approved_operator(client)
        _, b = await approved_operator(client)
        await client.patch("/api/v1/account/settings", json={"wechat_id": "shared_id"}, headers=a)
        r = await client.patch("/api/v1/account/settings", json={"wechat_id": "Shared_ID"}, headers=b)
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "wechat_id_taken"

    async def test_invalid_wechat_id_is_400(self, client: httpx.AsyncClient) -> None:
        _, headers = await approved_operator(client)
        r = await client.patch("/api/v1/account/settings", json={"wechat_id": "1abc"}, headers=headers)
        assert r.status_code == 400

    async def test_settings_need_an_approved_account(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        op = await activated_operator(client, messaging)
        r = await client.patch("/api/v1/account/settings", json={"wechat_id": "abcdefg"}, headers=op.headers)
        assert r.status_code == 409
        assert r.json()["error"]["code"] == "not_approved"


@pytest.mark.rule("R-REG-32")
class TestLoginEmail:
    async def test_login_email_changes_once_a_month(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        account, headers = await approved_operator(client)
        new = unique_email()
        r = await client.patch("/api/v1/account/settings", json={"login_email": new}, headers=headers)
        assert r.status_code == 200
        assert r.json()["login_email"] == new
        assert (
            await client.post("/api/v1/sessions", json={"email": new, "password": account["password"]})
        ).status_code == 201
        again = await client.patch(
            "/api/v1/account/settings", json={"login_email": unique_email()}, headers=headers
        )
        assert again.status_code == 409
        assert again.json()["error"]["next_allowed_at"].startswith("2026-02-28T12:00:00+08:00")
        await advance(db_conn, timedelta(days=28))
        headers = await login(client, new, account["password"])
        later = await client.patch(
            "/api/v1/account/settings", json={"login_email": unique_email()}, headers=headers
        )
        assert later.status_code == 200

    async def test_email_of_another_account_is_refused(self, client: httpx.AsyncClient) -> None:
        other = await fixture_account(client)
        _, headers = await approved_operator(client)
        r = await client.patch(
            "/api/v1/account/settings", json={"login_email": other["email"]}, headers=headers
        )
        assert r.json()["error"]["code"] == "email_taken"

    async def test_malformed_login_email_is_400_naming_login_email(self, client: httpx.AsyncClient) -> None:
        _, headers = await approved_operator(client)
        r = await client.patch(
            "/api/v1/account/settings", json={"login_email": "no-at-sign"}, headers=headers
        )
        assert r.status_code == 400
        assert (r.json()["error"]["code"], r.json()["error"]["field"]) == ("invalid_email", "login_email")


class TestAvatar:
    @pytest.mark.rule("R-REG-32")
    async def test_avatar_changes_once_a_month(self, client: httpx.AsyncClient) -> None:
        _, headers = await approved_operator(client)
        files = {"file": ("a.png", image_bytes("PNG"), "image/png")}
        first = await client.put("/api/v1/account/avatar", files=files, headers=headers)
        assert first.status_code == 200
        assert first.json()["format"] == "png"
        second = await client.put("/api/v1/account/avatar", files=files, headers=headers)
        assert second.status_code == 409
        assert second.json()["error"]["next_allowed_at"]

    async def test_non_image_avatar_is_415(self, client: httpx.AsyncClient) -> None:
        _, headers = await approved_operator(client)
        r = await client.put(
            "/api/v1/account/avatar", files={"file": ("a.jpg", b"hello", "image/jpeg")}, headers=headers
        )
        assert r.status_code == 415


@pytest.mark.rule("R-REG-30")
class TestResetSecret:
    async def test_new_secret_works_and_the_old_one_does_not(self, client: httpx.AsyncClient) -> None:
        account, headers = await approved_operator(client)
        reset = (await client.post("/api/v1/account/developer/secret", headers=headers)).json()
        assert reset["appid"] == account["appid"]
        assert len(reset["secret"]) == 32
        params = {"grant_type": "client_credential", "appid": account["appid"]}
        assert (await client.get("/cgi-bin/token", params={**params, "secret": account["secret"]})).json()[
            "errcode"
        ] == 40125
        assert (
            "access_token"
            in (await client.get("/cgi-bin/token", params={**params, "secret": reset["secret"]})).json()
        )


class TestSearch:
    @pytest.mark.rule("R-REG-30", "R-REG-19", "R-DER-04")
    async def test_only_approved_accounts_are_found_and_certified_ones_marked(
        self, client: httpx.AsyncClient
    ) -> None:
        await fixture_account(client, name="搜索测试甲")
        await fixture_account(client, name="搜索测试乙", type="service", certified=True)
        await fixture_account(client, name="搜索测试丙", status="in_review")
        await fixture_account(client, name="搜索测试丁", status="terminated")
        items = (await client.get("/api/v1/accounts/search", params={"q": "搜索测试"})).json()["items"]
        assert sorted((i["name"], i["certified"]) for i in items) == [
            ("搜索测试乙", True),
            ("搜索测试甲", False),
        ]

    async def test_certification_is_asked_once_for_all_results(
        self, client: httpx.AsyncClient, certification_calls: list[str]
    ) -> None:
        for name in ("批量甲", "批量乙", "批量丙"):
            await fixture_account(client, name=name)
        certification_calls.clear()
        items = (await client.get("/api/v1/accounts/search", params={"q": "批量"})).json()["items"]
        assert len(items) == 3
        assert certification_calls == ["POST /internal/certifications/summaries"]

    async def test_like_wildcards_are_literal(self, client: httpx.AsyncClient) -> None:
        await fixture_account(client, name="百分号测试")
        assert (await client.get("/api/v1/accounts/search", params={"q": "%"})).json()["items"] == []


@pytest.mark.rule("R-DER-04", "R-TOK-03")
class TestTerminatedAccount:
    async def test_live_session_of_terminated_account_gets_410(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        account, headers = await approved_operator(client)
        await db_conn.execute(
            text("UPDATE registration.accounts SET status='terminated', terminated_at=now() WHERE id=:id"),
            {"id": account["account_id"]},
        )
        r = await client.get("/api/v1/account", headers=headers)
        assert r.status_code == 410
        assert r.json()["error"]["code"] == "account_terminated"
        gone = await request_token(client, account)
        assert gone.json()["errcode"] == 40013
