"""Exactly once under races (R-DER-03): several clock hooks — advances of the namespace and sweeps of
every namespace — running at once against one database, with real commits, then several deliverers
at once. Every notice, message, termination and event exists once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.context import NAMESPACE_HEADER
from servicekit.lifecycle import ClockEvent, ClockHookRequest
from servicekit.testing import asgi_client
from services.scheduler.clock import ownership
from services.scheduler.deregistration import jobs, service
from services.scheduler.runtime import Runtime, unit_of_work
from services.scheduler.sweep.jobs import sweep
from tests.scheduler.deregistration_fakes import (
    Wired,
    fact,
    new_account_id,
    scheduler_with_fakes,
    send_facts,
    signed_up,
)

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=SHANGHAI)
DAY = timedelta(hours=24)
TABLES = ("deregistration_notices", "terminations", "pending_messages", "deregistration_accounts")


@pytest.fixture
async def namespace(engine: AsyncEngine) -> AsyncIterator[str]:
    name = f"race-{uuid.uuid4().hex[:8]}"
    async with AsyncSession(engine) as session, session.begin():
        await clock.freeze(session, name)
        await clock.set_time(session, name, T0)
    yield name
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(
            text(
                "DELETE FROM scheduler.received_facts WHERE account_id IN "
                "(SELECT account_id FROM scheduler.deregistration_accounts WHERE namespace = :n)"
            ),
            {"n": name},
        )
        for table in TABLES:
            await session.execute(text(f"DELETE FROM scheduler.{table} WHERE namespace = :n"), {"n": name})
        await session.execute(text("DELETE FROM sandbox.namespaces WHERE namespace = :n"), {"n": name})


@pytest.fixture
async def other(engine: AsyncEngine) -> AsyncIterator[str]:
    """A second frozen namespace with no accounts."""
    name = f"race-{uuid.uuid4().hex[:8]}"
    async with AsyncSession(engine) as session, session.begin():
        await clock.freeze(session, name)
    yield name
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(text("DELETE FROM sandbox.namespaces WHERE namespace = :n"), {"n": name})


@pytest.fixture
async def wired(engine: AsyncEngine) -> AsyncIterator[Wired]:
    async with scheduler_with_fakes(engine=engine) as w:
        yield w


async def count(engine: AsyncEngine, table: str, namespace: str) -> int:
    async with engine.connect() as conn:
        found = await conn.scalar(
            text(f"SELECT count(*) FROM scheduler.{table} WHERE namespace = :n"), {"n": namespace}
        )
    return int(found or 0)


async def one_hook(maker: async_sessionmaker[AsyncSession], request: ClockHookRequest) -> list[ClockEvent]:
    async with unit_of_work(maker) as session:
        return await service.clock_hook(session, request)


@pytest.mark.rule("R-DER-03", "R-DER-01", "R-DER-02", "R-CLK-01")
class TestConcurrentHooks:
    async def test_overlapping_advances_and_sweeps_perform_each_notice_once(
        self,
        wired: Wired,
        engine: AsyncEngine,
        namespace: str,
        other: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(service, "BATCH", 4)  # many batches, so the runners interleave
        incomplete = [new_account_id() for _ in range(12)]
        idle = [new_account_id() for _ in range(12)]
        facts: list[dict[str, Any]] = []
        for account in incomplete:  # day 60, 70, 80 due, and the termination
            facts += signed_up(account, T0 - 85 * DAY, namespace)
            facts.append(fact("operator_phone", account, T0 - 85 * DAY, namespace, phone="13800138000"))
        for account in idle:  # day 180, 190, 200 due
            facts += signed_up(account, T0 - 205 * DAY, namespace)
            facts.append(fact("approved", account, T0 - 205 * DAY, namespace))
        await send_facts(wired.app, *facts)
        maker = wired.app.state.sessionmaker
        requests = [ClockHookRequest(namespace=namespace, from_=T0, to=T0)] * 4 + [ClockHookRequest()] * 4

        results = await asyncio.gather(*(one_hook(maker, r) for r in requests))

        performed = [(e.account_id, e.model_dump()["data"]["day"]) for events in results for e in events]
        mine = sorted(p for p in performed if p[0] in set(incomplete) | set(idle))
        expected = sorted(
            [(a, d) for a in incomplete for d in (60, 70, 80)]
            + [(a, d) for a in idle for d in (180, 190, 200)]
        )
        assert mine == expected  # every notice reported by exactly one runner
        assert await count(engine, "deregistration_notices", namespace) == len(expected)
        # notification + e-mail each, and SMS for the accounts with a step-4 phone
        assert await count(engine, "pending_messages", namespace) == 3 * 36 + 2 * 36
        assert await count(engine, "terminations", namespace) == len(incomplete)

    async def test_concurrent_deliverers_ask_for_each_termination_and_relay_each_message_once(
        self, wired: Wired, engine: AsyncEngine, namespace: str
    ) -> None:
        accounts = [new_account_id() for _ in range(5)]
        await send_facts(wired.app, *(f for a in accounts for f in signed_up(a, T0 - 80 * DAY, namespace)))
        maker = wired.app.state.sessionmaker
        await one_hook(maker, ClockHookRequest(namespace=namespace, from_=T0, to=T0))
        runtime = Runtime.from_app(wired.app)

        results = await asyncio.gather(*(jobs.deliver(runtime) for _ in range(4)))

        ended = sorted(e.account_id for events in results for e in events if e.account_id in accounts)
        assert ended == sorted(accounts)
        asked = [
            item["account_id"] for item in wired.registration.requested() if item["account_id"] in accounts
        ]
        assert sorted(asked) == sorted(accounts)
        notices = [m for m in wired.messaging.of("deregistration_notice") if m["account_id"] in accounts]
        terminated = [m for m in wired.messaging.of("account_terminated") if m["account_id"] in accounts]
        assert len(notices) == 5 * 3 * 2
        assert len(terminated) == 5 * 2
        assert wired.messaging.calls == len(wired.messaging.entries)  # each message relayed once


def due_accounts(namespace: str, count: int) -> tuple[list[str], list[dict[str, Any]]]:
    """`count` approved accounts idle for 212 days: day 180, 190, 200 and 210 due, and the termination."""
    accounts = [new_account_id() for _ in range(count)]
    facts: list[dict[str, Any]] = []
    for account in accounts:
        facts += signed_up(account, T0 - 212 * DAY, namespace)
        facts.append(fact("approved", account, T0 - 212 * DAY, namespace))
    return accounts, facts


async def assert_each_once(wired: Wired, engine: AsyncEngine, namespace: str, accounts: list[str]) -> None:
    async with engine.connect() as conn:
        notices = (
            await conn.execute(
                text("SELECT account_id, day FROM scheduler.deregistration_notices WHERE namespace = :n"),
                {"n": namespace},
            )
        ).all()
    assert sorted(map(tuple, notices)) == sorted((a, d) for a in accounts for d in (180, 190, 200, 210))
    sent = Counter(
        (m["account_id"], m["data"]["day"], m["channel"])
        for m in wired.messaging.of("deregistration_notice")
        if m["account_id"] in accounts
    )
    assert sent == {
        (a, d, c): 1 for a in accounts for d in (180, 190, 200, 210) for c in ("notification", "email")
    }
    ended = Counter(
        (m["account_id"], m["channel"])
        for m in wired.messaging.of("account_terminated")
        if m["account_id"] in accounts
    )
    assert ended == {(a, c): 1 for a in accounts for c in ("notification", "email")}
    asked = Counter(i["account_id"] for i in wired.registration.requested() if i["account_id"] in accounts)
    assert asked == dict.fromkeys(accounts, 1)


@pytest.mark.rule("R-DER-06", "R-DER-03")
class TestBatchByBatch:
    async def test_a_sweep_dying_mid_way_keeps_its_batches_and_the_next_resumes_without_repeating(
        self, wired: Wired, engine: AsyncEngine, namespace: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(service, "BATCH", 5)
        accounts, facts = due_accounts(namespace, 23)  # 5 batches, the last one short
        await send_facts(wired.app, *facts)
        runtime = Runtime.from_app(wired.app)
        performed = service.perform_due_batch
        batches = 0

        async def dies_in_the_third(session: AsyncSession, **kwargs: Any) -> tuple[list[ClockEvent], bool]:
            nonlocal batches
            batches += 1
            found = await performed(session, **kwargs)  # the work is done, then the process dies
            if batches == 3:
                raise ConnectionResetError("killed")
            return found

        monkeypatch.setattr(service, "perform_due_batch", dies_in_the_third)
        with pytest.raises(ConnectionResetError):
            await sweep(runtime)
        assert await count(engine, "deregistration_notices", namespace) == 2 * 5 * 4  # two batches kept
        assert await count(engine, "pending_messages", namespace) == 2 * 5 * 4 * 2
        assert wired.registration.requested() == []  # the dead sweep delivered nothing

        monkeypatch.setattr(service, "perform_due_batch", performed)
        assert await sweep(runtime) == 13 * 4 + 23  # the rest: notices, then every termination
        await assert_each_once(wired, engine, namespace, accounts)

    async def test_an_advance_racing_a_sweep_waits_for_one_batch_not_for_the_sweep(
        self,
        wired: Wired,
        engine: AsyncEngine,
        namespace: str,
        other: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.setattr(service, "BATCH", 4)
        accounts, facts = due_accounts(namespace, 40)  # 10 batches of the sweep
        await send_facts(wired.app, *facts)
        performed = service.perform_due_batch
        pause, started, batches = 0.25, asyncio.Event(), []

        async def slow_sweep_batch(session: AsyncSession, **kwargs: Any) -> tuple[list[ClockEvent], bool]:
            if kwargs["namespace"] is None:  # the sweep's batches take a while; the advance's do not
                started.set()
                batches.append(kwargs["namespace"])
                await asyncio.sleep(pause)
            return await performed(session, **kwargs)

        monkeypatch.setattr(service, "perform_due_batch", slow_sweep_batch)
        owning = ownership.own_namespace
        owned_at: list[float] = []

        @asynccontextmanager
        async def timed(*args: Any, **kwargs: Any) -> AsyncIterator[None]:
            async with owning(*args, **kwargs):
                owned_at.append(time.monotonic())
                yield

        monkeypatch.setattr(ownership, "own_namespace", timed)
        swept = asyncio.create_task(sweep(Runtime.from_app(wired.app)))
        await started.wait()
        async with asgi_client(wired.app) as client:
            begun = time.monotonic()
            quiet = await client.post(
                "/_sandbox/clock/advance", headers={NAMESPACE_HEADER: other}, json={"minutes": 0}
            )
            assert quiet.status_code == 200, quiet.text
            waited = owned_at[0] - begun  # until it owned its namespace: behind the sweep's batch
            print(
                f"an advance racing a sweep of {pause} s batches waited {waited:.3f} s to own its namespace"
            )
            assert not swept.done()  # it got its turn between two batches of the sweep
            # At most the rest of one batch (its pause and its SQL), far from the sweep's ten batches.
            assert waited < 2 * pause, f"the advance waited {waited:.2f} s behind a sweep batch of {pause} s"
            # An advance of the swept namespace takes what is left of it between two batches.
            racing = await client.post(
                "/_sandbox/clock/advance", headers={NAMESPACE_HEADER: namespace}, json={"minutes": 0}
            )
            assert racing.status_code == 200, racing.text
        assert await swept is not None  # the sweep went on after the advances and finished
        assert 1 <= len(batches) < 10
        await assert_each_once(wired, engine, namespace, accounts)
