from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker

from servicekit import clock
from servicekit.testing import asgi_client, wire_app
from services.scheduler.app import build_app
from services.scheduler.config import SchedulerSettings
from services.scheduler.runtime import Runtime
from services.scheduler.sweep.jobs import SWEEP_JOB_ID, sweep, sweep_job, sweep_lifespan
from tests.scheduler.conftest import FakePeer, ns


def runtime_for(db_conn: AsyncConnection, peers: dict[str, FakePeer]) -> Runtime:
    maker = async_sessionmaker(bind=db_conn, expire_on_commit=False, join_transaction_mode="create_savepoint")
    return Runtime(sessionmaker=maker, peers={n: p.client() for n, p in peers.items()})


@pytest.mark.rule("R-CLK-03")
class TestSweep:
    async def test_sweep_calls_every_hook_for_all_namespaces(
        self, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        peers["registration"].events = [
            {"at": "2026-11-26T00:00:00Z", "service": "registration", "kind": "x"}
        ]
        peers["messaging"].events = [{"at": "2026-11-26T00:00:00Z", "service": "messaging", "kind": "y"}]
        count = await sweep(runtime_for(db_conn, peers))
        assert count == 2
        for peer in peers.values():
            assert peer.hook_calls() == [{"namespace": None, "from": None, "to": None}]

    async def test_sweep_job_survives_a_peer_down(
        self, db_conn: AsyncConnection, peers: dict[str, FakePeer]
    ) -> None:
        peers["registration"].down = True
        app = wire_app(
            build_app(SchedulerSettings(sweep_enabled=False)),
            connection=db_conn,
            peers={n: p.client() for n, p in peers.items()},
        )
        await sweep_job(app)
        assert len(peers["certification"].hook_calls()) == 1
        assert len(peers["messaging"].hook_calls()) == 1


class TestSweepLifespan:
    @pytest.mark.rule("R-CLK-03")
    async def test_lifespan_schedules_one_coalesced_interval_job(self) -> None:
        app = build_app(SchedulerSettings(sweep_interval_seconds=7))
        async with sweep_lifespan(app):
            job = app.state.scheduler.get_job(SWEEP_JOB_ID)
            assert job.trigger.interval == timedelta(seconds=7)
            assert (job.max_instances, job.coalesce) == (1, True)
            assert app.state.scheduler.running
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown is scheduled on the loop, not immediate
        assert not app.state.scheduler.running

    async def test_disabled_sweep_schedules_nothing(self) -> None:
        app = build_app(SchedulerSettings(sweep_enabled=False))
        async with sweep_lifespan(app):
            assert not hasattr(app.state, "scheduler")


@pytest.mark.rule("R-CLK-01")
class TestConcurrentAdvances:
    """Real commits on the shared engine: two advances race on one namespace."""

    @pytest.fixture
    async def namespace(self, engine: AsyncEngine) -> AsyncIterator[str]:
        name = f"race-{uuid.uuid4().hex[:8]}"
        yield name
        async with engine.begin() as conn:
            await conn.execute(delete(clock.namespaces).where(clock.namespaces.c.namespace == name))

    async def test_concurrent_advances_add_up(
        self, engine: AsyncEngine, peers: dict[str, FakePeer], namespace: str
    ) -> None:
        app = wire_app(
            build_app(SchedulerSettings(sweep_enabled=False)),
            engine=engine,
            peers={n: p.client() for n, p in peers.items()},
        )
        async with asgi_client(app) as client:
            start = (await client.post("/_sandbox/clock/freeze", headers=ns(namespace))).json()["now"]
            answers = await asyncio.gather(
                *(
                    client.post("/_sandbox/clock/advance", headers=ns(namespace), json={"days": 1})
                    for _ in range(3)
                )
            )
            assert [a.status_code for a in answers] == [200, 200, 200]
            final = (await client.get("/_sandbox/clock", headers=ns(namespace))).json()["now"]
        assert datetime.fromisoformat(final) - datetime.fromisoformat(start) == timedelta(days=3)
        intervals = sorted((a.json()["from"], a.json()["now"]) for a in answers)
        assert [i[1] for i in intervals[:-1]] == [i[0] for i in intervals[1:]]
