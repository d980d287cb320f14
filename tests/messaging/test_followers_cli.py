"""`mpsandbox followers add`: chunked control-plane calls with the given attributes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner

from mpsandbox import followers_cmd
from mpsandbox.client import Target


def cli_against(monkeypatch: pytest.MonkeyPatch, answer: Any) -> tuple[typer.Typer, list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append({"path": request.url.path, "body": json.loads(request.content)})
        return answer(request, calls[-1]["body"])

    def fake_admin_client(
        namespace: str | None = None, *, target: Target | None = None, timeout: float = 30.0
    ) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://gateway")

    monkeypatch.setattr(followers_cmd, "admin_client", fake_admin_client)
    app = typer.Typer()
    app.command("noop")(lambda: None)
    followers_cmd.register(app)
    return app, calls


class TestFollowersAdd:
    def test_large_count_is_sent_in_chunks_with_attributes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def answer(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
            return httpx.Response(200, json={"created": body["count"], "openids": []})

        app, calls = cli_against(monkeypatch, answer)
        result = CliRunner().invoke(
            app, ["followers", "add", "wx1", "250000", "--gender", "female", "--province", "广东"]
        )
        assert result.exit_code == 0, result.output
        assert [c["body"]["count"] for c in calls] == [100_000, 100_000, 50_000]
        assert all(c["path"] == "/_sandbox/accounts/wx1/followers" for c in calls)
        assert calls[0]["body"] == {"count": 100_000, "gender": 2, "province": "广东"}
        assert "created 250000 followers" in result.output

    def test_small_count_prints_openids(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def answer(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
            return httpx.Response(200, json={"created": 2, "openids": ["o" * 28, "p" * 28]})

        app, _ = cli_against(monkeypatch, answer)
        result = CliRunner().invoke(app, ["followers", "add", "wx1", "2"])
        assert result.exit_code == 0, result.output
        assert "o" * 28 in result.output
        assert "p" * 28 in result.output

    def test_unknown_account_exits_non_zero(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def answer(request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
            return httpx.Response(
                404, json={"error": {"code": "account_not_found", "message": "没有这个账号"}}
            )

        app, calls = cli_against(monkeypatch, answer)
        result = CliRunner().invoke(app, ["followers", "add", "wxnobody", "300000"])
        assert result.exit_code == 1
        assert len(calls) == 1
        assert "account_not_found" in result.output
