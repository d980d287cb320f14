from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.registration.schemas import encode_account_header
from tests.registration.factories import (
    advance,
    credentials,
    fixture_account,
    request_token,
    set_clock,
    token_for,
)

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def introspect(client: httpx.AsyncClient, token: str | None) -> dict:
    params = {"access_token": token} if token is not None else {}
    response = await client.get("/internal/auth/token", params=params)
    assert response.status_code == 200
    return response.json()


class TestGetToken:
    @pytest.mark.rule("R-TOK-01")
    async def test_valid_credentials_issue_a_token_for_7200_seconds(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        r = await request_token(client, account)
        assert r.status_code == 200
        assert r.json()["expires_in"] == 7200
        assert len(r.json()["access_token"]) >= 64

    @pytest.mark.rule("R-TOK-01")
    async def test_wrong_inputs_return_wechat_codes(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        base = credentials(account)
        cases = [
            ({**base, "grant_type": "password"}, 40002),
            ({k: v for k, v in base.items() if k != "appid"}, 41002),
            ({k: v for k, v in base.items() if k != "secret"}, 41004),
            ({**base, "appid": "wx0000000000000000"}, 40013),
            ({**base, "secret": "0" * 32}, 40125),
        ]
        for params, errcode in cases:
            r = await client.get("/cgi-bin/token", params=params)
            assert r.status_code == 200
            assert r.json()["errcode"] == errcode, params

    async def test_wrong_method_says_which_one_is_required(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)

        posted = await client.post("/cgi-bin/token", params=credentials(account))
        fetched = await client.get("/cgi-bin/stable_token")

        assert (posted.status_code, posted.json()["errcode"]) == (200, 43001)  # require GET method
        assert (fetched.status_code, fetched.json()["errcode"]) == (200, 43002)  # require POST method

    @pytest.mark.rule("R-TOK-03")
    async def test_terminated_account_cannot_get_a_token(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client, status="terminated")
        r = await request_token(client, account)
        assert r.json()["errcode"] == 40013


class TestTokenIntrospection:
    async def test_valid_token_resolves_to_the_account_with_its_ttl(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        account = await fixture_account(client, type="service")
        body = await introspect(client, await token_for(client, account))
        assert body["account"]["account_id"] == account["account_id"]
        assert body["account"]["appid"] == account["appid"]
        assert body["account"]["status"] == "approved"
        assert "custom_menu" in body["account"]["capabilities"]
        assert body["ttl"] == 7200

    @pytest.mark.rule("R-TOK-04")
    async def test_missing_and_unknown_tokens_are_refused(self, client: httpx.AsyncClient) -> None:
        assert (await introspect(client, None))["errcode"] == 41001
        assert (await introspect(client, "nope"))["errcode"] == 40001

    @pytest.mark.rule("R-TOK-04")
    async def test_token_expires_after_7200_seconds_of_sandbox_time(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        token = await token_for(client, await fixture_account(client))
        await advance(db_conn, timedelta(seconds=7199))
        assert (await introspect(client, token))["ttl"] == 1
        await advance(db_conn, timedelta(seconds=1))
        assert (await introspect(client, token))["errcode"] == 42001

    @pytest.mark.rule("R-TOK-01")
    async def test_replaced_token_works_five_more_minutes(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        account = await fixture_account(client)
        old = await token_for(client, account)
        new = await token_for(client, account)
        assert old != new
        assert (await introspect(client, old))["ttl"] == 300
        await advance(db_conn, timedelta(minutes=5))
        assert (await introspect(client, old))["errcode"] == 40001
        assert (await introspect(client, new))["ttl"] == 7200 - 300

    @pytest.mark.rule("R-TOK-03", "R-DER-04")
    async def test_account_terminated_after_issue_makes_its_token_invalid(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        from sqlalchemy import text

        account = await fixture_account(client)
        token = await token_for(client, account)
        await db_conn.execute(
            text("UPDATE registration.accounts SET status = 'terminated' WHERE id = :id"),
            {"id": account["account_id"]},
        )
        assert (await introspect(client, token))["errcode"] == 40001


@pytest.mark.rule("R-TOK-02")
class TestStableToken:
    async def test_repeated_calls_return_the_same_token(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        body = credentials(account)
        # No Content-Type, as wechatpy-style clients send it.
        first = (await client.post("/cgi-bin/stable_token", content=__import__("json").dumps(body))).json()
        second = (await client.post("/cgi-bin/stable_token", json=body)).json()
        assert first["access_token"] == second["access_token"]

    async def test_stable_pool_is_separate_from_the_token_pool(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        account = await fixture_account(client)
        body = credentials(account)
        stable = (await client.post("/cgi-bin/stable_token", json=body)).json()["access_token"]
        await token_for(client, account)
        await token_for(client, account)
        assert (await introspect(client, stable))["ttl"] == 7200

    async def test_force_refresh_replaces_the_token_at_once(
        self, client: httpx.AsyncClient, db_conn: AsyncConnection
    ) -> None:
        await set_clock(db_conn, T0)
        account = await fixture_account(client)
        body = credentials(account)
        first = (await client.post("/cgi-bin/stable_token", json=body)).json()["access_token"]
        forced = (await client.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})).json()
        assert forced["access_token"] != first
        assert (await introspect(client, first))["errcode"] == 40001
        again = await client.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})
        assert again.json()["errcode"] == 45011  # forced refreshes at least 30 s apart

    async def test_malformed_and_empty_bodies_get_wechat_codes(self, client: httpx.AsyncClient) -> None:
        assert (await client.post("/cgi-bin/stable_token", content=b"{nope")).json()["errcode"] == 47001
        assert (await client.post("/cgi-bin/stable_token", content=b"")).json()["errcode"] == 44002
        bad_type = await client.post(
            "/cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": 5}
        )
        assert bad_type.json()["errcode"] == 40035


@pytest.mark.rule("R-TOK-04")
class TestGetCallbackIp:
    async def test_resolved_account_gets_the_ip_list(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        view = (await client.get(f"/internal/accounts/{account['account_id']}")).content
        r = await client.get(
            "/cgi-bin/getcallbackip", headers={"X-Sandbox-Account": encode_account_header(view)}
        )
        assert r.json() == {"ip_list": ["127.0.0.1"]}

    async def test_without_resolved_account_it_is_41001(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/cgi-bin/getcallbackip")).json()["errcode"] == 41001
