"""R-REG-16's last clause: duplicate names are allowed, except the name of a certified account.

The certification service is the real app in-process (see conftest), so these tests go through the
`GET /internal/certifications/by-name/{name}` contract as the running services do.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.registration.factories import (
    PROFILE,
    FakeMessaging,
    Operator,
    activated_operator,
    fixture_account,
    submit_subject,
)


def unique_name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:6]}"


async def operator_at_step_five(client: httpx.AsyncClient, messaging: FakeMessaging) -> Operator:
    op = await activated_operator(client, messaging)
    chosen = await client.put("/api/v1/account/type", json={"type": "service"}, headers=op.headers)
    assert chosen.status_code == 200, chosen.text
    subject = await submit_subject(client, op, messaging)
    assert subject.status_code == 200, subject.text
    return op


async def submit_name(client: httpx.AsyncClient, op: Operator, name: str) -> httpx.Response:
    return await client.put("/api/v1/account/profile", json={**PROFILE, "name": name}, headers=op.headers)


@pytest.mark.rule("R-REG-16")
class TestProfileNameOfCertifiedAccount:
    @pytest.mark.rule("R-CER-04")
    async def test_name_held_by_a_certified_account_is_refused_and_nothing_changes(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        name = unique_name("东城公安")
        await fixture_account(client, type="service", certified=True, name=name)
        op = await operator_at_step_five(client, messaging)

        refused = await submit_name(client, op, name)

        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "certified_name_taken"
        assert refused.json()["error"]["field"] == "name"
        account = (await client.get("/api/v1/account", headers=op.headers)).json()
        assert (account["status"], account["profile"]["name"], account["review"]["status"]) == (
            "activated",
            None,
            None,
        )

    async def test_name_held_by_an_uncertified_account_is_allowed(
        self, client: httpx.AsyncClient, messaging: FakeMessaging
    ) -> None:
        name = unique_name("东城发布")
        await fixture_account(client, type="service", name=name)
        op = await operator_at_step_five(client, messaging)

        accepted = await submit_name(client, op, name)

        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "in_review"

    @pytest.mark.rule("R-CER-08", "R-DER-04")
    async def test_name_of_a_terminated_certified_account_is_free_again(
        self, client: httpx.AsyncClient, messaging: FakeMessaging, db_conn: AsyncConnection
    ) -> None:
        name = unique_name("东城卫健")
        holder = await fixture_account(client, type="service", certified=True, name=name)
        await db_conn.execute(
            text("UPDATE registration.accounts SET status='terminated', terminated_at=now() WHERE id=:id"),
            {"id": holder["account_id"]},
        )
        op = await operator_at_step_five(client, messaging)

        accepted = await submit_name(client, op, name)

        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "in_review"
