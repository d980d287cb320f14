"""PostgreSQL stopped under a running sandbox: every call answers 503 `database_unavailable` (`/cgi-bin`:
errcode -1 with HTTP 503), nothing answers 500, and the sandbox works again by itself once the server
is back — no service restarted (SPEC §2, §8, §10).

The module runs its own embedded PostgreSQL (pgserver) so it can stop and start it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Sandbox, start_sandbox, stop_sandbox
from tests.e2e.wechat import create_account

pytestmark = pytest.mark.e2e


class Postgres:
    """An embedded server that can be stopped and started again on the same files and socket."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.server: Any = None
        self.start()
        self.uri: str = self.server.get_uri()

    def start(self) -> None:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            from pgserver.postgres_server import get_server

            self.server = get_server(self.root, cleanup_mode="stop")

    def stop(self) -> None:
        import atexit

        self.server.cleanup()
        atexit.unregister(self.server._cleanup)


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Postgres]]:
    postgres = Postgres(tmp_path_factory.mktemp("outage-pg"))
    sandbox, database = start_sandbox(postgres.uri, tmp_path_factory.mktemp("outage-sandbox"))
    try:
        yield sandbox, postgres
    finally:
        try:
            postgres.start()  # a failed test may have left it stopped; the database is dropped on it
            stop_sandbox(sandbox, database)
        finally:
            postgres.stop()


def wait_for(check: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Poll `check` until it holds (the event itself: the server answering again)."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_every_call_answers_503_while_postgres_is_down_and_recovers_by_itself(
    outage: tuple[Sandbox, Postgres],
) -> None:
    sandbox, postgres = outage
    namespace = "outage"
    account = create_account(sandbox, namespace, type="service", certified=True)
    with sandbox.client() as http:
        token = http.get(
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": account["appid"],
                "secret": account["secret"],
            },
        ).json()["access_token"]
        bearer = http.post(
            "/api/v1/sessions", json={"email": account["email"], "password": account["password"]}
        ).json()["token"]
    pids = {name: child.process.pid for name, child in sandbox.supervisor.children.items() if child.process}
    token_params = {"grant_type": "client_credential", "appid": account["appid"], "secret": account["secret"]}

    def calls(http: httpx.Client, admin: httpx.Client) -> dict[str, httpx.Response]:
        return {
            "captcha": http.post("/api/v1/captchas"),
            "login": http.post("/api/v1/sessions", json={"email": account["email"], "password": "x" * 8}),
            "account": http.get("/api/v1/account", headers={"Authorization": f"Bearer {bearer}"}),
            "fixture": admin.post("/_sandbox/accounts", json={"type": "service"}),
            "advance": admin.post("/_sandbox/clock/advance", json={"minutes": 1}),
            "clock": admin.get("/_sandbox/clock"),
            "token": http.get("/cgi-bin/token", params=token_params),
            "menu": http.get("/cgi-bin/menu/get", params={"access_token": token}),
            "users": http.get("/cgi-bin/user/get", params={"access_token": token}),
        }

    postgres.stop()
    try:
        with sandbox.client() as http, sandbox.admin(namespace) as admin:
            down = calls(http, admin)
    finally:
        postgres.start()

    for name, response in down.items():
        assert response.status_code == 503, (name, response.text)
        body = response.json()
        if name in ("token", "menu", "users"):
            assert body["errcode"] == -1, (name, body)
        else:
            assert body["error"]["code"] == "database_unavailable", (name, body)

    with sandbox.client() as http:
        assert wait_for(lambda: http.post("/api/v1/captchas").status_code == 201)
    with sandbox.client() as http, sandbox.admin(namespace) as admin:
        up = calls(http, admin)
    assert up["captcha"].status_code == 201
    assert up["login"].status_code == 401
    assert up["account"].status_code == 200
    assert up["fixture"].status_code == 201
    assert up["advance"].status_code == 200
    assert "access_token" in up["token"].json()
    assert up["menu"].json()["errcode"] == 46003
    assert up["users"].json()["total"] == 0
    assert {n: c.process.pid for n, c in sandbox.supervisor.children.items() if c.process} == pids
    log = sandbox.log_path.read_text(encoding="utf-8")
    assert "status=503" in log
    assert "status=500" not in log
    assert "Traceback" not in log
