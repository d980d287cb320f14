"""The running sandbox as a whole: health, keys, routing, errors, request ids, a service going down."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.wechat import create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

SERVICE_NAMES = ("registration", "certification", "messaging", "scheduler")
PUBLIC_PREFIXES = ("/api/", "/cgi-bin/", "/_sandbox/")


def health_by_component(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`/_sandbox/health` → {component: details}, for services given as a mapping or a list."""
    services = body["services"]
    if isinstance(services, dict):
        rows = {name: info for name, info in services.items()}
    else:
        rows = {info.get("service") or info["name"]: info for info in services}
    database = body["database"]
    rows["database"] = database if isinstance(database, dict) else {"status": database}
    return rows


def assert_error_shape(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["code"], str)
    assert error["code"]
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


class TestHealth:
    def test_health_reports_four_services_and_the_database_ok(self, sandbox: Sandbox) -> None:
        with sandbox.admin() as http:
            response = http.get("/_sandbox/health")

        assert response.status_code == 200, response.text
        components = health_by_component(response.json())
        assert set(SERVICE_NAMES) <= set(components)
        for name in (*SERVICE_NAMES, "database"):
            assert components[name]["status"] == "ok", (name, components[name])

    def test_gateway_liveness_needs_no_key(self, sandbox: Sandbox) -> None:
        with sandbox.client() as http:
            response = http.get("/healthz")

        assert response.status_code == 200


class TestAdminKey:
    def test_missing_key_is_refused(self, sandbox: Sandbox) -> None:
        with sandbox.client() as http:
            response = http.get("/_sandbox/clock")

        assert_error_shape(response, 401)

    def test_wrong_key_is_refused_and_changes_nothing(self, sandbox: Sandbox, unique_namespace: str) -> None:
        wrong = {"X-Sandbox-Key": sandbox.admin_key + "x", "X-Sandbox-Namespace": unique_namespace}
        with sandbox.client(headers=wrong) as http:
            refused = http.post("/_sandbox/clock/advance", json={"days": 3})
        with sandbox.admin(unique_namespace) as http:
            clock = http.get("/_sandbox/clock").json()

        assert_error_shape(refused, 401)
        assert clock["offset_seconds"] == 0

    def test_health_needs_the_key_too(self, sandbox: Sandbox) -> None:
        with sandbox.client() as http:
            response = http.get("/_sandbox/health")

        assert_error_shape(response, 401)


@pytest.mark.rule("R-CLK-01")
class TestClockNamespaces:
    def test_advancing_one_namespace_leaves_another_untouched(self, sandbox: Sandbox) -> None:
        moved, untouched = f"e2e-moved-{uuid.uuid4().hex[:8]}", f"e2e-still-{uuid.uuid4().hex[:8]}"
        with sandbox.admin(moved) as http:
            before = http.get("/_sandbox/clock").json()
            advanced = http.post("/_sandbox/clock/advance", json={"days": 3})
            after = http.get("/_sandbox/clock").json()
        with sandbox.admin(untouched) as http:
            other = http.get("/_sandbox/clock").json()

        assert advanced.status_code == 200, advanced.text
        assert after["namespace"] == moved
        # The offset is set against real time read a moment after `from`: allow that moment.
        assert after["offset_seconds"] == pytest.approx(3 * 86400, abs=5)
        jump = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
        assert 3 * 86400 <= jump.total_seconds() < 3 * 86400 + 60
        assert other["namespace"] == untouched
        assert other["offset_seconds"] == 0


class TestRouting:
    def test_merged_openapi_holds_every_public_path_of_every_service(self, sandbox: Sandbox) -> None:
        with sandbox.client() as http:
            merged = http.get("/openapi.json")
        assert merged.status_code == 200
        merged_paths = set(merged.json()["paths"])

        for name in SERVICE_NAMES:
            own = httpx.get(f"http://127.0.0.1:{sandbox.ports[name]}/openapi.json", trust_env=False).json()
            public = {p for p in own["paths"] if p.startswith(PUBLIC_PREFIXES)}
            assert public <= merged_paths, (name, sorted(public - merged_paths))

        assert "/_sandbox/clock" in merged_paths
        assert not any(p.startswith("/internal/") for p in merged_paths)

    def test_docs_serve_html(self, sandbox: Sandbox) -> None:
        with sandbox.client() as http:
            response = http.get("/docs")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "openapi.json" in response.text

    @pytest.mark.parametrize("path", ["/no-such-route", "/internal/reset", "/api/v1/no-such-route"])
    def test_unknown_route_is_404_in_spec_shape(self, sandbox: Sandbox, path: str) -> None:
        with sandbox.client() as http:
            response = http.get(path)

        assert_error_shape(response, 404)

    @pytest.mark.parametrize("path", ["/healthz", "/_sandbox/clock", "/no-such-route"])
    def test_request_id_is_echoed(self, sandbox: Sandbox, path: str) -> None:
        with sandbox.admin(headers={"X-Request-Id": "e2e-request-4711"}) as http:
            response = http.get(path)

        assert response.headers["x-request-id"] == "e2e-request-4711"

    def test_request_id_is_in_the_access_lines_of_the_gateway_and_the_service(self, sandbox: Sandbox) -> None:
        rid = f"e2e-log-{uuid.uuid4().hex[:8]}"
        with sandbox.admin(headers={"X-Request-Id": rid}) as http:
            assert http.get("/_sandbox/clock").status_code == 200

        lines: list[str] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(lines) < 2:
            time.sleep(0.2)  # the gateway writes its access lines off the event loop
            lines = [line for line in sandbox.log_path.read_text().splitlines() if f"rid={rid} " in line]
        access = "GET /_sandbox/clock status=200"
        assert any(line.startswith("gateway") and access in line for line in lines), lines
        assert any(line.startswith("scheduler") and access in line for line in lines), lines

    def test_request_id_is_created_when_missing(self, sandbox: Sandbox) -> None:
        with sandbox.admin() as http:
            first = http.get("/_sandbox/clock")
            second = http.get("/_sandbox/clock")

        assert first.headers["x-request-id"]
        assert first.headers["x-request-id"] != second.headers["x-request-id"]


class TestServiceDown:
    def test_gateway_answers_503_for_a_dead_services_routes(self, private_sandbox: Sandbox) -> None:
        with private_sandbox.admin() as http:
            assert http.get("/_sandbox/clock").status_code == 200

            exit_code = private_sandbox.supervisor.stop_process("scheduler", kill=True)
            down = http.get("/_sandbox/clock")
            health = http.get("/_sandbox/health")

        assert exit_code != 0
        assert_error_shape(down, 503)
        components = health_by_component(health.json())
        assert components["scheduler"]["status"] != "ok"
        for name in ("registration", "certification", "messaging", "database"):
            assert components[name]["status"] == "ok", (name, components[name])

    def test_a_dead_messaging_is_503_on_the_console_and_system_error_on_cgi(
        self, private_sandbox: Sandbox
    ) -> None:
        account = create_account(private_sandbox, "e2e-down", type="service", certified=True)
        credentials = {"grant_type": "client_credential", "appid": account["appid"]}
        credentials["secret"] = account["secret"]
        with private_sandbox.client() as http:
            token = {"access_token": http.get("/cgi-bin/token", params=credentials).json()["access_token"]}
            assert "tags" in http.get("/cgi-bin/tags/get", params=token).json()

            private_sandbox.supervisor.stop_process("messaging", kill=True)
            cgi_get = http.get("/cgi-bin/tags/get", params=token)
            cgi_post = http.post("/cgi-bin/tags/create", params=token, json={"tag": {"name": "x"}})
            console = http.get("/api/v1/materials")
        with private_sandbox.admin() as http:
            control = http.get("/_sandbox/outbox")
            health = http.get("/_sandbox/health")

        for answer in (cgi_get, cgi_post):
            assert (answer.status_code, answer.json()) == (200, {"errcode": -1, "errmsg": "system error"})
        assert_error_shape(console, 503)
        assert_error_shape(control, 503)
        assert health.status_code == 503
        assert health_by_component(health.json())["messaging"]["status"] != "ok"


class TestSecondSandboxOnTakenPorts:
    def test_start_is_refused_naming_the_taken_port(self, sandbox: Sandbox, tmp_path: Any) -> None:
        from mpsandbox.supervisor import Supervisor, SupervisorError

        second = Supervisor(
            data_dir=tmp_path,
            database_url="postgresql://unused@127.0.0.1:1/unused",
            admin_key="k",
            ports=dict(sandbox.ports),
        )
        with pytest.raises(SupervisorError, match=r"already in use"):
            second.start()
        assert sandbox.client().get("/healthz").status_code == 200
