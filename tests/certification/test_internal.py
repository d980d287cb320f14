from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.certification.client import NAME_NOT_HELD, CertificationClient
from servicekit.errors import SandboxError
from servicekit.testing import asgi_client, wire_app
from services.certification.app import build_app


@pytest.fixture
async def client(db_conn: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(wire_app(build_app(), connection=db_conn)) as c:
        yield c


class TestRecordCertification:
    async def test_recorded_certification_is_reported(self, client: httpx.AsyncClient) -> None:
        r = await client.put("/internal/certifications/acc_1", json={"certified_name": "北京市公安局"})
        assert r.status_code == 200
        summary = (await client.get("/internal/certifications/acc_1")).json()
        assert summary["certified"] is True
        assert summary["certified_name"] == "北京市公安局"

    async def test_unknown_account_is_not_certified(self, client: httpx.AsyncClient) -> None:
        summary = (await client.get("/internal/certifications/acc_none")).json()
        assert summary == {
            "account_id": "acc_none",
            "certified": False,
            "certified_name": None,
            "certification_text": None,
            "certified_at": None,
            "expires_at": None,
            "pending": False,
            "changes_at": None,
        }


class TestCertificationByName:
    async def test_holder_of_a_certified_name_is_reported(self, client: httpx.AsyncClient) -> None:
        await client.put("/internal/certifications/acc_2", json={"certified_name": "北京市（东城）公安局"})

        found = await client.get(f"/internal/certifications/by-name/{quote('北京市（东城）公安局')}")

        assert found.status_code == 200, found.text
        assert found.json()["account_id"] == "acc_2"
        assert found.json()["certified"] is True

    async def test_name_no_certified_account_holds_is_404(self, client: httpx.AsyncClient) -> None:
        await client.put("/internal/certifications/acc_3", json={"certified_name": "北京市公安局"})

        missing = await client.get(f"/internal/certifications/by-name/{quote('北京市公安')}")

        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == NAME_NOT_HELD


class TestCertificationClientByName:
    async def test_client_returns_the_holder_or_none(self, client: httpx.AsyncClient) -> None:
        await client.put("/internal/certifications/acc_4", json={"certified_name": "东城区(政务)发布"})
        certification = CertificationClient(client)

        holder = await certification.by_name("东城区(政务)发布")
        nobody = await certification.by_name("东城区(政务)发布处")

        assert holder is not None
        assert holder.account_id == "acc_4"
        assert nobody is None

    async def test_client_does_not_mistake_a_missing_route_for_a_free_name(self) -> None:
        def no_such_route(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"detail": "Not Found"})

        async with httpx.AsyncClient(
            transport=httpx.MockTransport(no_such_route), base_url="http://c"
        ) as http:
            with pytest.raises(SandboxError):
                await CertificationClient(http).by_name("东城发布")


class TestCertificationSummaries:
    async def test_one_call_answers_every_account_in_order(self, client: httpx.AsyncClient) -> None:
        await client.put("/internal/certifications/acc_b", json={"certified_name": "北京市公安局"})
        summaries = await CertificationClient(client).summaries(["acc_a", "acc_b", "acc_a"])
        assert {k: v.certified for k, v in summaries.items()} == {"acc_a": False, "acc_b": True}
        assert summaries["acc_b"].certified_name == "北京市公安局"

    async def test_more_than_a_thousand_ids_is_422(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/internal/certifications/summaries", json={"account_ids": [f"a{i}" for i in range(1001)]}
        )
        assert r.status_code == 422
