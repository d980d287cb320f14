"""`GET /api/v1/certifications/requirements` (SPEC §4.1): the form a console builds, R-CER-02/03."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.testing import asgi_client, wire_app
from services.certification.app import build_app

FORM_FIELDS = [
    "institution_name", "institution_nature", "organization_code", "website", "office_address", "headcount",
    "intro", "certified_name", "certification_reason", "services", "operator_name", "operator_department",
    "operator_position", "operator_id_number", "operator_phone", "office_phone", "contact_email",
    "tencent_contact", "tencent_contact_department", "bank_name", "bank_account",
]  # fmt: skip


@pytest.fixture
async def client(db_conn: AsyncConnection) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(wire_app(build_app(), connection=db_conn)) as c:
        yield c


async def requirements(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/api/v1/certifications/requirements")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


class TestCertificationRequirements:
    @pytest.mark.rule("R-CER-02")
    async def test_every_field_of_the_form_is_listed_in_order_with_a_chinese_label(
        self, client: httpx.AsyncClient
    ) -> None:
        fields = (await requirements(client))["fields"]

        assert [f["name"] for f in fields] == FORM_FIELDS
        assert all(f["label"] and not f["label"].isascii() for f in fields)
        optional = {f["name"] for f in fields if not f["required"]}
        assert optional == {"website", "tencent_contact", "tencent_contact_department"}

    @pytest.mark.rule("R-CER-02")
    async def test_bounds_and_choices_are_those_the_rules_check(self, client: httpx.AsyncClient) -> None:
        fields = {f["name"]: f for f in (await requirements(client))["fields"]}

        assert fields["institution_name"] == {
            "name": "institution_name",
            "label": "机构名称",
            "required": True,
            "min_length": 2,
            "max_length": 64,
        }
        assert (fields["intro"]["min_length"], fields["intro"]["max_length"]) == (4, 300)
        assert (fields["office_address"]["min_length"], fields["office_address"]["max_length"]) == (4, 120)
        assert (fields["bank_account"]["min_length"], fields["bank_account"]["max_length"]) == (8, 30)
        assert fields["institution_nature"]["choices"] == ["government_agency", "public_institution"]
        assert fields["institution_nature"]["choice_labels"] == {
            "government_agency": "政府机构",
            "public_institution": "事业单位",
        }
        assert (fields["headcount"]["min_value"], fields["headcount"]["max_value"]) == (1, 1_000_000)
        assert "choices" not in fields["intro"]  # absent keys are left out, not null

    @pytest.mark.rule("R-CER-02")
    async def test_three_scans_each_up_to_5_mib(self, client: httpx.AsyncClient) -> None:
        files = (await requirements(client))["files"]

        assert [f["field"] for f in files] == [
            "application_letter",
            "information_form",
            "organization_code_certificate",
        ]
        for f in files:
            assert f["max_bytes"] == 5_242_880
            assert f["types"] == ["jpg", "jpeg", "bmp", "gif", "png", "pdf"]
            assert f["label"]

    @pytest.mark.rule("R-CER-03")
    async def test_fee_is_zero_with_its_reason_and_review_takes_5_working_days(
        self, client: httpx.AsyncClient
    ) -> None:
        body = await requirements(client)

        assert body["fee"]["amount"] == 0
        assert body["fee"]["currency"] == "CNY"
        assert body["fee"]["waived_reason"]
        assert body["review"] == {"working_days": 5}

    async def test_the_call_is_in_the_openapi_document(self, client: httpx.AsyncClient) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]

        assert "get" in paths["/api/v1/certifications/requirements"]
