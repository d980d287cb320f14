"""Certification's typed peer clients, built from the shared httpx clients of the app's lifespan."""

from __future__ import annotations

import httpx
from starlette.datastructures import State

from contracts.messaging.client import MessagingClient


def messaging_of(state: State) -> MessagingClient | None:
    raw: dict[str, httpx.AsyncClient] = getattr(state, "peers", {}) or {}
    client = raw.get("messaging")
    return MessagingClient(client) if client is not None else None
