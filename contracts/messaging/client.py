"""Typed client for messaging's internal endpoints."""

from __future__ import annotations

import asyncio

import httpx

from contracts.messaging.schemas import AccountStats, OutboxEntry, OutboxRequest
from servicekit.errors import DependencyDown
from servicekit.http import call_peer, peer_path

OUTBOX_PATH = "/internal/outbox"
ACCOUNT_STATS_PATH = "/internal/accounts/{account_id}/stats"


class MessagingClient:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: OutboxRequest, *, attempts: int = 3) -> OutboxEntry:
        """Record a message; retried on transport failure — the key makes retries safe."""
        for attempt in range(attempts):
            try:
                response = await call_peer(
                    self._client,
                    "POST",
                    OUTBOX_PATH,
                    service="messaging",
                    json=message.model_dump(mode="json"),
                )
                return OutboxEntry.model_validate(response.json())
            except DependencyDown:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    async def account_stats(
        self, account_id: str, *, namespace: str = "default", account_type: str | None = None
    ) -> AccountStats:
        """Followers and the current mass-send quota. Without `account_type` the quota is reported
        only once the account has sent (messaging then knows its type)."""
        params = {"namespace": namespace}
        if account_type:
            params["type"] = account_type
        response = await call_peer(
            self._client,
            "GET",
            peer_path(ACCOUNT_STATS_PATH, account_id=account_id),
            service="messaging",
            params=params,
        )
        return AccountStats.model_validate(response.json())
