"""The periodic sweep (R-CLK-03): every service's clock hook for every namespace, on a timer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI

from servicekit.lifecycle import ClockHookRequest
from servicekit.logs import log_background_failure
from services.scheduler.clock.ownership import own_all_namespaces
from services.scheduler.fanout import run_clock_hooks
from services.scheduler.runtime import Runtime

log = logging.getLogger("scheduler.sweep")
SWEEP_JOB_ID = "clock-sweep"


async def sweep(runtime: Runtime) -> int | None:
    """One sweep: namespace None lets each service bring every namespace up to its own clock.

    Runs only while no advance owns a namespace (`ownership`); returns None when it skipped.
    """
    async with own_all_namespaces(runtime.sessionmaker) as owned:
        if not owned:
            log.info("sweep skipped: an advance is running its hooks; the next sweep catches up")
            return None
        outcome = await run_clock_hooks(runtime, ClockHookRequest(namespace=None))
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
