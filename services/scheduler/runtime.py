"""What the clock API and the sweep job share: sessions, peer clients, the hook timeout."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# The services whose clock hooks and resets the scheduler drives, in dependency order: reviews and
# activation links (registration) decide what certification and messaging see.
PEER_SERVICES = ("registration", "certification", "messaging")
SELF = "scheduler"
DEFAULT_HOOK_TIMEOUT = 60.0
DEFAULT_CLOCK_WAIT = 30.0
DEFAULT_SWEEP_PATIENCE = 10.0

# One turn of clock-hook work (a peer's hook, a batch of the scheduler's own, a batch of deliveries):
# entered around each, so a sweep can own the clock turn by turn (`clock.ownership.sweep_turn`).
Turn = Callable[[], AbstractAsyncContextManager[None]]


@asynccontextmanager
async def already_owned() -> AsyncIterator[None]:
    """The turn of an advance: it owns its namespace for the whole interval already."""
    yield


@dataclass(frozen=True)
class Runtime:
    sessionmaker: async_sessionmaker[AsyncSession]
    peers: Mapping[str, httpx.AsyncClient]
    hook_timeout: float = DEFAULT_HOOK_TIMEOUT
    clock_wait: float = DEFAULT_CLOCK_WAIT
    sweep_patience: float = DEFAULT_SWEEP_PATIENCE
    batch: int | None = None  # accounts per batch of the own hook; None: the module default

    @classmethod
    def from_app(cls, app: FastAPI) -> Runtime:
        settings = getattr(app.state, "settings", None)
        return cls(
            sessionmaker=app.state.sessionmaker,
            peers=app.state.peers,
            hook_timeout=getattr(settings, "hook_timeout_seconds", DEFAULT_HOOK_TIMEOUT),
            clock_wait=getattr(settings, "clock_wait_seconds", DEFAULT_CLOCK_WAIT),
            sweep_patience=getattr(settings, "sweep_patience_seconds", DEFAULT_SWEEP_PATIENCE),
            batch=getattr(settings, "deregistration_batch", None),
        )


@asynccontextmanager
async def unit_of_work(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A transaction committed when the block ends.

    The clock API commits in steps (the moved clock must be visible to the peers before their hooks
    read it), so it cannot use the request-wide session committed after the endpoint returns.
    """
    async with maker() as session, session.begin():
        yield session
