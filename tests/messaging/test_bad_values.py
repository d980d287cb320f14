"""SPEC §8: a value no column can hold (a number past its range, a NUL character) is bad input with
the endpoint's own error — never -1 `system error` or 503 as if the database were down."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from tests.messaging.factories import CgiApi, account_headers, account_view, insert_followers

HUGE = 10**30
TEXT = {"msgtype": "text", "text": {"content": "通知"}}


@pytest.fixture
def api(client: httpx.AsyncClient) -> CgiApi:
    return CgiApi(client, account_view())


class TestNumbersPastTheirColumns:
    @pytest.mark.parametrize(
        ("path", "body", "errcode"),
        [
            ("message/mass/get", {"msg_id": HUGE}, 40059),
            ("message/mass/delete", {"msg_id": HUGE}, 40059),
            ("message/mass/sendall", {**TEXT, "filter": {"is_to_all": False, "tag_id": HUGE}}, 40152),
            ("tags/update", {"tag": {"id": HUGE, "name": "居民"}}, 45159),
            ("tags/delete", {"tag": {"id": HUGE}}, 45159),
            ("user/tag/get", {"tagid": HUGE}, 45159),
        ],
        ids=["mass-get", "mass-delete", "sendall-tag", "tag-update", "tag-delete", "tag-members"],
    )
    async def test_cgi_answers_the_not_found_code(
        self, api: CgiApi, path: str, body: dict[str, Any], errcode: int
    ) -> None:
        assert (await api.post_json(path, body))["errcode"] == errcode

    async def test_tagging_with_a_huge_tag_id_is_45159(self, api: CgiApi, db_conn: AsyncConnection) -> None:
        openids = await insert_followers(db_conn, api.account, 1)
        body = {"tagid": HUGE, "openid_list": openids}
        assert (await api.post_json("tags/members/batchtagging", body))["errcode"] == 45159

    @pytest.mark.parametrize(
        ("method", "path", "payload"),
        [
            ("GET", f"/api/v1/mass-sends/{HUGE}", None),
            ("GET", f"/api/v1/followers?tag_id={HUGE}", None),
            ("GET", f"/api/v1/followers?cursor={HUGE}", None),
            ("GET", f"/api/v1/materials?offset={HUGE}", None),
            (
                "POST",
                "/api/v1/mass-sends",
                {"msgtype": "text", "text": "x", "audience": {"type": "tag", "tag_id": HUGE}},
            ),
        ],
        ids=["job", "followers-tag", "followers-cursor", "materials-offset", "mass-send-tag"],
    )
    async def test_console_answers_4xx_in_spec_shape(
        self, client: httpx.AsyncClient, method: str, path: str, payload: dict[str, Any] | None
    ) -> None:
        response = await client.request(method, path, json=payload, headers=account_headers(account_view()))
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["error"]["code"]


class TestNulCharacters:
    async def test_cgi_tag_name_with_nul_is_47001_and_creates_nothing(self, api: CgiApi) -> None:
        refused = await api.post_json("tags/create", {"tag": {"name": "居\u0000民"}})

        assert refused["errcode"] == 47001
        tags = await api.client.get("/cgi-bin/tags/get", headers=api.headers)
        assert [t["id"] for t in tags.json()["tags"]] == [2]

    async def test_console_mass_send_text_with_nul_is_400_invalid_value(
        self, client: httpx.AsyncClient
    ) -> None:
        headers = account_headers(account_view())
        response = await client.post(
            "/api/v1/mass-sends", json={"msgtype": "text", "text": "a\u0000b"}, headers=headers
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_value"
        quota = (await client.get("/api/v1/mass-sends/quota", headers=headers)).json()
        assert quota["used"] == 0
