"""One owner per interval: who may run the clock hooks of a namespace (R-CLK-01; §6.2 notices).

An advance owns its namespace from reading the clock until its last hook has answered; the periodic
sweep (namespace None: every namespace up to its own clock) owns all namespaces one *turn* at a time
— one peer's hook, one batch of its own transitions, one batch of deliveries — and lets go between
turns (R-DER-06). Both are PostgreSQL advisory locks, held by an owner transaction on a connection of
its own, so every scheduler replica sees them and a crashed process leaves none behind:

- an advance takes the sweep key shared, then its namespace's key exclusive: advances of different
  namespaces run side by side, two advances of one namespace run one after the other;
- a sweep turn takes the sweep key exclusive, and only if it is free at once: it never queues behind
  an advance, so an advance never waits behind a sweep that itself waits. A turn's work commits before
  its owner transaction ends, so the next owner sees it.

How an advance gets its turn: an advance arriving during a sweep turn waits (up to `wait`) for the
shared sweep key. When the turn's owner transaction ends, PostgreSQL grants the key to the waiting
advance in the same step that releases it, before the sweep can ask again; the sweep's next
`try` then fails, and the sweep polls (`sweep_turn`) without queueing until no advance holds the key,
or gives up after `patience` seconds (`SweepYielded`). So an advance waits for at most one turn. A
sweep that gave up loses nothing: every turn it finished is committed, each advance runs the hooks of
its own interval, and the next sweep resumes where it stopped.

An advance that cannot own its namespace within `wait` seconds is refused with 409 `clock_busy`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from servicekit.errors import Conflict
from services.scheduler.clock import repository

SWEEP_KEY = "mpsandbox.clock.sweep"
_LOCK_NOT_AVAILABLE = "55P03"
# How often a sweep waiting for its next turn asks again (it never queues: see the module docstring).
SWEEP_POLL_SECONDS = 0.05


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


class SweepYielded(Exception):
    """A sweep gave way: advances held the clock for longer than its patience; the next sweep resumes."""


@asynccontextmanager
async def sweep_turn(maker: async_sessionmaker[AsyncSession], *, patience: float) -> AsyncIterator[None]:
    """Own every namespace for one turn of a sweep, once no advance runs; SweepYielded after
    `patience` seconds of advances. The block's work must commit inside it (see the module docstring)."""
    deadline = time.monotonic() + patience
    while True:
        async with maker() as owner, owner.begin():
            if await repository.try_advisory_xact_lock(owner, SWEEP_KEY):
                yield
                return
        if time.monotonic() >= deadline:
            raise SweepYielded(f"advances held the clock for {patience:g} s")
        await asyncio.sleep(SWEEP_POLL_SECONDS)
