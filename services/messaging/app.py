"""Messaging (发布) service: `uvicorn services.messaging.app:app`.

Split along its seams: outbox/ (every message leaving the platform, notification centre),
followers/ (simulated users), tags/, materials/ (materials and media), mass/ (mass send jobs),
menus/ (the custom menu).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from servicekit.app import ServiceSpec, create_app
from services.messaging import cgi_fallback
from services.messaging.config import MessagingSettings
from services.messaging.followers import endpoints as followers
from services.messaging.mass import endpoints as mass
from services.messaging.mass.jobs import job_runner
from services.messaging.materials import endpoints as materials
from services.messaging.menus import endpoints as menus
from services.messaging.models import metadata
from services.messaging.outbox import endpoints as outbox
from services.messaging.outbox.runtime import outbox_runtime
from services.messaging.tags import endpoints as tags


@asynccontextmanager
async def background_tasks(app: FastAPI) -> AsyncIterator[None]:
    """Every part's background work, started once the engine exists."""
    async with outbox_runtime(app), job_runner(app):
        yield


def build_app(settings: MessagingSettings | None = None) -> FastAPI:
    app = create_app(
        ServiceSpec(
            name="messaging",
            settings=settings or MessagingSettings(),
            # Routes are matched in order, router by router (each passed costs ~1 % of a call): the
            # /cgi-bin reads clients poll most come first. No path is served by two routers, so the
            # order decides nothing else.
            routers=[
                menus.router,
                *followers.routers,
                tags.router,
                *outbox.routers,
                *materials.routers,
                *mass.routers,
            ],
            metadata=[metadata],
            migrations_section="messaging",
            extra_lifespan=background_tasks,
            peers=("registration",),
            description="发布: followers, materials, mass send, push; the outbox and notification centre.",
        )
    )
    cgi_fallback.install(app)
    return app


app = build_app()
