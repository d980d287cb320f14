from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator

import httpx

from gateway.app import Gateway
from gateway.openapi import merge_documents
from tests.gateway.conftest import ADMIN_KEY, settings_for
from tests.gateway.gateway_fakes import FakeService, free_port, serving

KEY = {"X-Sandbox-Key": ADMIN_KEY}


class TestSandboxHealth:
    async def test_all_services_ready_is_ok(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/_sandbox/health", headers=KEY)
        body = response.json()
        assert response.status_code == 200
        assert body["status"] == "ok"
        assert set(body["services"]) == {"registration", "certification", "messaging", "scheduler"}
        assert body["services"]["scheduler"]["migrations"]["at_head"] is True
        assert body["database"] == {"status": "ok"}


class TestOpenApi:
    async def test_merged_document_has_each_service_paths_and_no_internal(
        self, client: httpx.AsyncClient
    ) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert {"/api/v1/account", "/api/v1/certifications", "/cgi-bin/message/mass/sendall"} <= set(paths)
        assert {"/_sandbox/clock", "/_sandbox/health"} <= set(paths)
        assert not [p for p in paths if p.startswith("/internal") or p in ("/readyz", "/healthz")]

    async def test_security_schemes_are_declared_per_surface(self, client: httpx.AsyncClient) -> None:
        document = (await client.get("/openapi.json")).json()
        assert document["components"]["securitySchemes"]["SandboxKey"]["name"] == "X-Sandbox-Key"
        assert document["paths"]["/_sandbox/clock"]["get"]["security"] == [{"SandboxKey": []}]
        assert {"BearerAuth": []} in document["paths"]["/api/v1/account"]["get"]["security"]

    def test_clashing_schemas_are_prefixed_and_refs_rewritten(self) -> None:
        def doc(service: str, path: str) -> dict[str, object]:
            ref = {"$ref": "#/components/schemas/Answer"}
            return {
                "paths": {
                    path: {"get": {"responses": {"200": {"content": {"application/json": {"schema": ref}}}}}}
                },
                "components": {
                    "schemas": {"Answer": {"title": service}, "HTTPValidationError": {"type": "object"}}
                },
            }

        merged = merge_documents(
            {
                "registration": doc("registration", "/api/v1/account"),
                "messaging": doc("messaging", "/cgi-bin/x"),
            },
            [],
        )
        schemas = merged["components"]["schemas"]
        assert schemas["RegistrationAnswer"] == {"title": "registration"}
        assert schemas["MessagingAnswer"] == {"title": "messaging"}
        assert "Answer" not in schemas
        assert "HTTPValidationError" in schemas
        ref = merged["paths"]["/cgi-bin/x"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
        assert ref == {"$ref": "#/components/schemas/MessagingAnswer"}

    async def test_a_service_that_was_down_is_fetched_again(self, services: dict[str, FakeService]) -> None:
        port = free_port()
        urls = {name: s.url for name, s in services.items()}
        urls["scheduler"] = f"http://127.0.0.1:{port}"
        gateway = Gateway(settings_for(urls))
        first = await gateway.openapi.get()
        assert first["x-unavailable-services"] == ["scheduler"]
        assert "/_sandbox/clock" not in first["paths"]
        async with serving(services["scheduler"], port):
            second = await gateway.openapi.get()
        assert "/_sandbox/clock" in second["paths"]
        assert "x-unavailable-services" not in second


class TestDocs:
    async def test_swagger_ui_is_served_from_local_assets(self, client: httpx.AsyncClient) -> None:
        page = await client.get("/docs")
        script = await client.get("/docs/assets/swagger-ui-bundle.js")
        assert page.status_code == 200
        assert "/docs/assets/swagger-ui-bundle.js" in page.text
        assert "cdn" not in page.text.lower()
        assert script.status_code == 200
        assert "SwaggerUIBundle" in script.text[:5_000_000]


class TestStreaming:
    async def test_twenty_megabyte_upload_arrives_intact(
        self, gateway: Gateway, services: dict[str, FakeService]
    ) -> None:
        piece = os.urandom(1 << 20)
        expected = hashlib.sha256(piece * 20).hexdigest()

        async def body() -> AsyncIterator[bytes]:
            for _ in range(20):
                yield piece

        async with serving(gateway) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            chunked = await http.post("/api/v1/materials", content=body())
            sized = await http.post("/api/v1/materials", content=piece * 20)
        assert chunked.json()["sha256"] == expected
        assert sized.json()["sha256"] == expected
        assert services["messaging"].last.headers["content-length"] == str(20 << 20)
