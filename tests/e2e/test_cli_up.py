"""`mpsandbox up` as a user runs it: ready banner, Ctrl-C leaves nothing behind, a crash stops the rest,
a restart keeps the generated admin key, two sandboxes side by side with `--port` and `--data-dir`."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest
from typer.testing import CliRunner, Result

from mpsandbox.cli import app
from mpsandbox.supervisor import PROCESSES
from servicekit.settings import PORT_OFFSETS
from servicekit.testing import TestDatabase
from tests.e2e.conftest import free_gateway_port, free_ports

pytestmark = pytest.mark.e2e

CLI = Path(sys.executable).with_name("mpsandbox")


@dataclass
class Up:
    """A running `mpsandbox up` and what it printed so far."""

    process: subprocess.Popen[str]
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; output:\n" + "\n".join(self.seen))

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def output(self) -> str:
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return "\n".join(self.seen)


def start_up(
    data_dir: Path, database_url: str, ports: dict[str, int], *, sigint_ignored: bool = False
) -> Up:
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


def spawn(command: list[str], env: dict[str, str]) -> Up:
    """Run `command` in its own session, its output (stdout and stderr) collected line by line."""
    process = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    up = Up(process)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            up.lines.put(line.rstrip("\n"))

    threading.Thread(target=pump, daemon=True).start()
    return up


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


def newcomer_environment() -> dict[str, str]:
    """The environment of someone who set nothing: no sandbox variables, no DATABASE_URL (embedded)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MPSANDBOX_") and k != "DATABASE_URL"}
    env["COLUMNS"] = "200"
    return env


def stop_embedded_postgres(data_dir: Path) -> None:
    """A failed test may leave the embedded server of its own data dir (pg_ctl daemonises it): stop it."""
    marker = str(data_dir / "pgdata")
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if cmdline and Path(cmdline[0]).name == "postgres" and marker in cmdline:
            process.terminate()


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


class TestTwoSandboxes:
    def test_each_runs_on_its_port_and_data_dir_and_the_cli_finds_each(self, tmp_path: Path) -> None:
        # What issue 8 asked for: a second copy needs `--port` and `--data-dir`, nothing else — services
        # on the gateway port + 101…104, each with its own embedded PostgreSQL and admin key.
        first = free_gateway_port()
        second = free_gateway_port(taken={first + offset for offset in (0, *PORT_OFFSETS.values())})
        sandboxes = {first: tmp_path / "first", second: tmp_path / "second"}
        ups = [
            spawn([str(CLI), "up", "--port", str(port), "--data-dir", str(data_dir)], newcomer_environment())
            for port, data_dir in sandboxes.items()
        ]
        try:
            for up, port in zip(ups, sandboxes, strict=True):
                up.wait_for("mpsandbox is ready", timeout=180)
                up.wait_for(f"mpsandbox … --port {port} --data-dir {sandboxes[port]}")  # how to reach it
            keys = {port: (home / "admin_key").read_text().strip() for port, home in sandboxes.items()}
            at = {port: ("--port", str(port), "--data-dir", str(home)) for port, home in sandboxes.items()}
            assert keys[first] != keys[second]
            for port in sandboxes:
                health = httpx.get(
                    f"http://127.0.0.1:{port}/_sandbox/health", headers={"X-Sandbox-Key": keys[port]},
                    trust_env=False, timeout=10,
                )  # fmt: skip
                assert health.status_code == 200, health.text
                assert set(health.json()["services"]) == set(PORT_OFFSETS)
                for offset in PORT_OFFSETS.values():
                    assert httpx.get(f"http://127.0.0.1:{port + offset}/healthz", trust_env=False).is_success

            status = cli("status", *at[second])
            assert status.exit_code == 0, status.output
            assert "at head" in status.output
            # The other sandbox's data dir holds the other key: refused, so --port really chose the gateway.
            crossed = cli("status", "--port", str(first), "--data-dir", str(sandboxes[second]))
            assert crossed.exit_code == 1
            assert "invalid_sandbox_key" in crossed.output

            created = cli("account", "create", "--type", "service", "--json", *at[second])
            assert created.exit_code == 0, created.output
            appid = json.loads(created.output)["appid"]
            assert cli("account", "show", appid, *at[second]).exit_code == 0
            elsewhere = cli("account", "show", appid, *at[first])
            assert elsewhere.exit_code == 1
            assert "404" in elsewhere.output
        finally:
            for up in ups:
                up.process.send_signal(signal.SIGINT)
            for up in ups:
                try:
                    assert up.process.wait(timeout=60) == 0, up.output()
                finally:
                    up.process.kill()
            for data_dir in sandboxes.values():
                stop_embedded_postgres(data_dir)
