from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from services.certification.app import build_app
from servicekit.testing import asgi_client, wire_app


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
        }
