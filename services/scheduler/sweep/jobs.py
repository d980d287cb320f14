"""The periodic sweep (R-CLK-03): every service's clock hook for every namespace, on a timer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

from servicekit.lifecycle import ClockHookRequest
from servicekit.logs import log_background_failure
from services.scheduler.clock.ownership import SweepYielded, sweep_turn
from services.scheduler.fanout import run_clock_hooks
from services.scheduler.runtime import Runtime

log = logging.getLogger("scheduler.sweep")
SWEEP_JOB_ID = "clock-sweep"


async def sweep(runtime: Runtime) -> int | None:
    """One sweep: namespace None lets each service bring every namespace up to its own clock.

    It owns the clock one turn at a time (`ownership.sweep_turn`: a peer's hook, a batch) and lets
    any advance run in between (R-DER-06); returns the number of events, or None when it gave way
    to advances for longer than its patience — what it finished is committed, the next sweep resumes.
    """

    def turn() -> AbstractAsyncContextManager[None]:
        return sweep_turn(runtime.sessionmaker, patience=runtime.sweep_patience)

    try:
        outcome = await run_clock_hooks(runtime, ClockHookRequest(namespace=None), turn)
    except SweepYielded as exc:
        log.info("sweep gave way (%s); the next sweep resumes", exc)
        return None
    log.info(
        "sweep: %d events; services reached: %s; failed: %s",
        len(outcome.events),
        ",".join(outcome.reached) or "-",
        ",".join(outcome.failures) or "-",
    )
    return len(outcome.events)


async def sweep_job(app: FastAPI) -> None:
    """The scheduled entry point: a failing sweep is logged and retried next tick, never fatal."""
    try:
        await sweep(Runtime.from_app(app))
    except Exception:
        log_background_failure(log, "sweep failed")


@asynccontextmanager
async def sweep_lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    if not settings.sweep_enabled:
        yield
        return
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        sweep_job,
        "interval",
        args=[app],
        seconds=settings.sweep_interval_seconds,
        id=SWEEP_JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.start()
    app.state.scheduler = scheduler
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
