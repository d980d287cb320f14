"""Exactly once for real (R-DER-03, R-DER-06): deregistration notices and terminations against real
processes — a scheduler killed with SIGKILL in the middle of a sweep and started again, and two
scheduler processes sweeping and advancing against one database at once. Each proves it from the
outbox: every (account, day, channel) notice and every termination message exactly once, none missing.

The module's sandbox runs small batches (`MPSANDBOX_SCHEDULER_DEREGISTRATION_BATCH`), so a few dozen
back-dated accounts make a sweep of several batches; each test restarts the scheduler with the sweep
settings it needs (`supervisor.extra_env`). The test reads the scheduler's tables directly only to see
how far a sweep got and to hold one batch back (a row it is about to insert, left uncommitted).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from servicekit.context import ADMIN_KEY_HEADER, NAMESPACE_HEADER
from services.scheduler.deregistration.rules import INACTIVITY_RULE
from tests.e2e.conftest import Sandbox, free_ports, start_sandbox, stop_sandbox

pytestmark = pytest.mark.e2e
DAY = timedelta(hours=24)
BATCH = 3
NOTICE_DAYS = (180, 190, 200, 210)
SWEEP_INTERVAL = 0.3
T = TypeVar("T")


@pytest.fixture(scope="module")
def replicas_sandbox(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    env = {
        "MPSANDBOX_SCHEDULER_DEREGISTRATION_BATCH": str(BATCH),
        "MPSANDBOX_SCHEDULER_SWEEP_ENABLED": "false",
    }
    running, database = start_sandbox(database_url, tmp_path_factory.mktemp("replicas"), env)
    try:
        yield running
    finally:
        stop_sandbox(running, database)


class Database:
    """The sandbox's database from the test, synchronously (one connection, its own event loop)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.conn: asyncpg.Connection = self.run(
            asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        )

    def run(self, awaitable: Any) -> Any:
        return self.loop.run_until_complete(awaitable)

    def value(self, sql: str, *args: Any) -> Any:
        return self.run(self.conn.fetchval(sql, *args))

    def execute(self, sql: str, *args: Any) -> None:
        self.run(self.conn.execute(sql, *args))

    def close(self) -> None:
        self.run(self.conn.close())
        self.loop.close()


@pytest.fixture
def db(replicas_sandbox: Sandbox) -> Iterator[Database]:
    database = Database(replicas_sandbox.supervisor.database_url or "")
    try:
        yield database
    finally:
        database.close()


def restart_scheduler(sandbox: Sandbox, **env: str) -> None:
    """Start the sandbox's scheduler again with `env` added (not when it runs with it already)."""
    supervisor = sandbox.supervisor
    process = supervisor.children["scheduler"].process
    running = process is not None and process.poll() is None
    if running and all(supervisor.extra_env.get(k) == v for k, v in env.items()):
        return
    supervisor.extra_env.update(env)
    if running:
        supervisor.stop_process("scheduler")
    supervisor.start_process("scheduler")


def frozen_namespace(sandbox: Sandbox, namespace: str) -> datetime:
    with sandbox.admin(namespace) as admin:
        frozen = admin.post("/_sandbox/clock/freeze")
    assert frozen.status_code == 200, frozen.text
    return datetime.fromisoformat(frozen.json()["now"])


def create_idle_accounts(sandbox: Sandbox, namespace: str, last_logins: list[datetime]) -> list[str]:
    """Approved accounts whose last operator login (and approval) is each of `last_logins`."""

    def create(at: datetime) -> str:
        body = {"type": "subscription", "last_login_at": at.isoformat()}
        with sandbox.admin(namespace) as admin:
            created = admin.post("/_sandbox/accounts", json=body)
            if created.status_code == 503:  # nothing created; a peer call lost a keep-alive race, see
                created = admin.post("/_sandbox/accounts", json=body)  # the report of issue 11's races
        assert created.status_code == 201, created.text
        return str(created.json()["account_id"])

    return in_parallel(create, last_logins)


def in_parallel(work: Callable[[Any], T], items: list[Any], workers: int = 8) -> list[T]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, items))


def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


def outbox(sandbox: Sandbox, namespace: str, kind: str) -> list[dict[str, Any]]:
    with sandbox.admin(namespace) as admin:
        found = admin.get("/_sandbox/outbox", params={"kind": kind, "limit": 1000})
    assert found.status_code == 200, found.text
    items: list[dict[str, Any]] = found.json()["items"]
    assert len(items) < 1000
    return items


def expected_messages(
    sandbox: Sandbox, namespace: str, due: dict[str, tuple[int, ...]]
) -> tuple[Counter[tuple[str, int, str]], Counter[tuple[str, str]]]:
    """What the outbox holds of these accounts, as counters, and asserts nothing else is there."""
    notices = Counter(
        (m["account_id"], m["data"]["day"], m["channel"])
        for m in outbox(sandbox, namespace, "deregistration_notice")
    )
    ended = Counter((m["account_id"], m["channel"]) for m in outbox(sandbox, namespace, "account_terminated"))
    assert {a for a, _, _ in notices} <= set(due)
    return notices, ended


def assert_exactly_once(
    sandbox: Sandbox, namespace: str, due: dict[str, tuple[int, ...]], channels: tuple[str, ...]
) -> None:
    """Every due (account, day, channel) notice once, every termination (day 210) once per channel."""
    want_notices = Counter({(a, d, c): 1 for a, days in due.items() for d in days for c in channels})
    want_ended = Counter({(a, c): 1 for a, days in due.items() if 210 in days for c in channels})

    def complete() -> bool:
        notices, ended = expected_messages(sandbox, namespace, due)
        return set(notices) >= set(want_notices) and set(ended) >= set(want_ended)

    wait_until(complete, "every notice and termination in the outbox", timeout=20)
    notices, ended = expected_messages(sandbox, namespace, due)
    assert notices == want_notices
    assert ended == want_ended


def channels_of(sandbox: Sandbox, namespace: str) -> tuple[str, ...]:
    found = {m["channel"] for m in outbox(sandbox, namespace, "deregistration_notice")}
    assert {"notification", "email"} <= found
    return tuple(sorted(found))


@pytest.mark.rule("R-DER-03", "R-DER-06", "R-DER-02", "R-DER-04")
class TestSweepKilledMidWay:
    def test_a_sweep_killed_with_sigkill_keeps_its_batches_and_the_restarted_scheduler_finishes_once(
        self, replicas_sandbox: Sandbox, db: Database, unique_namespace: str
    ) -> None:
        sandbox, namespace = replicas_sandbox, unique_namespace
        restart_scheduler(sandbox, MPSANDBOX_SCHEDULER_SWEEP_ENABLED="false")  # no sweep until set up
        now = frozen_namespace(sandbox, namespace)
        # 6 accounts idle 215 days (day 180…210 and the termination), 6 idle 205 days (day 180…200);
        # the sweep takes them by due instant: 4 batches of 3, the idlest first.
        long_idle = [now - 215 * DAY + i * timedelta(minutes=1) for i in range(2 * BATCH)]
        idle = [now - 205 * DAY + i * timedelta(minutes=1) for i in range(2 * BATCH)]
        accounts = create_idle_accounts(sandbox, namespace, long_idle + idle)
        due = {a: NOTICE_DAYS if i < 2 * BATCH else NOTICE_DAYS[:3] for i, a in enumerate(accounts)}
        known = "SELECT count(*) FROM scheduler.deregistration_accounts WHERE namespace = $1"
        wait_until(lambda: db.value(known, namespace) == 4 * BATCH, "the scheduler to know every account")

        # Hold the last batch back: the notice row its sweep is about to insert for the last account is
        # already inserted here, uncommitted, so that batch's INSERT waits on this transaction.
        last = accounts[-1]
        anchor = db.value(
            "SELECT greatest(approved_at, last_login_at) FROM scheduler.deregistration_accounts "
            "WHERE account_id = $1",
            last,
        )
        holder = Database(sandbox.supervisor.database_url or "")
        holder.execute("BEGIN")
        holder.execute(
            "INSERT INTO scheduler.deregistration_notices "
            "(account_id, namespace, rule, anchor_at, day, at, terminates_at, final) "
            "VALUES ($1, $2, $3, $4::timestamptz, 180, $4::timestamptz + interval '180 days', "
            "$4::timestamptz + interval '210 days', false)",
            last,
            namespace,
            INACTIVITY_RULE,
            anchor,
        )
        three_batches = 2 * BATCH * 4 + BATCH * 3  # notices
        committed = "SELECT count(*) FROM scheduler.deregistration_notices WHERE namespace = $1"
        restart_scheduler(
            sandbox,
            MPSANDBOX_SCHEDULER_SWEEP_ENABLED="true",
            MPSANDBOX_SCHEDULER_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
        )
        try:
            blocked = (
                "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                "WHERE NOT l.granted AND a.datname = current_database()"
            )
            # Three batches committed while the fourth waits: one transaction per batch.
            wait_until(
                lambda: db.value(blocked) > 0 and db.value(committed, namespace) == three_batches,
                "three committed batches and the fourth waiting (one transaction per batch)",
                timeout=20,
            )
            code = sandbox.supervisor.stop_process("scheduler", kill=True)
            assert code == -signal.SIGKILL
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert db.value(committed, namespace) == three_batches  # the killed batch left nothing

        restart_scheduler(sandbox)  # the same settings: it sweeps again
        with sandbox.admin(namespace, timeout=60) as admin:
            resumed = admin.post("/_sandbox/clock/advance", json={"minutes": 0})
        assert resumed.status_code == 200, resumed.text

        assert db.value(committed, namespace) == 2 * BATCH * (4 + 3)
        assert_exactly_once(sandbox, namespace, due, channels_of(sandbox, namespace))


@pytest.fixture
def second_scheduler(replicas_sandbox: Sandbox, tmp_path: Path) -> Iterator[str]:
    """Another scheduler process beside the sandbox's: the same database, peers and settings (the
    supervisor's environment), its own port. Returns its URL."""
    (port,) = free_ports(1)
    env = replicas_sandbox.supervisor.child_env()
    env["MPSANDBOX_SCHEDULER_PORT"] = str(port)
    env["MPSANDBOX_SCHEDULER_SWEEP_ENABLED"] = "true"
    env["MPSANDBOX_SCHEDULER_SWEEP_INTERVAL_SECONDS"] = str(SWEEP_INTERVAL)
    log = (tmp_path / "scheduler-2.log").open("w", encoding="utf-8")
    command = [sys.executable, "-m", "uvicorn", "services.scheduler.app:app", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            assert process.poll() is None, (tmp_path / "scheduler-2.log").read_text()
            try:
                return httpx.get(f"{url}/readyz", timeout=2, trust_env=False).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, "the second scheduler to be ready")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.mark.rule("R-DER-03", "R-DER-06", "R-CLK-01", "R-DER-04")
class TestTwoSchedulers:
    def test_two_scheduler_processes_sweeping_and_advancing_one_database_send_each_notice_once(
        self, replicas_sandbox: Sandbox, second_scheduler: str, unique_namespace: str
    ) -> None:
        sandbox, namespace = replicas_sandbox, unique_namespace
        restart_scheduler(  # the same sweep as the second process's
            sandbox,
            MPSANDBOX_SCHEDULER_SWEEP_ENABLED="true",
            MPSANDBOX_SCHEDULER_SWEEP_INTERVAL_SECONDS=str(SWEEP_INTERVAL),
        )
        now = frozen_namespace(sandbox, namespace)
        # Idle 185 days: day 180 due now (both processes' sweeps race for it while they are created);
        # 190, 200 and 210 and the termination come with the advances.
        accounts = create_idle_accounts(
            sandbox, namespace, [now - 185 * DAY + i * timedelta(minutes=1) for i in range(3 * BATCH)]
        )
        headers = {ADMIN_KEY_HEADER: sandbox.admin_key, NAMESPACE_HEADER: namespace}
        via_gateway, direct = sandbox.url, second_scheduler

        def advance(job: tuple[str, dict[str, int]]) -> list[dict[str, Any]]:
            base, body = job
            moved = httpx.post(
                f"{base}/_sandbox/clock/advance", json=body, headers=headers, timeout=60, trust_env=False
            )
            assert moved.status_code == 200, moved.text
            return [e for e in moved.json()["events"] if e["service"] == "scheduler"]

        zero, ten = {"minutes": 0}, {"days": 10}
        jobs = [(via_gateway, ten), (direct, zero), (direct, ten), (via_gateway, zero), (direct, ten)]
        answered = in_parallel(advance, jobs, workers=len(jobs))

        reported = Counter(
            (e["account_id"], e["kind"], e["data"].get("day")) for events in answered for e in events
        )
        assert all(n == 1 for n in reported.values()), reported  # no advance reported one twice
        due = dict.fromkeys(accounts, NOTICE_DAYS)
        assert_exactly_once(sandbox, namespace, due, channels_of(sandbox, namespace))
