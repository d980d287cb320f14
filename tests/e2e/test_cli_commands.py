"""`mpsandbox status | reset | clock …` against a running sandbox, read back through the control plane."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner, Result

from mpsandbox.cli import app
from servicekit.clock import SHANGHAI
from servicekit.workdays import add_working_days
from tests.e2e.wechat import create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e


def mpsandbox(sandbox: Sandbox, *args: str) -> Result:
    env = {"MPSANDBOX_URL": sandbox.url, "MPSANDBOX_ADMIN_KEY": sandbox.admin_key, "COLUMNS": "200"}
    return CliRunner().invoke(app, list(args), env=env)


def clock_of(sandbox: Sandbox, namespace: str) -> dict[str, object]:
    with sandbox.admin(namespace) as http:
        body: dict[str, object] = http.get("/_sandbox/clock").json()
    return body


class TestStatus:
    def test_lists_every_service_and_the_database_ok(self, private_sandbox: Sandbox) -> None:
        result = mpsandbox(private_sandbox, "status")

        assert result.exit_code == 0, result.output
        for component in ("registration", "certification", "messaging", "scheduler", "database"):
            assert component in result.output
        assert "at head" in result.output


class TestClock:
    def test_show_prints_the_namespace_and_its_time(self, private_sandbox: Sandbox) -> None:
        result = mpsandbox(private_sandbox, "clock", "show", "-n", "cli-show")

        assert result.exit_code == 0, result.output
        assert "cli-show" in result.output
        assert "+08:00" in result.output

    @pytest.mark.rule("R-CLK-01")
    def test_advance_3d_moves_only_that_namespace(self, private_sandbox: Sandbox) -> None:
        result = mpsandbox(private_sandbox, "clock", "advance", "3d", "-n", "cli-3d")

        assert result.exit_code == 0, result.output
        assert clock_of(private_sandbox, "cli-3d")["offset_seconds"] == pytest.approx(3 * 86400, abs=10)
        assert clock_of(private_sandbox, "cli-other")["offset_seconds"] == 0

    @pytest.mark.rule("R-CLK-01")
    def test_advance_5wd_lands_on_the_fifth_working_day(self, private_sandbox: Sandbox) -> None:
        mpsandbox(private_sandbox, "clock", "freeze", "-n", "cli-5wd")
        before = datetime.fromisoformat(str(clock_of(private_sandbox, "cli-5wd")["now"])).astimezone(SHANGHAI)

        result = mpsandbox(private_sandbox, "clock", "advance", "5wd", "-n", "cli-5wd")

        assert result.exit_code == 0, result.output
        after = datetime.fromisoformat(str(clock_of(private_sandbox, "cli-5wd")["now"])).astimezone(SHANGHAI)
        assert after.date() == add_working_days(before.date(), 5)
        assert after.time() == before.time()

    @pytest.mark.rule("R-CLK-01")
    def test_freeze_and_unfreeze(self, private_sandbox: Sandbox) -> None:
        frozen = mpsandbox(private_sandbox, "clock", "freeze", "-n", "cli-freeze")
        assert frozen.exit_code == 0, frozen.output
        assert "frozen" in frozen.output
        assert clock_of(private_sandbox, "cli-freeze")["frozen"] is True

        running = mpsandbox(private_sandbox, "clock", "unfreeze", "-n", "cli-freeze")
        assert running.exit_code == 0, running.output
        assert clock_of(private_sandbox, "cli-freeze")["frozen"] is False

    @pytest.mark.rule("R-CLK-01")
    def test_backwards_is_refused_with_the_spec_error(self, private_sandbox: Sandbox) -> None:
        result = mpsandbox(private_sandbox, "clock", "advance", "--to", "2001-01-01T00:00", "-n", "cli-back")

        assert result.exit_code == 1
        assert "clock_backwards" in result.output


class TestReset:
    def test_reset_empties_accounts_and_puts_clocks_back(self, private_sandbox: Sandbox) -> None:
        account = create_account(private_sandbox, "cli-reset", type="service")
        mpsandbox(private_sandbox, "clock", "advance", "2d", "-n", "cli-reset")

        result = mpsandbox(private_sandbox, "reset", "--yes")

        assert result.exit_code == 0, result.output
        with private_sandbox.admin() as http:
            assert http.get(f"/_sandbox/accounts/{account['appid']}").status_code == 404
        assert clock_of(private_sandbox, "cli-reset")["offset_seconds"] == 0
