"""Work that must follow a mutating request's commit and precede its answer (the relays' trigger)."""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.logs import log_background_failure

log = logging.getLogger("servicekit.after_commit")


class AfterCommit:
    """Run `after_commit(scope)` once a mutating request has committed, before its answer goes out.

    The unit of work commits when the endpoint returns, before the response starts, so whatever the
    request wrote is visible by then. Holding the response until the work is done means a client (or
    a peer) that reads the result right after its request finds it. A failure is logged, never raised:
    the request already succeeded, and the work is retried after the next mutating request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def after_commit(self, scope: Scope) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        done = False

        async def send_after_work(message: Message) -> None:
            nonlocal done
            if message["type"] == "http.response.start" and not done:
                done = True
                await self._run(scope)
            await send(message)

        await self.app(scope, receive, send_after_work)
        if not done:
            await self._run(scope)

    async def _run(self, scope: Scope) -> None:
        try:
            await self.after_commit(scope)
        except Exception:  # the work must never break the request that already succeeded
            log_background_failure(log, f"{type(self).__name__} failed")
