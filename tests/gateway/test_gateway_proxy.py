from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest

from gateway.app import Gateway
from tests.gateway.conftest import ADMIN_KEY, settings_for
from tests.gateway.gateway_fakes import ACCOUNT, FakeService, free_port

KEY = {"X-Sandbox-Key": ADMIN_KEY}
GOOD = {"account": ACCOUNT, "ttl": 30}


def decoded_account(value: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(base64.urlsafe_b64decode(value))
    return result


class TestForwarding:
    @pytest.mark.parametrize(
        ("path", "service"),
        [
            ("/api/v1/account", "registration"),
            ("/api/v1/certifications/c-1", "certification"),
            ("/api/v1/materials", "messaging"),
            ("/_sandbox/accounts/wx1/followers", "messaging"),
            ("/_sandbox/clock", "scheduler"),
            ("/_sandbox/reviews", "registration"),
        ],
    )
    async def test_request_reaches_the_owning_service(
        self, client: httpx.AsyncClient, services: dict[str, FakeService], path: str, service: str
    ) -> None:
        response = await client.get(path, headers=KEY)
        assert response.status_code == 200
        assert response.json()["service"] == service
        assert services[service].last.path == path

    async def test_method_query_and_body_arrive_unchanged(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        body = '{"name": "交通"}'.encode()
        response = await client.put("/api/v1/account/profile?x=1&y=%E4%B8%AD", content=body)
        seen = services["registration"].last
        assert response.status_code == 200
        assert (seen.method, seen.query) == ("PUT", "x=1&y=%E4%B8%AD")
        assert seen.body_sha256 == hashlib.sha256(body).hexdigest()

    async def test_client_sent_account_header_is_stripped(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        forged = base64.urlsafe_b64encode(json.dumps(ACCOUNT).encode()).decode()
        await client.get("/api/v1/account", headers={"X-Sandbox-Account": forged})
        assert "x-sandbox-account" not in services["registration"].last.headers

    async def test_upstream_request_id_is_replaced_by_the_gateway_one(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/api/v1/account", headers={"X-Request-Id": "rid-1"})
        assert response.headers.get_list("x-request-id") == ["rid-1"]


class TestSandboxKey:
    async def test_missing_key_is_refused(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.post("/_sandbox/clock/advance", json={"days": 1})
        assert response.status_code == 401
        assert response.json() == {
            "error": {"code": "invalid_sandbox_key", "message": "缺少或错误的 X-Sandbox-Key"}
        }
        assert services["scheduler"].seen == []

    async def test_wrong_key_is_refused(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.get("/_sandbox/health", headers={"X-Sandbox-Key": "nope"})
        assert response.status_code == 401

    async def test_right_key_is_forwarded_with_namespace(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.post(
            "/_sandbox/clock/advance", json={"days": 1}, headers={**KEY, "X-Sandbox-Namespace": "ci-7"}
        )
        assert response.status_code == 200
        assert services["scheduler"].last.headers["x-sandbox-namespace"] == "ci-7"


class TestRequestId:
    async def test_client_request_id_is_kept_and_propagated(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.get("/api/v1/account", headers={"X-Request-Id": "abc-123"})
        assert response.headers["x-request-id"] == "abc-123"
        assert services["registration"].last.headers["x-request-id"] == "abc-123"

    async def test_request_id_is_created_when_absent(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.get("/api/v1/account")
        created = response.headers["x-request-id"]
        assert created
        assert created != "upstream-own"
        assert services["registration"].last.headers["x-request-id"] == created

    async def test_gateway_answers_carry_the_request_id(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/nowhere", headers={"X-Request-Id": "r-404"})
        page = await client.get("/healthz", headers={"X-Request-Id": "r-page"})
        assert missing.headers["x-request-id"] == "r-404"
        assert page.headers["x-request-id"] == "r-page"


class TestTokenCheck:
    @pytest.mark.rule("R-TOK-04")
    async def test_missing_token_answers_41001(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/cgi-bin/getcallbackip")
        assert response.status_code == 200
        assert response.json() == {"errcode": 41001, "errmsg": "access_token missing"}

    @pytest.mark.rule("R-TOK-04")
    async def test_registration_errcode_is_relayed_verbatim(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["old"] = {"errcode": 42001, "errmsg": "access_token expired rid: x"}
        response = await client.get("/cgi-bin/user/get?access_token=old")
        assert response.status_code == 200
        assert response.json() == {"errcode": 42001, "errmsg": "access_token expired rid: x"}
        assert services["messaging"].seen == []

    @pytest.mark.rule("R-TOK-04")
    async def test_valid_token_forwards_with_the_account_header(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        response = await client.post("/cgi-bin/message/mass/sendall?access_token=good", json={})
        assert response.json()["service"] == "messaging"
        assert decoded_account(services["messaging"].last.headers["x-sandbox-account"]) == ACCOUNT

    async def test_answer_is_cached(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        for _ in range(3):
            await client.get("/cgi-bin/user/get?access_token=good")
        assert services["registration"].introspections == 1
        assert len(services["messaging"].seen) == 3

    @pytest.mark.rule("R-TOK-04")
    async def test_cache_is_cleared_after_a_sandbox_post(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        await client.get("/cgi-bin/user/get?access_token=good")
        await client.post("/_sandbox/clock/advance", json={"hours": 3}, headers=KEY)
        del services["registration"].tokens["good"]  # expired by the advance
        response = await client.get("/cgi-bin/user/get?access_token=good")
        assert response.json()["errcode"] == 40001

    async def test_cache_survives_a_sandbox_get(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        await client.get("/cgi-bin/user/get?access_token=good")
        await client.get("/_sandbox/clock", headers=KEY)
        await client.get("/cgi-bin/user/get?access_token=good")
        assert services["registration"].introspections == 1

    @pytest.mark.rule("R-TOK-04")
    async def test_cache_is_cleared_after_a_token_is_issued(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        await client.get("/cgi-bin/user/get?access_token=good")
        await client.get("/cgi-bin/token?grant_type=client_credential&appid=a&secret=s")
        await client.get("/cgi-bin/user/get?access_token=good")
        assert services["registration"].introspections == 2


class TestSession:
    async def test_bearer_session_adds_the_account_header(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].sessions["Bearer s-1"] = GOOD
        await client.get("/api/v1/materials", headers={"Authorization": "Bearer s-1"})
        seen = services["messaging"].last
        assert decoded_account(seen.headers["x-sandbox-account"]) == ACCOUNT
        assert seen.headers["authorization"] == "Bearer s-1"

    async def test_refused_session_is_forwarded_without_account(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        response = await client.get("/api/v1/account", headers={"Authorization": "Bearer stale"})
        assert response.status_code == 200
        assert "x-sandbox-account" not in services["registration"].last.headers

    @pytest.mark.rule("R-DER-04")
    async def test_a_terminated_accounts_session_is_410_on_every_service(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        gone = {
            "error": {
                "code": "account_terminated",
                "message": "该帐号已被注销",
                "terminated_at": "2026-12-10T02:54:26+08:00",
                "reason": "inactive",
            }
        }
        services["registration"].terminated["Bearer gone"] = gone
        for path in ("/api/v1/account", "/api/v1/materials", "/api/v1/certifications"):
            response = await client.get(path, headers={"Authorization": "Bearer gone"})
            assert (response.status_code, response.json()) == (410, gone), path
        assert services["messaging"].seen == []
        assert services["certification"].seen == []

    async def test_logout_clears_the_cache(
        self, client: httpx.AsyncClient, services: dict[str, FakeService]
    ) -> None:
        services["registration"].sessions["Bearer s-1"] = GOOD
        auth = {"Authorization": "Bearer s-1"}
        await client.get("/api/v1/account", headers=auth)
        await client.delete("/api/v1/sessions/current", headers=auth)
        del services["registration"].sessions["Bearer s-1"]
        await client.get("/api/v1/account", headers=auth)
        assert "x-sandbox-account" not in services["registration"].last.headers


class TestNotFound:
    async def test_unknown_path_answers_the_error_shape(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/internal/auth/token?access_token=x")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_unknown_cgi_path_answers_40066(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/cgi-bin/%2e%2e/internal/auth/token")
        assert response.status_code == 200
        assert response.json() == {"errcode": 40066, "errmsg": "invalid url"}


class TestUpstreamDown:
    @pytest.fixture
    async def lonely(self, services: dict[str, FakeService]) -> Gateway:
        """Registration is up; the other three are down."""
        urls = {name: f"http://127.0.0.1:{free_port()}" for name in services}
        urls["registration"] = services["registration"].url
        return Gateway(settings_for(urls))

    async def test_console_path_answers_503(self, lonely: Gateway) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=lonely), base_url="http://t") as http:
            response = await http.get("/api/v1/materials")
        assert response.status_code == 503
        assert response.json() == {
            "error": {"code": "service_unavailable", "message": "messaging 服务暂时不可用"}
        }

    async def test_cgi_path_answers_errcode_minus_one(
        self, lonely: Gateway, services: dict[str, FakeService]
    ) -> None:
        services["registration"].tokens["good"] = GOOD
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=lonely), base_url="http://t") as http:
            response = await http.get("/cgi-bin/user/get?access_token=good")
        assert response.status_code == 200
        assert response.json() == {"errcode": -1, "errmsg": "system error"}

    async def test_token_check_with_registration_down_answers_errcode_minus_one(
        self, services: dict[str, FakeService]
    ) -> None:
        down = Gateway(settings_for({name: f"http://127.0.0.1:{free_port()}" for name in services}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=down), base_url="http://t") as http:
            response = await http.get("/cgi-bin/getcallbackip?access_token=t")
        assert response.json() == {"errcode": -1, "errmsg": "system error"}

    async def test_health_reports_degraded(self, lonely: Gateway) -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=lonely), base_url="http://t") as http:
            response = await http.get("/_sandbox/health", headers=KEY)
        body = response.json()
        assert response.status_code == 503
        assert body["status"] == "degraded"
        assert body["services"]["registration"]["status"] == "ok"
        assert body["services"]["messaging"]["status"] == "unavailable"
        assert body["database"] == {"status": "ok"}

    async def test_health_with_no_service_answering_does_not_claim_the_database_is_down(
        self, services: dict[str, FakeService]
    ) -> None:
        down = Gateway(settings_for({name: f"http://127.0.0.1:{free_port()}" for name in services}))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=down), base_url="http://t") as http:
            response = await http.get("/_sandbox/health", headers=KEY)
        assert response.status_code == 503
        assert response.json()["database"] == {"status": "unknown"}
