"""The scheduler's typed peer clients, built in this one place from the shared httpx clients of the
app's lifespan (`Runtime.peers`). None when a peer is not configured (some service tests)."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from contracts.messaging.client import MessagingClient
from contracts.registration.client import RegistrationClient


def registration_of(peers: Mapping[str, httpx.AsyncClient]) -> RegistrationClient | None:
    client = peers.get("registration")
    return RegistrationClient(client) if client is not None else None


def messaging_of(peers: Mapping[str, httpx.AsyncClient]) -> MessagingClient | None:
    client = peers.get("messaging")
    return MessagingClient(client) if client is not None else None
