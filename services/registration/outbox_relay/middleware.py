"""Relay pending messages to messaging once a mutating request has committed."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logs import log_background_failure
from services.registration.outbox_relay.service import deliver_pending
from services.registration.peers import peers_of

log = logging.getLogger("registration.outbox")


class DeliverAfterResponse:
    """Deliver pending messages once a mutating request has committed, before its answer goes out.

    The unit of work commits when the endpoint returns, before the response starts, so the messages
    it wrote are deliverable by then. Holding the response until they are delivered means a client
    that reads the outbox right after its request (a resent link, a second SMS code) finds the new
    message, never the previous one.
    """

    def __init__(self, app: ASGIApp, *, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        delivered = False

        async def send_after_delivery(message: Message) -> None:
            nonlocal delivered
            if message["type"] == "http.response.start" and not delivered:
                delivered = True
                await self._deliver()
            await send(message)

        await self.app(scope, receive, send_after_delivery)
        if not delivered:
            await self._deliver()

    async def _deliver(self) -> None:
        maker = getattr(self.owner.state, "sessionmaker", None)
        if maker is None:
            return
        try:
            await deliver_pending(maker, peers_of(self.owner.state).messaging)
        except Exception:  # delivery must never break the request that already succeeded
            log_background_failure(log, "outbox delivery failed")
