"""Registration's peers, as typed contract clients, built in this one place from the app's shared
httpx clients (made in lifespan). None when a peer is not configured (some service tests)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from starlette.datastructures import State

from contracts.certification.client import CertificationClient
from contracts.messaging.client import MessagingClient
from contracts.scheduler.client import SchedulerClient


@dataclass(frozen=True)
class Peers:
    certification: CertificationClient | None
    messaging: MessagingClient | None
    scheduler: SchedulerClient | None = None


def peers_of(state: State) -> Peers:
    raw: dict[str, httpx.AsyncClient] = getattr(state, "peers", {}) or {}
    certification, messaging, scheduler = raw.get("certification"), raw.get("messaging"), raw.get("scheduler")
    return Peers(
        certification=CertificationClient(certification) if certification is not None else None,
        messaging=MessagingClient(messaging) if messaging is not None else None,
        scheduler=SchedulerClient(scheduler) if scheduler is not None else None,
    )
