"""Run the whole sandbox: embedded PostgreSQL, migrations, the four services and the gateway.

`mpsandbox up` and the e2e tests use the same `Supervisor`, so what the tests start is what users run.
Linux and macOS only: children run in their own process groups so a whole group can be signalled.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from servicekit.settings import SERVICES, default_ports
from servicekit.supervised import SUPERVISOR_PID_ENV

GATEWAY = "gateway"
PROCESSES = (*SERVICES, GATEWAY)
ADMIN_KEY_FILENAME = "admin_key"
EMBEDDED_DATABASE = "mpsandbox"
TAIL_LINES = 40

# (process name, stream name, line without newline) — where child output goes.
LineSink = Callable[[str, str, str], None]


class SupervisorError(RuntimeError):
    """Start-up failed; the message names the process and carries the tail of its stderr."""


def data_dir_from_env(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get("MPSANDBOX_DATA_DIR") or ".mpsandbox")


def resolve_ports(
    chosen: Mapping[str, int] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, int]:
    """Every process's port: `chosen` (arguments, e.g. `--port`), else MPSANDBOX_<NAME>_PORT, else a
    service's port follows the gateway's (gateway + 101…104, as each process's settings derive it)."""
    env = os.environ if environ is None else environ
    chosen = dict(chosen or {})

    def configured(name: str) -> int | None:
        if name in chosen:
            return chosen[name]
        text = env.get(f"MPSANDBOX_{name.upper()}_PORT")
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            raise SupervisorError(f"MPSANDBOX_{name.upper()}_PORT={text!r} is not a port number") from None

    derived = default_ports(configured(GATEWAY) or default_ports()[GATEWAY])
    ports = {name: configured(name) or derived[name] for name in PROCESSES}
    for name, port in ports.items():
        if not 0 < port <= 65535:
            raise SupervisorError(
                f"{name} would listen on port {port}: choose a gateway port at most 65431 "
                f"(the services take the gateway's + 101…104) or set MPSANDBOX_{name.upper()}_PORT"
            )
    return ports


def load_or_create_admin_key(data_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """MPSANDBOX_ADMIN_KEY, else the key saved in the data dir, else a new one saved there (mode 600)."""
    env = os.environ if environ is None else environ
    if env.get("MPSANDBOX_ADMIN_KEY"):
        return env["MPSANDBOX_ADMIN_KEY"]
    path = data_dir / ADMIN_KEY_FILENAME
    if path.exists():
        saved = path.read_text().strip()
        if saved:
            return saved
    key = secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Created with 600 from the start: the key must never be readable by other users, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


@dataclass
class Child:
    name: str
    module: str
    port: int
    ready_path: str
    process: subprocess.Popen[str] | None = None
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=TAIL_LINES))
    pumps: list[threading.Thread] = field(default_factory=list)
    stop_requested: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tail(self) -> str:
        return "\n".join(self.stderr_tail) or "(no output)"


def plain_sink(stream: IO[str] = sys.stdout) -> LineSink:
    """A sink writing `name | line` to a text stream (a log file in the tests)."""
    lock = threading.Lock()

    def write(name: str, _stream: str, line: str) -> None:
        with lock:
            stream.write(f"{name:<13}| {line}\n")
            stream.flush()

    return write


def rich_sink() -> LineSink:
    """Coloured `name │ line` on the terminal; lines are Text, so log content is never read as markup."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False, soft_wrap=True)
    colours = dict(zip(PROCESSES, ("cyan", "magenta", "green", "yellow", "blue"), strict=True))

    def write(name: str, _stream: str, line: str) -> None:
        console.print(Text.assemble((f"{name:<13}│ ", colours.get(name, "white")), line))

    return write


class Supervisor:
    """Starts and stops the sandbox's processes; see the module docstring."""

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        database_url: str | None = None,
        admin_key: str | None = None,
        ports: Mapping[str, int] | None = None,
        extra_env: Mapping[str, str] | None = None,
        sink: LineSink | None = None,
        ready_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.data_dir = (data_dir or data_dir_from_env()).resolve()
        self.database_url = database_url if database_url is not None else os.environ.get("DATABASE_URL")
        self._admin_key = admin_key
        self.ports = resolve_ports(ports)
        self.extra_env = dict(extra_env or {})
        self.sink = sink or plain_sink()
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.children = {
            name: Child(
                name=name,
                module="gateway.app" if name == GATEWAY else f"services.{name}.app",
                port=self.ports[name],
                ready_path="/healthz" if name == GATEWAY else "/readyz",
            )
            for name in PROCESSES
        }
        self._pg: Any = None
        self._lock = threading.Lock()
        self._started = False

    # -- public surface -------------------------------------------------------------------------

    @property
    def admin_key(self) -> str:
        if self._admin_key is None:
            self._admin_key = load_or_create_admin_key(self.data_dir)
        return self._admin_key

    @property
    def urls(self) -> dict[str, str]:
        return {name: child.url for name, child in self.children.items()}

    @property
    def gateway_url(self) -> str:
        return self.children[GATEWAY].url

    def start(self) -> None:
        """Database, migrations, processes; returns once every process answers its health check."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._started = True
        try:
            self._check_ports_free()
            _ = self.admin_key
            if not self.database_url:
                self.database_url = self._start_embedded_database()
            self._migrate(self.database_url)
            env = self.child_env()
            for child in self.children.values():
                self._spawn(child, env)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Terminate every child's process group, kill what outlives the timeout, stop the database."""
        with self._lock:
            if not self._started:
                return
            self._started = False
        running = [c for c in reversed(self.children.values()) if c.process is not None]
        for child in running:
            child.stop_requested = True
            _signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            self._reap(child, deadline)
        if self._pg is not None:
            self._pg.cleanup()
            self._pg = None

    def stop_process(self, name: str, *, kill: bool = False) -> int:
        """Stop one process (SIGKILL with `kill`) and return its exit code; the others keep running."""
        child = self.children[name]
        if child.process is None:
            raise KeyError(f"{name} is not running")
        child.stop_requested = True
        _signal_group(child, signal.SIGKILL if kill else signal.SIGTERM)
        return self._reap(child, time.monotonic() + self.stop_timeout)

    def start_process(self, name: str) -> None:
        """Start one stopped process again and wait until it is ready (a restart after a crash)."""
        child = self.children[name]
        if child.process is not None and child.process.poll() is None:
            raise SupervisorError(f"{name} is already running")
        self._spawn(child, self.child_env())
        self._wait_ready({name: child})

    def wait_for_exit(self, poll_seconds: float = 0.2) -> tuple[str, int]:
        """Block until a child exits that nobody asked to stop; return its name and exit code."""
        while True:
            for child in self.children.values():
                proc = child.process
                if proc is not None and not child.stop_requested and proc.poll() is not None:
                    return child.name, proc.returncode
            time.sleep(poll_seconds)

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DATABASE_URL": self.database_url or "",
                "MPSANDBOX_ADMIN_KEY": self.admin_key,
                "MPSANDBOX_DATA_DIR": str(self.data_dir),
                "PYTHONUNBUFFERED": "1",
                SUPERVISOR_PID_ENV: str(os.getpid()),  # children stop if this process dies
            }
        )
        for name, child in self.children.items():
            prefix = f"MPSANDBOX_{name.upper()}"
            env[f"{prefix}_PORT"] = str(child.port)
            env[f"{prefix}_HOST"] = "127.0.0.1"
            if name != GATEWAY:
                env[f"{prefix}_URL"] = child.url
        gateway = self.children.get(GATEWAY)
        if gateway is not None:
            # The activation e-mail's link must lead to this gateway, whatever port it was given.
            env.setdefault("MPSANDBOX_REGISTRATION_PUBLIC_BASE_URL", gateway.url)
        env.update(self.extra_env)
        return env

    # -- internals ------------------------------------------------------------------------------

    def _start_embedded_database(self) -> str:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import get_server

            self._pg = get_server(self.data_dir / "pgdata", cleanup_mode="stop")
        asyncio.run(_ensure_database(self._pg.get_uri(), EMBEDDED_DATABASE))
        uri: str = self._pg.get_uri(EMBEDDED_DATABASE)
        return uri

    def _migrate(self, database_url: str) -> None:
        from servicekit.migrate import upgrade_all

        try:
            upgrade_all(database_url)
        except Exception as exc:  # refused, unknown host, bad password, missing database, …
            raise SupervisorError(
                f"cannot migrate the database at {redact(database_url)}: {type(exc).__name__}: {exc}\n"
                "Is the server running and DATABASE_URL right? Unset DATABASE_URL to use the embedded one."
            ) from exc

    def _spawn(self, child: Child, env: Mapping[str, str]) -> None:
        command = [
            sys.executable, "-m", "uvicorn", f"{child.module}:app",
            "--host", "127.0.0.1", "--port", str(child.port),
            "--no-access-log", "--loop", "uvloop", "--http", "httptools",
        ]  # fmt: skip
        child.stderr_tail.clear()
        child.stop_requested = False
        child.process = subprocess.Popen(
            command,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
            # Own session and group: the terminal's Ctrl-C reaches only the supervisor, which then
            # shuts children down in order, and a whole group can be signalled at once.
            start_new_session=True,
        )
        for stream_name, stream in (("stdout", child.process.stdout), ("stderr", child.process.stderr)):
            assert stream is not None
            pump = threading.Thread(
                target=self._pump, args=(child, stream_name, stream), name=f"{child.name}-{stream_name}",
                daemon=True,
            )  # fmt: skip
            pump.start()
            child.pumps.append(pump)

    def _pump(self, child: Child, stream_name: str, stream: IO[str]) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            if stream_name == "stderr":
                child.stderr_tail.append(line)
            try:
                self.sink(child.name, stream_name, line)
            except Exception:  # a broken sink must not block the child on a full pipe
                pass
        stream.close()

    def _check_ports_free(self) -> None:
        """Refuse to start when a port is taken: the health checks would otherwise reach whatever
        already listens there (an earlier sandbox) and report ready."""
        for name, child in self.children.items():
            port = child.port
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    raise SupervisorError(
                        f"port {port} ({name}) is already in use — is another sandbox running? "
                        "Stop it, or give this one another gateway port (`mpsandbox up --port P`, "
                        "the services follow it) and its own data dir (`--data-dir D`)."
                    )

    def _wait_ready(self, children: Mapping[str, Child] | None = None) -> None:
        deadline = time.monotonic() + self.ready_timeout
        pending = dict(self.children if children is None else children)
        last: dict[str, str] = {}
        # trust_env=False: a proxy from the environment must never sit between us and 127.0.0.1.
        with httpx.Client(timeout=2.0, trust_env=False) as http:
            while pending:
                for name, child in list(pending.items()):
                    assert child.process is not None
                    code = child.process.poll()
                    if code is not None:
                        raise SupervisorError(
                            f"{name} exited with code {code} during start-up; last output:\n{child.tail()}"
                        )
                    try:
                        response = http.get(child.url + child.ready_path)
                    except httpx.TransportError as exc:
                        last[name] = f"not answering ({type(exc).__name__})"
                        continue
                    if response.status_code == 200:
                        del pending[name]
                    else:
                        last[name] = (
                            f"{child.ready_path} answered {response.status_code}: {response.text[:300]}"
                        )
                if pending and time.monotonic() > deadline:
                    name, child = next(iter(pending.items()))
                    waiting = ", ".join(pending)
                    raise SupervisorError(
                        f"{name} not ready after {self.ready_timeout:.0f} s ({last.get(name, 'no answer')}); "
                        f"still waiting for: {waiting}; last output of {name}:\n{child.tail()}"
                    )
                if pending:
                    time.sleep(0.1)

    def _reap(self, child: Child, deadline: float) -> int:
        proc = child.process
        assert proc is not None
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(child, signal.SIGKILL)
            proc.wait()
        # Anything the child left behind in its group goes too: no orphans.
        _signal_group(child, signal.SIGKILL)
        for pump in child.pumps:
            pump.join(timeout=2.0)
        child.pumps.clear()
        return proc.returncode

    def run(self, on_ready: Callable[[Supervisor], None] | None = None) -> int:
        """`mpsandbox up`: start, serve until Ctrl-C/SIGTERM (exit 0) or until a child dies (exit 1)."""

        def interrupt(signum: int, _frame: Any) -> None:
            raise KeyboardInterrupt

        # SIGINT explicitly too: a shell starting `make run &` hands its children SIGINT ignored.
        previous = signal.signal(signal.SIGTERM, interrupt)
        previous_int = signal.signal(signal.SIGINT, interrupt)
        try:
            self.start()
            if on_ready:
                on_ready(self)
            name, code = self.wait_for_exit()
            self.sink("supervisor", "stderr", f"{name} {describe_exit(code)}; stopping the sandbox")
            return 1
        except KeyboardInterrupt:
            self.sink("supervisor", "stderr", "stopping the sandbox")
            return 0
        finally:
            # A second Ctrl-C must not abandon half-stopped children; stop() is bounded by its timeouts.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                self.stop()
            finally:
                signal.signal(signal.SIGINT, previous_int)
                signal.signal(signal.SIGTERM, previous)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def describe_exit(code: int) -> str:
    """`exited with code 1`, or `was killed by SIGKILL` for Popen's negative return codes."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _signal_group(child: Child, signum: int) -> None:
    if child.process is None:
        return
    try:
        os.killpg(child.process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


async def _ensure_database(admin_uri: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_uri)
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
