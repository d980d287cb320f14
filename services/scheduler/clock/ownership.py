"""One owner per interval: who may run the clock hooks of a namespace (R-CLK-01; §6.2 notices).

An advance owns its namespace from reading the clock until its last hook has answered; the periodic
sweep (namespace None: every namespace up to its own clock) owns all namespaces for one sweep. Both
are PostgreSQL advisory locks, held by an owner transaction on a connection of its own, so every
scheduler replica sees them and a crashed process leaves none behind:

- an advance takes the sweep key shared, then its namespace's key exclusive: advances of different
  namespaces run side by side, two advances of one namespace run one after the other;
- the sweep takes the sweep key exclusive, and only if it is free at once: it never queues behind
  an advance, so an advance waits for at most one sweep. A skipped sweep loses nothing — each
  advance runs the hooks of its own interval and the next sweep catches up with real time.

An advance that cannot own its namespace within `wait` seconds is refused with 409 `clock_busy`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.errors import Conflict
from services.scheduler.clock import repository

SWEEP_KEY = "mpsandbox.clock.sweep"
_LOCK_NOT_AVAILABLE = "55P03"


def namespace_key(namespace: str) -> str:
    return f"mpsandbox.clock.namespace:{namespace}"


class ClockBusy(Conflict):
    def __init__(self, namespace: str, wait: float) -> None:
        super().__init__(
            f"命名空间 {namespace} 的时钟正在被另一次推进或扫描使用（已等待 {wait:g} 秒），请稍后重试",
            code="clock_busy",
            namespace=namespace,
        )


def _lock_timed_out(exc: DBAPIError) -> bool:
    err: BaseException | None = exc.orig
    while err is not None:
        if getattr(err, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            return True
        err = err.__cause__
    return False


@asynccontextmanager
async def own_namespace(
    maker: async_sessionmaker[AsyncSession], namespace: str, *, wait: float
) -> AsyncIterator[None]:
    """Own `namespace`'s clock for the block, waiting up to `wait` seconds; ClockBusy otherwise."""
    async with maker() as owner, owner.begin():
        timeout_ms = max(1, round(wait * 1000))
        await repository.set_lock_timeout(owner, f"{timeout_ms}ms")
        try:
            await repository.advisory_xact_lock(owner, SWEEP_KEY, shared=True)
            await repository.advisory_xact_lock(owner, namespace_key(namespace))
        except DBAPIError as exc:
            if _lock_timed_out(exc):
                raise ClockBusy(namespace, wait) from None
            raise
        await repository.set_lock_timeout(owner, "0")
        yield


@asynccontextmanager
async def own_all_namespaces(maker: async_sessionmaker[AsyncSession]) -> AsyncIterator[bool]:
    """Own every namespace for the block if no advance is running; yields whether it did."""
    async with maker() as owner, owner.begin():
        yield await repository.try_advisory_xact_lock(owner, SWEEP_KEY)
