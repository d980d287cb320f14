"""When registration's messages reach messaging's outbox, relative to the answer (SPEC R-OUT-01).

A client reads the outbox right after its own request (`/_sandbox/outbox/latest` returns at once when
an entry matches), so the message a request causes must be in the outbox before the answer arrives:
otherwise a resent link or a second SMS code reads as the previous one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.types import Message, Receive, Scope, Send

from servicekit.testing import asgi_client, wire_app
from services.registration.app import build_app
from tests.registration.factories import (
    FakeMessaging,
    activated_operator,
    register,
    registration_settings,
    unique_email,
)


class SentAtResponseStart:
    """Wraps an app; records `probe()` at the moment each response starts."""

    def __init__(self, app: FastAPI, probe: Callable[[], int]) -> None:
        self.app = app
        self.probe = probe
        self.seen: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.seen.append(self.probe())
            await send(message)

        await self.app(scope, receive, recording_send)


@pytest.fixture
async def observed(
    db_conn: AsyncConnection, messaging: FakeMessaging
) -> AsyncIterator[tuple[httpx.AsyncClient, SentAtResponseStart]]:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(messaging.handler), base_url="http://msg"
    ) as msg:
        app = wire_app(build_app(registration_settings()), connection=db_conn, peers={"messaging": msg})
        wrapper = SentAtResponseStart(app, lambda: len(messaging.sent))
        async with asgi_client(wrapper) as client:  # type: ignore[arg-type]
            yield client, wrapper


@pytest.mark.rule("R-OUT-01")
class TestDeliveryBeforeAnswer:
    async def test_activation_email_is_in_the_outbox_before_the_sign_up_answer(
        self, observed: tuple[httpx.AsyncClient, SentAtResponseStart], messaging: FakeMessaging
    ) -> None:
        client, wrapper = observed
        email = unique_email()

        response = await register(client, email)

        assert response.status_code == 201, response.text
        assert len(messaging.of("activation", email)) == 1
        assert wrapper.seen[-1] == len(messaging.sent)  # delivered before the answer started

    async def test_resent_link_is_in_the_outbox_before_the_answer(
        self, observed: tuple[httpx.AsyncClient, SentAtResponseStart], messaging: FakeMessaging
    ) -> None:
        client, wrapper = observed
        email = unique_email()
        assert (await register(client, email)).status_code == 201

        resent = await client.post("/api/v1/registrations/activation-email", json={"email": email})

        assert resent.status_code == 200, resent.text
        assert len(messaging.of("activation", email)) == 2
        assert wrapper.seen[-1] == len(messaging.sent)

    async def test_sms_code_is_in_the_outbox_before_the_answer(
        self, observed: tuple[httpx.AsyncClient, SentAtResponseStart], messaging: FakeMessaging
    ) -> None:
        client, wrapper = observed
        op = await activated_operator(client, messaging)

        sent = await client.post("/api/v1/sms-codes", json={"phone": "13800138000"}, headers=op.headers)

        assert sent.status_code == 201, sent.text
        assert len(messaging.of("sms_code", "13800138000")) == 1
        assert wrapper.seen[-1] == len(messaging.sent)
