"""`mpsandbox account create|show` against a fake gateway (httpx.MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from mpsandbox import account_cmd
from mpsandbox.client import Target

Answer = Callable[[httpx.Request], httpx.Response]

CREATED = {
    "account_id": "acc_0123456789abcdef0123",
    "namespace": "team-a",
    "appid": "wx0123456789abcdef",
    "secret": "0123456789abcdef0123456789abcdef",
    "original_id": "gh_0123456789ab",
    "email": "fx-a1b2c3d4e5f6@fixtures.mpsandbox.cn",
    "password": "pw-Secret#123",
    "type": "service",
    "certified": True,
    "status": "approved",
    "name": "东城发布",
}
STATE = {
    "account_id": "acc_0123456789abcdef0123",
    "namespace": "team-a",
    "status": "approved",
    "type": "subscription",
    "appid": "wx0123456789abcdef",
    "original_id": "gh_0123456789ab",
    "name": "东城发布",
    "email": "fx-a1b2c3d4e5f6@fixtures.mpsandbox.cn",
    "certification": {"certified": True, "certified_name": "东城区政府"},
    "deadlines": {"deregistration_due_at": "2027-06-23T08:00:00+00:00", "review_deadline": None},
    "capabilities": ["mass_send", "custom_menu"],
    "timeline": [{"at": "2026-11-25T08:00:00+00:00", "kind": "approved"}],
}


@pytest.fixture
def calls() -> list[httpx.Request]:
    return []


def cli(monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request], answer: Answer) -> typer.Typer:
    """The commands wired into a CLI whose admin client talks to `answer`, recording each request."""

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return answer(request)

    def fake_admin_client(
        namespace: str | None = None, *, target: Target | None = None, timeout: float = 30.0
    ) -> httpx.Client:
        headers = {"X-Sandbox-Key": "key", **({"X-Sandbox-Namespace": namespace} if namespace else {})}
        return httpx.Client(
            transport=httpx.MockTransport(handler), base_url="http://gateway", headers=headers
        )

    monkeypatch.setattr(account_cmd, "admin_client", fake_admin_client)
    app = typer.Typer()
    app.command("noop")(lambda: None)  # a second command keeps `account` a sub-command group
    account_cmd.register(app)
    return app


def run(app: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


class TestAccountCreate:
    def test_certified_service_account_is_requested_in_the_namespace_and_credentials_printed(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        app = cli(monkeypatch, calls, lambda request: httpx.Response(201, json=CREATED))

        result = run(
            app,
            "account",
            "create",
            "--type",
            "service",
            "--certified",
            "--name",
            "东城发布",
            "--namespace",
            "team-a",
        )

        assert result.exit_code == 0, result.output
        assert [(r.method, r.url.path) for r in calls] == [("POST", "/_sandbox/accounts")]
        assert json.loads(calls[0].content) == {"type": "service", "certified": True, "name": "东城发布"}
        assert calls[0].headers["X-Sandbox-Namespace"] == "team-a"
        for key in ("appid", "secret", "original_id", "email", "password"):
            assert CREATED[key] in result.output, key

    def test_defaults_ask_for_an_uncertified_account_with_a_random_name(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        app = cli(monkeypatch, calls, lambda request: httpx.Response(201, json=CREATED))

        result = run(app, "account", "create", "--type", "subscription")

        assert result.exit_code == 0, result.output
        assert json.loads(calls[0].content) == {"type": "subscription", "certified": False}
        assert "X-Sandbox-Namespace" not in calls[0].headers

    def test_unknown_type_is_refused_before_any_request(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        app = cli(monkeypatch, calls, lambda request: httpx.Response(201, json=CREATED))

        result = run(app, "account", "create", "--type", "enterprise")

        assert result.exit_code == 2
        assert calls == []

    def test_refused_name_prints_the_error_and_exits_non_zero(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        error = {"error": {"code": "protected_name", "message": "名称包含受保护的词", "field": "name"}}
        app = cli(monkeypatch, calls, lambda request: httpx.Response(400, json=error))

        result = run(app, "account", "create", "--type", "service", "--name", "微信发布")

        assert result.exit_code == 1
        assert "protected_name" in result.output
        assert CREATED["appid"] not in result.output

    def test_json_flag_prints_the_answer_as_json(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        app = cli(monkeypatch, calls, lambda request: httpx.Response(201, json=CREATED))

        result = run(app, "account", "create", "--type", "service", "--json")

        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == CREATED


class TestAccountShow:
    def test_state_of_the_appid_is_printed(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        app = cli(monkeypatch, calls, lambda request: httpx.Response(200, json=STATE))

        result = run(app, "account", "show", "wx0123456789abcdef")

        assert result.exit_code == 0, result.output
        assert [(r.method, r.url.path) for r in calls] == [("GET", "/_sandbox/accounts/wx0123456789abcdef")]
        for text in (
            "approved",
            "subscription",
            "gh_0123456789ab",
            "东城区政府",
            "2027-06-23",
            "custom_menu",
        ):
            assert text in result.output, text
        assert "review deadline" not in result.output

    def test_unknown_appid_exits_non_zero_with_the_error(
        self, monkeypatch: pytest.MonkeyPatch, calls: list[httpx.Request]
    ) -> None:
        error = {"error": {"code": "account_not_found", "message": "帐号不存在"}}
        app = cli(monkeypatch, calls, lambda request: httpx.Response(404, json=error))

        result = run(app, "account", "show", "wxnobody")

        assert result.exit_code == 1
        assert "account_not_found" in result.output
