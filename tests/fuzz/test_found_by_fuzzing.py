"""What the fuzzer found, kept as plain scenarios: each one answered 500 or 503 before its fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from urllib.parse import quote

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.http import peer_path
from tests.fuzz.conftest import Target, messaging_target

pytestmark = pytest.mark.fuzz


@pytest.fixture
async def messaging(db_conn: AsyncConnection) -> AsyncIterator[Target]:
    async with AsyncExitStack() as stack:
        yield await messaging_target(db_conn, stack)


class TestValuesTheDatabaseCannotHold:
    async def test_msg_id_beyond_bigint_names_no_job_not_database_down(self, messaging: Target) -> None:
        r = await messaging.client.get("/api/v1/mass-sends/273940589613487030272", headers=messaging.headers)

        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "mass_send_not_found"

    async def test_tag_id_beyond_integer_is_refused_naming_the_field(self, messaging: Target) -> None:
        r = await messaging.client.get(
            "/api/v1/followers", params={"tag_id": -2579786128245944}, headers=messaging.headers
        )

        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "tag_id"

    async def test_the_request_after_a_refused_value_still_works(self, messaging: Target) -> None:
        await messaging.client.get("/api/v1/mass-sends/273940589613487030272", headers=messaging.headers)

        r = await messaging.client.get("/api/v1/followers", headers=messaging.headers)

        assert r.status_code == 200, r.text


class TestPathParametersForwardedToPeers:
    @pytest.mark.parametrize("appid", ["wx\x17evil", "wx\x00", "x?y=1", "#frag", "%2e%2e", "wx 1"])
    async def test_odd_appid_is_an_unknown_account(self, messaging: Target, appid: str) -> None:
        path = f"/_sandbox/accounts/{quote(appid, safe='')}/followers/o1/unsubscribe"

        r = await messaging.client.post(path)

        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "account_not_found"

    def test_each_value_is_one_encoded_segment(self) -> None:
        assert peer_path("/internal/x/{appid}/y", appid="a/b?c#d\x17") == "/internal/x/a%2Fb%3Fc%23d%17/y"
