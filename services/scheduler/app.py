"""Scheduler (注销 + the clock API) service: `uvicorn services.scheduler.app:app`."""

from __future__ import annotations

from fastapi import FastAPI

from servicekit.app import ServiceSpec, create_app
from services.scheduler import deregistration
from services.scheduler.config import SchedulerSettings
from services.scheduler.endpoints import sandbox
from services.scheduler.jobs import sweep_lifespan
from services.scheduler.models import Base
from services.scheduler.runtime import PEER_SERVICES


def build_app(settings: SchedulerSettings | None = None) -> FastAPI:
    return create_app(
        ServiceSpec(
            name="scheduler",
            settings=settings or SchedulerSettings(),
            routers=[sandbox],
            metadata=[Base.metadata],
            migrations_section="scheduler",
            clock_hook=deregistration.clock_hook,
            extra_lifespan=sweep_lifespan,
            peers=PEER_SERVICES,
            description="注销: the sandbox clock, settings, reset and deregistration sweeps.",
        )
    )


app = build_app()
