"""The scheduler in-process against real PostgreSQL, peers as recording MockTransports."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from servicekit import clock
from servicekit.lifecycle import CLOCK_HOOK_PATH, RESET_PATH
from servicekit.testing import asgi_client, wire_app
from services.scheduler.app import build_app
from services.scheduler.config import SchedulerSettings
from services.scheduler.runtime import PEER_SERVICES


@dataclass
class FakePeer:
    """A peer service: records every call, answers hooks with `events`, or is down."""

    name: str
    events: list[dict[str, Any]] = field(default_factory=list)
    down: bool = False
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        body = json.loads(request.content) if request.content else None
        self.calls.append((request.url.path, body))
        if request.url.path == CLOCK_HOOK_PATH:
            return httpx.Response(200, json={"events": self.events})
        if request.url.path == RESET_PATH:
            return httpx.Response(200, json={"service": self.name, "tables": 2})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle), base_url=f"http://{self.name}")

    def hook_calls(self) -> list[Any]:
        return [body for path, body in self.calls if path == CLOCK_HOOK_PATH]

    def reset_calls(self) -> int:
        return sum(1 for path, _ in self.calls if path == RESET_PATH)


@pytest.fixture
def peers() -> dict[str, FakePeer]:
    return {name: FakePeer(name) for name in PEER_SERVICES}


def scheduler_app(
    peers: dict[str, FakePeer], *, connection: AsyncConnection, **settings: Any
) -> tuple[FastAPI, list[httpx.AsyncClient]]:
    clients = {name: peer.client() for name, peer in peers.items()}
    app = build_app(SchedulerSettings(sweep_enabled=False, **settings))
    return wire_app(app, connection=connection, peers=clients), list(clients.values())


@pytest.fixture
async def app(db_conn: AsyncConnection, peers: dict[str, FakePeer]) -> AsyncIterator[FastAPI]:
    built, clients = scheduler_app(peers, connection=db_conn)
    try:
        yield built
    finally:
        for c in clients:
            await c.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


async def set_clock(
    db_conn: AsyncConnection, namespace: str, moment: datetime, *, frozen: bool = True
) -> None:
    """Arrange: put a namespace's clock at a fixed moment (the API only moves forward)."""
    maker = async_sessionmaker(bind=db_conn, join_transaction_mode="create_savepoint")
    session: AsyncSession
    async with maker() as session, session.begin():
        if frozen:
            await clock.freeze(session, namespace)
        await clock.set_time(session, namespace, moment)


def ns(name: str) -> dict[str, str]:
    return {"X-Sandbox-Namespace": name}
