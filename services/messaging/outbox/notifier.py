"""Wake-ups for the long-poll: a dedicated asyncpg connection LISTENing to the outbox channel.

PostgreSQL delivers the NOTIFY of a new row when its transaction commits, so a woken waiter always
finds the row. Without a listener (not started, or its connection lost) waiters fall back to a
short poll, so a missed notification only delays an answer, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from services.messaging.outbox.repository import NOTIFY_CHANNEL

log = logging.getLogger("messaging.outbox")

LISTENING_RECHECK_SECONDS = 2.0
POLL_SECONDS = 0.25


def libpq_url(engine: AsyncEngine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


class OutboxNotifier:
    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._conn: asyncpg.Connection | None = None

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def start(self, engine: AsyncEngine) -> None:
        try:
            self._conn = await asyncpg.connect(libpq_url(engine))
            await self._conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as exc:  # long-polls still work, by polling
            log.warning("outbox listener unavailable, long-polls will poll: %s", exc)
            self._conn = None

    async def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._conn.close(timeout=2)
            self._conn = None

    def _on_notify(self, *_: Any) -> None:
        fired, self._event = self._event, asyncio.Event()
        fired.set()

    def snapshot(self) -> asyncio.Event:
        """Take this before querying: a row committed after the query sets the returned event."""
        return self._event

    async def wait(self, event: asyncio.Event, seconds: float) -> None:
        """Until `event` fires or `seconds` pass (shorter when not listening: the poll fallback)."""
        cap = LISTENING_RECHECK_SECONDS if self.listening else POLL_SECONDS
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(0.0, min(seconds, cap)))
