"""The real sandbox, started by the same `Supervisor` that `mpsandbox up` uses.

`sandbox` (session scope) runs the four services and the gateway on free ports, with a fresh data
dir and a fresh database on the test server, the scheduler's periodic sweep left on. Tests keep their
data apart with unique namespaces (`unique_namespace`) rather than resetting: the processes are shared.
Child output goes to `<data_dir>/sandbox.log`; a failed start-up shows the failing process's tail.
"""

from __future__ import annotations

import secrets
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from mpsandbox.supervisor import PROCESSES, Supervisor, plain_sink
from servicekit.context import ADMIN_KEY_HEADER, NAMESPACE_HEADER
from servicekit.settings import PORT_OFFSETS
from servicekit.testing import TestDatabase
from tests.e2e.wechat import SandboxWeChatClient, certified_client


@dataclass
class Sandbox:
    """A running sandbox: where it listens and how to call its control plane."""

    url: str
    admin_key: str
    ports: dict[str, int]
    supervisor: Supervisor
    log_path: Path
    log: IO[str] = field(repr=False)
    admin_headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.admin_headers = {ADMIN_KEY_HEADER: self.admin_key}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the gateway (no admin key unless passed in `headers`)."""
        kwargs.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.url, trust_env=False, **kwargs)

    def admin(self, namespace: str | None = None, **kwargs: Any) -> httpx.Client:
        """A client carrying the admin key, and the namespace when given."""
        headers = dict(self.admin_headers)
        if namespace:
            headers[NAMESPACE_HEADER] = namespace
        headers.update(kwargs.pop("headers", {}))
        return self.client(headers=headers, **kwargs)


def free_ports(count: int) -> list[int]:
    """Ports the kernel just handed out; all bound at once so they are distinct."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_gateway_port(taken: set[int] | None = None) -> int:
    """A free port whose services' ports (+101…104, as `mpsandbox up --port` derives them) are free too."""
    for _ in range(200):
        (port,) = free_ports(1)
        wanted = [port, *(port + offset for offset in PORT_OFFSETS.values())]
        if wanted[-1] > 65535 or set(wanted) & (taken or set()):
            continue
        sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in wanted]
        try:
            for sock, candidate in zip(sockets, wanted, strict=True):
                sock.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return port
    raise RuntimeError("no free gateway port with its four service ports free")


def start_sandbox(
    server_url: str, root: Path, extra_env: dict[str, str] | None = None
) -> tuple[Sandbox, TestDatabase]:
    """A sandbox on its own database (on `server_url`'s server) and its own data dir under `root`;
    `extra_env` goes to every process (and can be changed before `supervisor.start_process`)."""
    database = TestDatabase(server_url)
    url = database.start()
    data_dir = root / "data"
    data_dir.mkdir(parents=True)
    log_path = data_dir / "sandbox.log"
    log = log_path.open("a", encoding="utf-8")
    ports = dict(zip(PROCESSES, free_ports(len(PROCESSES)), strict=True))
    supervisor = Supervisor(
        data_dir=data_dir,
        database_url=url,
        admin_key=secrets.token_urlsafe(16),
        ports=ports,
        extra_env=extra_env,
        sink=plain_sink(log),
        ready_timeout=60.0,
    )
    try:
        supervisor.start()
    except BaseException:
        log.close()
        database.stop()
        raise
    sandbox = Sandbox(
        url=supervisor.gateway_url,
        admin_key=supervisor.admin_key,
        ports=ports,
        supervisor=supervisor,
        log_path=log_path,
        log=log,
    )
    return sandbox, database


def stop_sandbox(sandbox: Sandbox, database: TestDatabase) -> None:
    try:
        sandbox.supervisor.stop()
    finally:
        sandbox.log.close()
        database.stop()


@pytest.fixture(scope="session")
def sandbox(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    running, database = start_sandbox(database_url, tmp_path_factory.mktemp("sandbox"))
    try:
        yield running
    finally:
        stop_sandbox(running, database)


@pytest.fixture
def unique_namespace() -> str:
    """A namespace no other test uses: its own clock, settings and accounts."""
    return f"e2e-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="module")
def private_sandbox(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox for one module alone, for tests that break it (stop a service, fill a disk)."""
    running, database = start_sandbox(database_url, tmp_path_factory.mktemp("private-sandbox"))
    try:
        yield running
    finally:
        stop_sandbox(running, database)


@pytest.fixture
def wechat(sandbox: Sandbox, unique_namespace: str) -> SandboxWeChatClient:
    """A certified service account's developer, as a wechatpy client."""
    return certified_client(sandbox, unique_namespace)
