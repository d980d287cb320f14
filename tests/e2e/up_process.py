"""`mpsandbox up` as a child process of a test: its output line by line, its process tree."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

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
