"""Registration (开通) service: `uvicorn services.registration.app:app`.

Accounts from sign-up to approval, operator sessions, review, AppID/AppSecret and access tokens.
Messages leave through `outbox.py` (pending rows delivered to messaging after commit).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.app import ServiceSpec, create_app
from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.registration import service_review
from services.registration.config import RegistrationSettings
from services.registration.endpoints_account import account
from services.registration.endpoints_cgi import cgi
from services.registration.endpoints_internal import internal
from services.registration.endpoints_sandbox import sandbox
from services.registration.endpoints_wizard import wizard
from services.registration.models import Base
from services.registration.outbox import DeliverAfterResponse


def build_app(settings: RegistrationSettings | None = None) -> FastAPI:
    settings = settings or RegistrationSettings()

    async def clock_hook(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
        """Due transitions up to `to`; undelivered messages go out after commit (DeliverAfterResponse)."""
        events = await service_review.expire_activation_links(session, request)
        events += await service_review.approve_due_reviews(
            session, request, default_policy=settings.review_policy
        )
        return events

    app = create_app(
        ServiceSpec(
            name="registration",
            settings=settings,
            routers=[wizard, account, sandbox, cgi, internal],
            metadata=[Base.metadata],
            migrations_section="registration",
            clock_hook=clock_hook,
            peers=("messaging", "certification"),
            description="开通: registration wizard, review, AppID/AppSecret, access tokens.",
        )
    )
    app.add_middleware(DeliverAfterResponse, owner=app)
    return app


app = build_app()
