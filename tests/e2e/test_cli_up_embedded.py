"""`mpsandbox up` with its embedded PostgreSQL, as a newcomer runs it: two sandboxes side by side with
`--port` and `--data-dir` alone, and what happens when the database dies (README "When PostgreSQL dies")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from mpsandbox.cli import app
from servicekit.settings import PORT_OFFSETS
from tests.e2e.conftest import free_gateway_port
from tests.e2e.up_process import CLI, newcomer_environment, spawn, stop_embedded_postgres

pytestmark = pytest.mark.e2e


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


def health_of(port: int, key: str) -> httpx.Response:
    url = f"http://127.0.0.1:{port}/_sandbox/health"
    return httpx.get(url, headers={"X-Sandbox-Key": key}, trust_env=False, timeout=10)


def wait_for_health(port: int, key: str, status_code: int, timeout: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        response = health_of(port, key)
        if response.status_code == status_code or time.monotonic() > deadline:
            return response
        time.sleep(0.5)


class TestEmbeddedDatabaseDies:
    def test_sandbox_keeps_running_degraded_and_recovers_when_a_server_is_back(self, tmp_path: Path) -> None:
        # What the README's "When PostgreSQL dies" promises: no exit, no restart, health 503 meanwhile.
        port = free_gateway_port()
        up = spawn([str(CLI), "up", "--port", str(port), "--data-dir", str(tmp_path)], newcomer_environment())
        try:
            up.wait_for("mpsandbox is ready", timeout=180)
            key = (tmp_path / "admin_key").read_text().strip()
            postmaster = int((tmp_path / "pgdata" / "postmaster.pid").read_text().split()[0])

            os.kill(postmaster, signal.SIGKILL)

            degraded = wait_for_health(port, key, 503)
            assert degraded.status_code == 503, degraded.text
            assert degraded.json()["database"]["status"] == "unavailable"
            time.sleep(2)
            assert up.process.poll() is None, up.output()

            # The same server started again by hand (it then outlives `up`, which did not start it):
            # the services reconnect without a restart.
            start = "from pgserver import get_server; import sys; get_server(sys.argv[1], cleanup_mode=None)"
            command = [sys.executable, "-c", start, str(tmp_path / "pgdata")]
            subprocess.run(command, check=True, timeout=60, capture_output=True)
            recovered = wait_for_health(port, key, 200)
            assert recovered.status_code == 200, recovered.text
            assert up.process.poll() is None

            up.process.send_signal(signal.SIGINT)
            assert up.process.wait(timeout=60) == 0, up.output()
        finally:
            up.process.kill()
            stop_embedded_postgres(tmp_path)
