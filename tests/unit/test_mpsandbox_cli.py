"""The command line's pure parts: durations, gateway address, admin key, error rendering."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from mpsandbox.cli import app, parse_duration
from mpsandbox.client import Target, configured_admin_key, describe_error, gateway_url
from mpsandbox.supervisor import SupervisorError, describe_exit, load_or_create_admin_key, resolve_ports


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "body"),
        [
            ("3d", {"days": 3}),
            ("12h", {"hours": 12}),
            ("30m", {"minutes": 30}),
            ("5wd", {"working_days": 5}),
            ("1d12h", {"days": 1, "hours": 12}),
            (" 2D ", {"days": 2}),
        ],
    )
    def test_reads_each_unit(self, text: str, body: dict[str, int]) -> None:
        assert parse_duration(text) == body

    @pytest.mark.parametrize("text", ["", "3", "d", "3x", "-3d", "3.5d", "3d2d", "0d", "3d junk", "wd5"])
    def test_refuses_bad_input(self, text: str) -> None:
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies by mistake; the type is the contract
            parse_duration(text)


class TestClockAdvanceCommand:
    def test_bad_duration_exits_with_usage_error_before_any_request(self) -> None:
        result = CliRunner().invoke(
            app, ["clock", "advance", "3x"], env={"MPSANDBOX_URL": "http://127.0.0.1:9"}
        )

        assert result.exit_code == 2
        assert "3x" in result.output

    def test_unreachable_gateway_is_reported_and_exits_non_zero(self) -> None:
        result = CliRunner().invoke(app, ["clock", "show"], env={"MPSANDBOX_URL": "http://127.0.0.1:9"})

        assert result.exit_code == 1
        assert "cannot reach the sandbox" in result.output


READY = {"status": "ok", "version": "0.1.0", "migrations": {"at_head": True}}
DOWN = {"status": "unavailable", "version": None, "migrations": {}, "detail": "refused"}
DEGRADED = {
    "status": "degraded",
    "version": "0.1.0",
    "services": {"registration": READY, "messaging": DOWN},
    "database": {"status": "ok"},
}


def gateway_answering(monkeypatch: pytest.MonkeyPatch, status: int, body: dict[str, object]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/_sandbox/health"
        return httpx.Response(status, json=body)

    def fake_admin_client(namespace: str | None = None, **_: object) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(handler), base_url="http://gateway")

    monkeypatch.setattr("mpsandbox.client.admin_client", fake_admin_client)


class TestStatusCommand:
    def test_degraded_sandbox_shows_the_table_naming_what_is_down(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gateway_answering(monkeypatch, 503, DEGRADED)

        result = CliRunner().invoke(app, ["status"], terminal_width=200)

        assert result.exit_code == 1
        assert "messaging" in result.output
        assert "unavailable" in result.output
        assert "HTTP 503" not in result.output

    def test_healthy_sandbox_exits_zero(self, monkeypatch: pytest.MonkeyPatch) -> None:
        healthy = {**DEGRADED, "status": "ok", "services": {"registration": READY}}
        gateway_answering(monkeypatch, 200, healthy)

        result = CliRunner().invoke(app, ["status"], terminal_width=200)

        assert result.exit_code == 0, result.output
        assert "registration" in result.output


class TestUnreachableDatabase:
    def test_start_names_the_database_without_its_password(self, tmp_path: Path) -> None:
        from mpsandbox.supervisor import PROCESSES, Supervisor, SupervisorError
        from tests.e2e.conftest import free_ports

        supervisor = Supervisor(
            data_dir=tmp_path,
            database_url="postgresql://sandbox:s3cret@127.0.0.1:1/none",
            admin_key="k",
            ports=dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True)),
        )

        with pytest.raises(SupervisorError, match="cannot migrate the database") as refused:
            supervisor.start()

        assert "postgresql://sandbox:***@127.0.0.1:1/none" in str(refused.value)
        assert "s3cret" not in str(refused.value)


class TestDescribeExit:
    @pytest.mark.parametrize(
        ("code", "text"),
        [(1, "exited with code 1"), (-9, "was killed by SIGKILL"), (-15, "was killed by SIGTERM")],
    )
    def test_exit_codes_and_signals_read_as_words(self, code: int, text: str) -> None:
        assert describe_exit(code) == text


class TestGatewayUrl:
    def test_explicit_url_wins(self) -> None:
        assert gateway_url({"MPSANDBOX_URL": "http://sandbox:9000/", "MPSANDBOX_GATEWAY_PORT": "1"}) == (
            "http://sandbox:9000"
        )

    def test_port_or_default(self) -> None:
        assert gateway_url({"MPSANDBOX_GATEWAY_PORT": "8123"}) == "http://127.0.0.1:8123"
        assert gateway_url({}) == "http://127.0.0.1:8000"

    def test_port_flag_wins_over_the_environment(self) -> None:
        env = {"MPSANDBOX_URL": "http://sandbox:9000", "MPSANDBOX_GATEWAY_PORT": "8123"}

        assert gateway_url(env, port=9500) == "http://127.0.0.1:9500"


class TestTarget:
    def test_flags_name_the_gateway_and_the_data_dir_holding_the_key(self, tmp_path: Path) -> None:
        key = load_or_create_admin_key(tmp_path, {})
        env = {
            "MPSANDBOX_GATEWAY_PORT": "8000",
            "MPSANDBOX_ADMIN_KEY": "other",
            "MPSANDBOX_DATA_DIR": "/nowhere",
        }

        assert Target.locate(9000, tmp_path, env) == Target(url="http://127.0.0.1:9000", admin_key=key)

    def test_environment_alone(self, tmp_path: Path) -> None:
        key = load_or_create_admin_key(tmp_path, {})
        env = {"MPSANDBOX_GATEWAY_PORT": "9000", "MPSANDBOX_DATA_DIR": str(tmp_path)}

        assert Target.locate(environ=env) == Target(url="http://127.0.0.1:9000", admin_key=key)

    def test_data_dir_without_a_saved_key_uses_the_environments(self, tmp_path: Path) -> None:
        # `up` with MPSANDBOX_ADMIN_KEY set saves no key file.
        assert Target.locate(data_dir=tmp_path, environ={"MPSANDBOX_ADMIN_KEY": "k"}).admin_key == "k"
        assert Target.locate(data_dir=tmp_path, environ={}).admin_key is None


class TestResolvePorts:
    def test_services_follow_the_gateway_port_given(self) -> None:
        assert resolve_ports({"gateway": 9000}, {}) == {
            "gateway": 9000, "registration": 9101, "certification": 9102,
            "messaging": 9103, "scheduler": 9104,
        }  # fmt: skip

    def test_gateway_port_from_the_environment(self) -> None:
        assert resolve_ports(None, {"MPSANDBOX_GATEWAY_PORT": "9200"})["scheduler"] == 9304

    def test_flag_wins_over_the_environment_and_explicit_service_ports_stay(self) -> None:
        env = {"MPSANDBOX_GATEWAY_PORT": "9200", "MPSANDBOX_MESSAGING_PORT": "7000"}

        ports = resolve_ports({"gateway": 9000}, env)

        assert ports["gateway"] == 9000
        assert ports["registration"] == 9101
        assert ports["messaging"] == 7000

    def test_nothing_set_is_8000_and_8101_to_8104(self) -> None:
        assert sorted(resolve_ports(None, {}).values()) == [8000, 8101, 8102, 8103, 8104]

    @pytest.mark.parametrize(
        ("chosen", "env", "message"),
        [
            ({"gateway": 65500}, {}, "at most 65431"),
            (None, {"MPSANDBOX_REGISTRATION_PORT": "http"}, "MPSANDBOX_REGISTRATION_PORT='http'"),
        ],
    )
    def test_impossible_ports_are_refused_by_name(
        self, chosen: dict[str, int] | None, env: dict[str, str], message: str
    ) -> None:
        with pytest.raises(SupervisorError, match=message):
            resolve_ports(chosen, env)


class TestAdminKey:
    def test_generated_once_saved_private_and_reused(self, tmp_path: Path) -> None:
        first = load_or_create_admin_key(tmp_path, {})
        second = load_or_create_admin_key(tmp_path, {})

        assert first == second
        assert len(first) >= 24
        assert stat.S_IMODE((tmp_path / "admin_key").stat().st_mode) == 0o600
        assert configured_admin_key({"MPSANDBOX_DATA_DIR": str(tmp_path)}) == first

    def test_environment_wins_and_nothing_is_written(self, tmp_path: Path) -> None:
        assert load_or_create_admin_key(tmp_path, {"MPSANDBOX_ADMIN_KEY": "k"}) == "k"
        assert not (tmp_path / "admin_key").exists()

    def test_no_key_anywhere_is_none(self, tmp_path: Path) -> None:
        assert configured_admin_key({"MPSANDBOX_DATA_DIR": str(tmp_path)}) is None


class TestDescribeError:
    def test_spec_error_body(self) -> None:
        response = httpx.Response(409, json={"error": {"code": "clock_backwards", "message": "时钟只能向前"}})

        error = describe_error(response)

        assert str(error) == "clock_backwards: 时钟只能向前"
        assert error.status == 409
        assert error.code == "clock_backwards"

    def test_field_is_named(self) -> None:
        response = httpx.Response(
            422, json={"error": {"code": "validation_error", "message": "m", "field": "days"}}
        )

        assert str(describe_error(response)) == "validation_error: m (field: days)"

    def test_non_json_body(self) -> None:
        assert str(describe_error(httpx.Response(502, text="bad gateway"))) == "HTTP 502: bad gateway"
