"""The operator behind a console request: forwarded by the gateway, or resolved from the session."""

from __future__ import annotations

import httpx

from contracts.registration.schemas import encode_account_header
from tests.registration.factories import fixture_account, login


async def forwarded(client: httpx.AsyncClient, account: dict[str, str]) -> dict[str, str]:
    """The X-Sandbox-Account header the gateway adds once it has introspected the session."""
    view = (await client.get(f"/internal/accounts/{account['account_id']}")).content
    return {"X-Sandbox-Account": encode_account_header(view)}


class TestCurrentAccount:
    async def test_the_gateway_forwarded_account_is_used_without_a_session(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client)

        r = await client.get("/api/v1/account", headers=await forwarded(client, account))

        assert r.status_code == 200
        assert r.json()["account_id"] == account["account_id"]

    async def test_the_forwarded_account_is_read_fresh(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)
        headers = await forwarded(client, account)
        await client.patch(
            "/api/v1/account/settings",
            json={"wechat_id": "fresh_read"},
            headers=await login(client, account["email"], account["password"]),
        )

        r = await client.get("/api/v1/account", headers=headers)

        assert r.json()["wechat_id"] == "fresh_read"

    async def test_a_terminated_forwarded_account_is_410(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client, status="terminated")

        r = await client.get("/api/v1/account", headers=await forwarded(client, account))

        assert r.status_code == 410
        assert r.json()["error"]["code"] == "account_terminated"

    async def test_without_header_or_session_it_is_401(self, client: httpx.AsyncClient) -> None:
        r = await client.get("/api/v1/account")

        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"

    async def test_a_session_alone_still_resolves_the_operator(self, client: httpx.AsyncClient) -> None:
        account = await fixture_account(client)

        r = await client.get(
            "/api/v1/account", headers=await login(client, account["email"], account["password"])
        )

        assert r.json()["account_id"] == account["account_id"]
