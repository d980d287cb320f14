"""What the outbox runs beside the requests: the long-poll listener and the SMTP retry loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from services.messaging.outbox import smtp
from services.messaging.outbox.notifier import OutboxNotifier


@asynccontextmanager
async def outbox_runtime(app: FastAPI) -> AsyncIterator[None]:
    """Entered by the messaging app's lifespan after the engine exists (and by tests after wire_app)."""
    notifier = OutboxNotifier()
    await notifier.start(app.state.engine)
    app.state.outbox_notifier = notifier
    async with AsyncExitStack() as stack:
        stack.push_async_callback(notifier.stop)
        smtp_url: str | None = app.state.settings.smtp_url
        if smtp_url:
            await stack.enter_async_context(smtp.retry_loop(app.state.sessionmaker, smtp_url))
        yield
