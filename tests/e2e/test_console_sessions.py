"""R-REG-21 through the gateway: it caches the session it resolved and forwards the operator
(`X-Sandbox-Account`), so expiry on the sandbox clock and logout must still end a session at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.e2e.wechat import create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.rule("R-REG-21")]


def logged_in(sandbox: Sandbox, namespace: str) -> dict[str, str]:
    account = create_account(sandbox, namespace, type="service")
    with sandbox.client() as http:
        session = http.post(
            "/api/v1/sessions", json={"email": account["email"], "password": account["password"]}
        )
        assert session.status_code == 201, session.text
        headers = {"Authorization": f"Bearer {session.json()['token']}"}
        assert http.get("/api/v1/account", headers=headers).status_code == 200  # the gateway has it now
    return headers


class TestConsoleSessionThroughTheGateway:
    def test_twelve_hours_of_sandbox_time_end_a_session_the_gateway_had_resolved(
        self, sandbox: Sandbox, unique_namespace: str
    ) -> None:
        headers = logged_in(sandbox, unique_namespace)
        with sandbox.admin(unique_namespace) as admin:
            assert admin.post("/_sandbox/clock/advance", json={"hours": 11, "minutes": 59}).status_code == 200
        with sandbox.client() as http:
            assert http.get("/api/v1/account", headers=headers).status_code == 200
        with sandbox.admin(unique_namespace) as admin:
            assert admin.post("/_sandbox/clock/advance", json={"minutes": 1}).status_code == 200

        with sandbox.client() as http:
            expired = http.get("/api/v1/account", headers=headers)

        assert expired.status_code == 401
        assert expired.json()["error"]["code"] == "session_expired"

    def test_logout_ends_the_session_at_once(self, sandbox: Sandbox, unique_namespace: str) -> None:
        headers = logged_in(sandbox, unique_namespace)
        with sandbox.client() as http:
            assert http.delete("/api/v1/sessions", headers=headers).status_code == 204

            after = http.get("/api/v1/account", headers=headers)

        assert after.status_code == 401
