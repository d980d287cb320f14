"""`mpsandbox up` as a user runs it: ready banner, Ctrl-C leaves nothing behind, a crash stops the rest,
a restart keeps the generated admin key."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from mpsandbox.supervisor import PROCESSES
from servicekit.testing import TestDatabase
from tests.e2e.conftest import free_ports
from tests.e2e.up_process import CLI, Up, spawn

pytestmark = pytest.mark.e2e


def start_up(data_dir: Path, database_url: str, ports: dict[str, int], *, sigint_ignored: bool = False) -> Up:
    """`mpsandbox up`; with `sigint_ignored` from a shell that ignores SIGINT, as `make run &` leaves it."""
    env = {k: v for k, v in os.environ.items() if k != "MPSANDBOX_ADMIN_KEY"}
    env.update(
        {
            "DATABASE_URL": database_url,
            "MPSANDBOX_DATA_DIR": str(data_dir),
            "COLUMNS": "200",
            **{f"MPSANDBOX_{name.upper()}_PORT": str(port) for name, port in ports.items()},
        }
    )
    command = [str(CLI), "up"]
    if sigint_ignored:
        command = ["sh", "-c", 'trap "" INT; exec "$0" up', str(CLI)]
    return spawn(command, env)


def assert_all_gone(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, [p.cmdline() for p in alive]


def assert_ports_free(ports: dict[str, int]) -> None:
    listening = {c.laddr.port for c in psutil.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
    assert not listening & set(ports.values())


@pytest.fixture(scope="module")
def up_database(database_url: str) -> Iterator[str]:
    with TestDatabase(database_url) as url:
        yield url


class TestUp:
    def test_ctrl_c_stops_every_process_and_a_restart_keeps_the_admin_key(
        self, up_database: str, tmp_path: Path
    ) -> None:
        ports = dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True))
        first = start_up(tmp_path, up_database, ports)
        try:
            first.wait_for("mpsandbox is ready")
            key_line = first.wait_for("admin key")
            children = first.children()
            assert len(children) >= len(PROCESSES)

            first.process.send_signal(signal.SIGINT)
            assert first.process.wait(timeout=30) == 0
        finally:
            first.process.kill()
        assert_all_gone(children)
        assert_ports_free(ports)
        saved = (tmp_path / "admin_key").read_text().strip()
        assert saved in key_line

        second = start_up(tmp_path, up_database, ports)
        try:
            assert saved in second.wait_for("admin key")
            second.process.send_signal(signal.SIGTERM)
            assert second.process.wait(timeout=30) == 0
        finally:
            second.process.kill()

    @pytest.mark.parametrize(
        ("sigint_ignored", "stop", "exit_code"),
        [(True, signal.SIGINT, 0), (False, signal.SIGKILL, -signal.SIGKILL)],
        ids=["ctrl_c_with_sigint_ignored_by_the_shell", "supervisor_killed_outright"],
    )
    def test_nothing_outlives_the_supervisor(
        self, up_database: str, tmp_path: Path, sigint_ignored: bool, stop: signal.Signals, exit_code: int
    ) -> None:
        # Started from `make run &` (SIGINT ignored, inherited), or killed with no chance to clean up
        # (the children then notice their parent is gone): either way every process and port is freed.
        ports = dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True))
        up = start_up(tmp_path, up_database, ports, sigint_ignored=sigint_ignored)
        try:
            up.wait_for("mpsandbox is ready")
            children = up.children()

            up.process.send_signal(stop)
            assert up.process.wait(timeout=30) == exit_code
        finally:
            up.process.kill()
        assert_all_gone(children)
        assert_ports_free(ports)

    def test_a_crashed_process_is_named_and_stops_the_rest(self, up_database: str, tmp_path: Path) -> None:
        ports = dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True))
        up = start_up(tmp_path, up_database, ports)
        try:
            up.wait_for("mpsandbox is ready")
            children = up.children()
            messaging = next(p for p in children if "services.messaging.app:app" in " ".join(p.cmdline()))

            messaging.kill()
            assert up.process.wait(timeout=30) == 1
        finally:
            up.process.kill()
        assert_all_gone(children)
        assert_ports_free(ports)
        assert "messaging was killed by SIGKILL; stopping the sandbox" in up.output()
