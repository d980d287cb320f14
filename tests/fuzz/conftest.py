"""Each service in-process on the test's rolled-back connection, with a caller it recognises.

The fuzz cases carry the credentials a gateway would have resolved (a console session, the
X-Sandbox-Account header) so generated requests get past authentication and reach the handlers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from servicekit.testing import asgi_client, wire_app
from tests.certification.factories import files, form
from tests.messaging.factories import account_headers, account_view, registration_peer, seed_followers
from tests.registration.factories import FakeMessaging, fixture_account, login, registration_settings
from tests.scheduler.conftest import FakePeer


@dataclass
class Target:
    """A service under fuzz: its client, headers every case carries, and real path parameter values."""

    client: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)
    path_parameters: dict[str, str] = field(default_factory=dict)


async def registration_target(conn: AsyncConnection, stack: AsyncExitStack) -> Target:
    from services.certification.app import build_app as build_certification
    from services.registration.app import build_app

    certification = wire_app(build_certification(), connection=conn)
    cert = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=certification), base_url="http://cert")
    )
    msg = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.MockTransport(FakeMessaging().handler), base_url="http://msg")
    )
    app = wire_app(
        build_app(registration_settings()), connection=conn, peers={"certification": cert, "messaging": msg}
    )
    client = await stack.enter_async_context(asgi_client(app))
    account = await fixture_account(client, type="service", certified=True)
    headers = await login(client, account["email"], account["password"])
    return Target(client, headers, {"appid": account["appid"]})


async def certification_target(conn: AsyncConnection, stack: AsyncExitStack) -> Target:
    """An approved account with no application (so an application reaches the field rules), and the
    real ids of another account's pending application (its review, its files)."""
    from services.certification.app import build_app

    client = await stack.enter_async_context(asgi_client(wire_app(build_app(), connection=conn)))
    other = account_view(account_type="service", certified=False)
    applied = await client.post(
        "/api/v1/certifications",
        data=form(certified_name="福田发布测试"),
        files=files(),
        headers=account_headers(other),
    )
    assert applied.status_code == 201, applied.text
    created = applied.json()
    account = account_view(account_type="service", certified=False, namespace=other.namespace)
    known = {
        "certification_id": created["certification_id"],
        "review_id": created["review"]["review_id"],
        "field": "information_form",
        "account_id": other.account_id,
    }
    return Target(client, account_headers(account), known)


async def messaging_target(conn: AsyncConnection, stack: AsyncExitStack) -> Target:
    from services.messaging.app import build_app

    account = account_view(account_type="service", certified=True)
    openids = await seed_followers(conn, account, 3)
    registration = await stack.enter_async_context(registration_peer(account))
    app = wire_app(build_app(), connection=conn, peers={"registration": registration})
    client = await stack.enter_async_context(asgi_client(app))
    return Target(client, account_headers(account), {"appid": account.appid, "openid": openids[0]})


async def scheduler_target(conn: AsyncConnection, stack: AsyncExitStack) -> Target:
    from services.scheduler.app import build_app
    from services.scheduler.config import SchedulerSettings
    from services.scheduler.runtime import PEER_SERVICES

    peers = {name: await stack.enter_async_context(FakePeer(name).client()) for name in PEER_SERVICES}
    app = wire_app(build_app(SchedulerSettings(sweep_enabled=False)), connection=conn, peers=peers)
    return Target(await stack.enter_async_context(asgi_client(app)))


TARGETS: dict[str, Callable[[AsyncConnection, AsyncExitStack], Awaitable[Target]]] = {
    "registration": registration_target,
    "certification": certification_target,
    "messaging": messaging_target,
    "scheduler": scheduler_target,
}


@pytest.fixture
async def target(request: pytest.FixtureRequest, db_conn: AsyncConnection) -> AsyncIterator[Target]:
    """The service named by the test's `service` parameter, wired to the rolled-back connection."""
    service: str = request.node.callspec.params["service"]
    async with AsyncExitStack() as stack:
        yield await TARGETS[service](db_conn, stack)
