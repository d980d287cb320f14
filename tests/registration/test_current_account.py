"""The operator behind a console request: forwarded by the gateway, or resolved from the session."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from contracts.registration.client import SESSION_INTROSPECT_PATH, TERMINATIONS_PATH
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


class TestTerminatedSession:
    @pytest.mark.rule("R-DER-04")
    async def test_the_session_introspection_of_a_terminated_account_is_410_with_date_and_reason(
        self, client: httpx.AsyncClient
    ) -> None:
        account = await fixture_account(client)
        headers = await login(client, account["email"], account["password"])
        now = datetime.fromisoformat(
            (await client.get("/api/v1/account", headers=headers)).json()["last_login_at"]
        )
        batch = {
            "items": [
                {
                    "account_id": account["account_id"],
                    "rule": "R-DER-02",
                    "reason": "inactive",
                    "anchor_at": now.isoformat(),
                    "at": now.isoformat(),
                }
            ]
        }
        terminated = await client.post(TERMINATIONS_PATH, json=batch)
        assert terminated.status_code == 200, terminated.text

        r = await client.get(SESSION_INTROSPECT_PATH, headers=headers)

        assert r.status_code == 410
        assert r.json()["error"]["code"] == "account_terminated"
        assert r.json()["error"]["reason"] == "inactive"
        assert r.json()["error"]["terminated_at"] is not None
