"""R-MSG-27 with real processes: messaging killed in the middle of a fan-out finishes it on restart."""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any

import asyncpg
import pytest

from tests.e2e.wechat import create_account

if TYPE_CHECKING:
    from tests.e2e.conftest import Sandbox

pytestmark = pytest.mark.e2e

FOLLOWERS = 1000
# The fan-out's INSERT waiting for the table (pg_stat_activity still shows its previous statement:
# the lock is taken while the INSERT is parsed).
FAN_OUT_WAITING = """
    SELECT count(*) FROM pg_locks
    WHERE locktype = 'relation' AND relation = 'messaging.mass_deliveries'::regclass
      AND mode = 'RowExclusiveLock' AND NOT granted
"""


def cgi(sandbox: Sandbox, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    with sandbox.client() as http:
        response = http.post(
            f"/cgi-bin/{path}", params={"access_token": token}, content=json.dumps(body).encode()
        )
    return dict(response.json())


def access_token(sandbox: Sandbox, account: dict[str, Any]) -> str:
    query = {"grant_type": "client_credential", "appid": account["appid"], "secret": account["secret"]}
    with sandbox.client() as http:
        return str(http.get("/cgi-bin/token", params=query).json()["access_token"])


LOCK_WAITERS = """
    SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE NOT l.granted AND a.datname = current_database()
"""


def wait_finished(sandbox: Sandbox, token: str, msg_id: int, seconds: float) -> str:
    status, deadline = "SENDING", time.monotonic() + seconds
    while status == "SENDING" and time.monotonic() < deadline:
        time.sleep(0.2)
        status = cgi(sandbox, token, "message/mass/get", {"msg_id": msg_id})["msg_status"]
    return status


async def kill_mid_fan_out(sandbox: Sandbox, token: str, database_url: str) -> int:
    """Send to all while a table lock holds the fan-out inside its INSERT, kill messaging there,
    restart it, then let the dead process's backend run on (and roll back) as PostgreSQL would."""
    blocker = await asyncpg.connect(database_url)
    try:
        await blocker.execute("BEGIN; LOCK TABLE messaging.mass_deliveries IN SHARE MODE")
        body = {"filter": {"is_to_all": True}, "msgtype": "text", "text": {"content": "台风预警"}}
        accepted = cgi(sandbox, token, "message/mass/sendall", body)
        assert accepted["errcode"] == 0, accepted
        deadline = time.monotonic() + 30
        while await blocker.fetchval(FAN_OUT_WAITING) == 0:
            assert time.monotonic() < deadline, "the fan-out never reached its INSERT"
            await asyncio.sleep(0.05)

        sandbox.supervisor.stop_process("messaging", kill=True)
        sandbox.supervisor.start_process("messaging")
        # The event itself: the new process's start-up recovery queues behind the dead one's job lock.
        while await blocker.fetchval(LOCK_WAITERS) < 2:
            assert time.monotonic() < deadline + 30, "the restarted process's recovery never reached the job"
            await asyncio.sleep(0.05)
        await blocker.execute("ROLLBACK")
    finally:
        await blocker.close()
    return int(accepted["msg_id"])


async def delivery_counts(database_url: str, msg_id: int) -> tuple[int, int]:
    conn = await asyncpg.connect(database_url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*), count(DISTINCT follower_id) FROM messaging.mass_deliveries WHERE msg_id = $1",
            msg_id,
        )
    finally:
        await conn.close()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.mark.rule("R-MSG-27")
class TestFanOutSurvivesAKill:
    def test_killed_inside_the_fan_out_the_restarted_process_delivers_once_to_everyone(
        self, private_sandbox: Sandbox, unique_namespace: str
    ) -> None:
        account = create_account(private_sandbox, unique_namespace, type="service", certified=True)
        with private_sandbox.admin(unique_namespace) as admin:
            seeded = admin.post(f"/_sandbox/accounts/{account['appid']}/followers", json={"count": FOLLOWERS})
        assert seeded.status_code == 200, seeded.text
        token = access_token(private_sandbox, account)
        assert private_sandbox.supervisor.database_url is not None
        database_url = private_sandbox.supervisor.database_url.replace(
            "postgresql+asyncpg://", "postgresql://"
        )

        msg_id = asyncio.run(kill_mid_fan_out(private_sandbox, token, database_url))

        assert wait_finished(private_sandbox, token, msg_id, seconds=20) == "SEND_SUCCESS"
        assert asyncio.run(delivery_counts(database_url, msg_id)) == (FOLLOWERS, FOLLOWERS)
