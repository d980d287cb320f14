"""One owner per interval (R-CLK-01): advances and sweeps racing, with real commits on the shared engine.

The peers are instrumented: each clock hook performs the namespace's due instants the way a careless
service would — read what is done, yield, then mark it — and records every other hook call of the
same namespace that was running meanwhile. If two runners ever held an interval at once, the
overlap is recorded and an instant is performed twice.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from servicekit import clock
from servicekit.clock import SHANGHAI
from servicekit.lifecycle import CLOCK_HOOK_PATH
from servicekit.testing import asgi_client, wire_app
from services.scheduler.app import build_app
from services.scheduler.config import SchedulerSettings
from services.scheduler.runtime import PEER_SERVICES, Runtime
from services.scheduler.sweep.jobs import sweep
from tests.scheduler.conftest import ns

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
DUE = [T0 + timedelta(minutes=10 + 30 * i) for i in range(60)]  # every half hour for 30 hours


@dataclass
class TimedPeer:
    """A peer whose hook takes `delay` seconds and performs each due instant of `namespace` once."""

    name: str
    engine: AsyncEngine
    namespace: str
    delay: float = 0.02
    done: set[datetime] = field(default_factory=set)
    performed: list[datetime] = field(default_factory=list)
    running: list[dict[str, Any]] = field(default_factory=list)
    overlaps: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    intervals: list[tuple[datetime, datetime]] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if request.url.path != CLOCK_HOOK_PATH or body["namespace"] not in (None, self.namespace):
            return httpx.Response(200, json={"events": []})
        self.overlaps.extend((other, body) for other in self.running)
        self.running.append(body)
        try:
            if body["to"] is None:  # the sweep: up to the namespace's own clock
                async with AsyncSession(self.engine) as session:
                    horizon = await clock.now(session, self.namespace)
            else:
                horizon = datetime.fromisoformat(body["to"])
            todo = [d for d in DUE if d <= horizon and d not in self.done]
            await asyncio.sleep(self.delay)
            self.done.update(todo)
            self.performed.extend(todo)
            if body["from"] is not None:
                self.intervals.append((datetime.fromisoformat(body["from"]), horizon))
        finally:
            self.running.remove(body)
        events = [{"at": d.isoformat(), "service": self.name, "kind": "due"} for d in todo]
        return httpx.Response(200, json={"events": events})


@pytest.fixture
async def namespace(engine: AsyncEngine) -> AsyncIterator[str]:
    name = f"owner-{uuid.uuid4().hex[:8]}"
    async with AsyncSession(engine) as session, session.begin():
        await clock.freeze(session, name)
        await clock.set_time(session, name, T0)
    yield name
    async with AsyncSession(engine) as session, session.begin():
        await session.execute(delete(clock.namespaces).where(clock.namespaces.c.namespace == name))


@pytest.fixture
def peers(engine: AsyncEngine, namespace: str) -> dict[str, TimedPeer]:
    return {name: TimedPeer(name, engine, namespace) for name in PEER_SERVICES}


@pytest.fixture
async def app(engine: AsyncEngine, peers: dict[str, TimedPeer]) -> AsyncIterator[FastAPI]:
    clients = {
        name: httpx.AsyncClient(transport=httpx.MockTransport(p.handle), base_url=f"http://{name}")
        for name, p in peers.items()
    }
    try:
        yield wire_app(build_app(SchedulerSettings(sweep_enabled=False)), engine=engine, peers=clients)
    finally:
        for c in clients.values():
            await c.aclose()


async def read_now(client: httpx.AsyncClient, namespace: str) -> datetime:
    return datetime.fromisoformat((await client.get("/_sandbox/clock", headers=ns(namespace))).json()["now"])


def assert_one_runner_per_interval(peers: dict[str, TimedPeer], now: datetime) -> None:
    for peer in peers.values():
        assert peer.overlaps == [], f"{peer.name}: hooks of one namespace ran at once: {peer.overlaps}"
        assert sorted(peer.performed) == [d for d in DUE if d <= now], f"{peer.name}: not once each"


def assert_advanced(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    start, end = datetime.fromisoformat(body["from"]), datetime.fromisoformat(body["now"])
    moments = [datetime.fromisoformat(e["at"]) for e in body["events"]]
    assert moments == sorted(moments)  # R-CLK-02: listed in time order
    assert all(start < m <= end for m in moments)


@pytest.mark.rule("R-CLK-01", "R-CLK-02", "R-CLK-03")
class TestAdvanceRacingSweep:
    async def test_advance_and_sweeps_never_run_one_interval_twice(
        self, app: FastAPI, peers: dict[str, TimedPeer], namespace: str
    ) -> None:
        runtime = Runtime.from_app(app)
        rng = random.Random(7)
        swept = 0
        async with asgi_client(app) as client:
            for round_ in range(8):
                advance = client.post("/_sandbox/clock/advance", headers=ns(namespace), json={"hours": 2})
                racers: list[Any] = [advance, sweep(runtime), sweep(runtime)]
                if round_ % 2:
                    racers.reverse()  # a sweep starts first every other round
                answers = await asyncio.gather(*racers, return_exceptions=True)
                assert not [a for a in answers if isinstance(a, BaseException)], answers
                [answer] = [a for a in answers if isinstance(a, httpx.Response)]
                assert_advanced(answer)
                swept += sum(1 for a in answers if isinstance(a, int))
                await asyncio.sleep(rng.random() / 50)
            now = await read_now(client, namespace)
        assert now == T0 + timedelta(hours=16)
        assert swept > 0, "no sweep ever got to run: the race was not exercised"
        assert_one_runner_per_interval(peers, now)


@pytest.mark.rule("R-CLK-01", "R-CLK-02")
class TestConcurrentAdvancesOfOneNamespace:
    async def test_they_run_one_after_the_other(
        self, app: FastAPI, peers: dict[str, TimedPeer], namespace: str
    ) -> None:
        async with asgi_client(app) as client:
            answers = await asyncio.gather(
                *(
                    client.post("/_sandbox/clock/advance", headers=ns(namespace), json={"hours": 3})
                    for _ in range(4)
                ),
                sweep(Runtime.from_app(app)),
            )
        advances = [a for a in answers if isinstance(a, httpx.Response)]
        for answer in advances:
            assert_advanced(answer)
        intervals = sorted((a.json()["from"], a.json()["now"]) for a in advances)
        assert intervals[0][0] == T0.isoformat()
        assert [i[1] for i in intervals[:-1]] == [i[0] for i in intervals[1:]]  # back to back, no gap
        assert_one_runner_per_interval(peers, T0 + timedelta(hours=12))
        for peer in peers.values():
            seen = sorted(peer.intervals)
            assert all(a[1] <= b[0] for a, b in pairwise(seen)), seen

    async def test_a_later_advance_waiting_too_long_is_clock_busy(
        self, app: FastAPI, peers: dict[str, TimedPeer], namespace: str
    ) -> None:
        for peer in peers.values():
            peer.delay = 0.3
        app.state.settings = SchedulerSettings(sweep_enabled=False, clock_wait_seconds=0.1)
        async with asgi_client(app) as client:
            first, second = await asyncio.gather(
                client.post("/_sandbox/clock/advance", headers=ns(namespace), json={"hours": 1}),
                client.post("/_sandbox/clock/advance", headers=ns(namespace), json={"hours": 1}),
            )
            now = await read_now(client, namespace)
        answers = sorted([first, second], key=lambda a: a.status_code)
        assert [a.status_code for a in answers] == [200, 409], [a.text for a in answers]
        assert answers[1].json()["error"]["code"] == "clock_busy"
        assert now == T0 + timedelta(hours=1)  # the refused advance moved nothing
        assert_one_runner_per_interval(peers, now)
