"""`mpsandbox outbox`: the control-plane calls it makes and what it prints."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from mpsandbox import outbox_cmd
from mpsandbox.client import Target

ENTRY = {
    "id": "ob_0001",
    "channel": "sms",
    "to": "13800138000",
    "kind": "sms_code",
    "subject": "",
    "body": "验证码 482913",
    "data": {"code": "482913"},
    "created_at": "2027-01-01T08:00:00+08:00",
}


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """A fake gateway answering the outbox paths; returns the requests the command made."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/_sandbox/outbox":
            return httpx.Response(200, json={"items": [ENTRY]})
        if request.url.params.get("to") == "13800138000":
            return httpx.Response(200, json=ENTRY)
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "没有匹配的消息"}})

    def client(
        namespace: str | None = None, *, target: Target | None = None, timeout: float = 30.0
    ) -> httpx.Client:
        headers = {"X-Sandbox-Key": "k", **({"X-Sandbox-Namespace": namespace} if namespace else {})}
        return httpx.Client(
            base_url="http://gateway", transport=httpx.MockTransport(answer), headers=headers, timeout=timeout
        )

    monkeypatch.setattr(outbox_cmd, "admin_client", client)
    return seen


def run(*args: str) -> Any:
    app = typer.Typer()
    outbox_cmd.register(app)
    app.command("noop")(lambda: None)  # two commands: typer keeps `outbox` as a sub-command name
    return CliRunner().invoke(app, ["outbox", *args])


class TestOutboxCommand:
    def test_listing_sends_the_filters_and_prints_parsed_fields(self, gateway: list[httpx.Request]) -> None:
        result = run("--to", "13800138000", "--kind", "sms_code", "--channel", "sms", "--namespace", "ns1")

        assert result.exit_code == 0, result.output
        [request] = gateway
        assert request.url.path == "/_sandbox/outbox"
        assert dict(request.url.params) == {"to": "13800138000", "kind": "sms_code", "channel": "sms"}
        assert request.headers["X-Sandbox-Namespace"] == "ns1"
        assert "code=482913" in result.output

    def test_wait_long_polls_latest_and_prints_json(self, gateway: list[httpx.Request]) -> None:
        result = run("--to", "13800138000", "--wait", "5", "--json")

        assert result.exit_code == 0, result.output
        [request] = gateway
        assert request.url.path == "/_sandbox/outbox/latest"
        assert request.url.params["wait"] == "5.0"
        assert '"code": "482913"' in result.output

    def test_nothing_within_the_wait_exits_non_zero(self, gateway: list[httpx.Request]) -> None:
        result = run("--to", "nobody@example.gov.cn", "--wait", "1")

        assert result.exit_code == 1
        assert "no matching message within 1 s" in result.output

    def test_wait_beyond_the_cap_is_a_usage_error_before_any_request(
        self, gateway: list[httpx.Request]
    ) -> None:
        result = run("--to", "a@b.cn", "--wait", "31")

        assert result.exit_code == 2
        assert gateway == []
