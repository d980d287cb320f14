"""Scheduler (注销 + the clock API) service: `uvicorn services.scheduler.app:app`.

Split along its seams: clock/ (the clock API and who owns an interval), settings/ (sandbox settings),
reset/ (emptying the sandbox), sweep/ (the periodic sweep), deregistration/ (the scheduler's own
transitions, run by its clock hook); fanout.py calls every peer's hooks and resets.
"""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.app import ServiceSpec, create_app
from services.scheduler.clock import endpoints as clock
from services.scheduler.config import SchedulerSettings
from services.scheduler.deregistration import endpoints as deregistration
from services.scheduler.deregistration.service import clock_hook
from services.scheduler.models import metadata
from services.scheduler.reset import endpoints as reset
from services.scheduler.runtime import PEER_SERVICES
from services.scheduler.settings import endpoints as settings_
from services.scheduler.sweep.jobs import sweep_lifespan


def build_app(settings: SchedulerSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="scheduler",
            settings=settings or SchedulerSettings(),
            routers=[clock.router, settings_.router, reset.router, deregistration.internal],
            metadata=[metadata],
            migrations_section="scheduler",
            clock_hook=clock_hook,
            extra_lifespan=sweep_lifespan,
            peers=PEER_SERVICES,
            description="注销: the sandbox clock, settings, reset and deregistration sweeps.",
        )
    )


app = build_app()
