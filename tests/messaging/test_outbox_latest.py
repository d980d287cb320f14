"""R-OUT-01: `GET /_sandbox/outbox/latest` long-polls for the newest matching entry."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.messaging.client import OUTBOX_PATH
from servicekit.testing import asgi_client, wire_app
from services.messaging.app import build_app
from services.messaging.config import MessagingSettings
from services.messaging.outbox.notifier import OutboxNotifier
from services.messaging.outbox.runtime import outbox_runtime

LATEST = "/_sandbox/outbox/latest"


def sms(to: str, code: str) -> dict[str, Any]:
    return {
        "key": f"sms-{secrets.token_hex(6)}",
        "channel": "sms",
        "to": to,
        "kind": "sms_code",
        "body": f"验证码 {code}",
        "data": {"code": code},
    }


def phone() -> str:
    return "139" + "".join(secrets.choice("0123456789") for _ in range(8))


@pytest.fixture
async def listening(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with real commits and its outbox runtime (LISTEN connection) running."""
    app = wire_app(build_app(), engine=engine)
    async with outbox_runtime(app), asgi_client(app) as http:
        assert app.state.outbox_notifier.listening
        yield http


@pytest.fixture
async def polling(engine: AsyncEngine) -> AsyncIterator[httpx.AsyncClient]:
    """The app with real commits and no listener: long-polls fall back to short polls."""
    async with asgi_client(wire_app(build_app(), engine=engine)) as http:
        yield http


@pytest.fixture
def waiting(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """Set when a long-poll has found nothing and starts to wait: the moment to record the entry."""
    started = asyncio.Event()
    original = OutboxNotifier.wait

    async def wait(self: OutboxNotifier, event: asyncio.Event, seconds: float) -> None:
        started.set()
        await original(self, event, seconds)

    monkeypatch.setattr(OutboxNotifier, "wait", wait)
    return started


async def send_once_waiting(http: httpx.AsyncClient, payload: dict[str, Any], waiting: asyncio.Event) -> None:
    await asyncio.wait_for(waiting.wait(), timeout=10)
    response = await http.post(OUTBOX_PATH, json=payload)
    assert response.status_code == 201


@pytest.mark.rule("R-OUT-01")
class TestLatestOutbox:
    async def test_newest_existing_entry_is_returned_at_once(self, listening: httpx.AsyncClient) -> None:
        to = phone()
        for code in ("111111", "222222"):
            await listening.post(OUTBOX_PATH, json=sms(to, code))

        response = await listening.get(LATEST, params={"to": to, "kind": "sms_code", "wait": 0})

        assert response.status_code == 200
        assert response.json()["data"]["code"] == "222222"

    async def test_entry_recorded_during_the_wait_wakes_the_listener(
        self, listening: httpx.AsyncClient, waiting: asyncio.Event
    ) -> None:
        to = phone()
        loop = asyncio.get_running_loop()
        started = loop.time()

        response, _ = await asyncio.gather(
            listening.get(LATEST, params={"to": to, "wait": 10}),
            send_once_waiting(listening, sms(to, "654321"), waiting),
        )

        assert response.status_code == 200
        assert response.json()["data"]["code"] == "654321"
        # Woken by NOTIFY, not by the 2 s safety re-check.
        assert loop.time() - started < 1.5

    async def test_entry_recorded_during_the_wait_is_found_without_listener(
        self, polling: httpx.AsyncClient, waiting: asyncio.Event
    ) -> None:
        to = phone()

        response, _ = await asyncio.gather(
            polling.get(LATEST, params={"to": to, "wait": 5}),
            send_once_waiting(polling, sms(to, "777777"), waiting),
        )

        assert response.status_code == 200
        assert response.json()["data"]["code"] == "777777"

    async def test_no_match_within_the_wait_is_404_after_waiting(self, listening: httpx.AsyncClient) -> None:
        to = phone()
        await listening.post(OUTBOX_PATH, json=sms(phone(), "000000"))  # another recipient: no match
        loop = asyncio.get_running_loop()
        started = loop.time()

        response = await listening.get(LATEST, params={"to": to, "wait": 0.6})

        assert loop.time() - started >= 0.6
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    async def test_negative_wait_is_refused(self, polling: httpx.AsyncClient) -> None:
        response = await polling.get(LATEST, params={"to": phone(), "wait": -1})

        assert response.status_code == 422


class TestOutboxRuntime:
    async def test_app_lifespan_starts_and_stops_the_listener(self, database_url: str) -> None:
        app = build_app(MessagingSettings(database_url=database_url))

        async with app.router.lifespan_context(app):
            notifier = app.state.outbox_notifier
            assert notifier.listening

        assert not notifier.listening
