"""Registration service tests: the real app in-process, the real certification app as its peer, and
recording fakes of messaging and the scheduler (httpx.MockTransport) that can be told to fail."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.testing import asgi_client, wire_app
from services.certification.app import build_app as build_certification
from services.registration.app import build_app
from tests.registration.factories import FakeMessaging, FakeScheduler, registration_settings


@pytest.fixture
def messaging() -> FakeMessaging:
    return FakeMessaging()


@pytest.fixture
def scheduler() -> FakeScheduler:
    return FakeScheduler()


@pytest.fixture
def certification_calls() -> list[str]:
    """`METHOD path` of every call registration makes to certification, in order."""
    return []


@pytest.fixture
async def client(
    db_conn: AsyncConnection,
    messaging: FakeMessaging,
    scheduler: FakeScheduler,
    certification_calls: list[str],
) -> AsyncIterator[httpx.AsyncClient]:
    certification = wire_app(build_certification(), connection=db_conn)

    async def record(request: httpx.Request) -> None:
        certification_calls.append(f"{request.method} {request.url.path}")

    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=certification),
            base_url="http://cert",
            event_hooks={"request": [record]},
        ) as cert,
        httpx.AsyncClient(transport=httpx.MockTransport(messaging.handler), base_url="http://msg") as msg,
        httpx.AsyncClient(transport=httpx.MockTransport(scheduler.handler), base_url="http://sched") as sched,
    ):
        app = wire_app(
            build_app(registration_settings()),
            connection=db_conn,
            peers={"certification": cert, "messaging": msg, "scheduler": sched},
        )
        async with asgi_client(app) as c:
            yield c
