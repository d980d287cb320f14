"""Certification (认证) service: `uvicorn services.certification.app:app`.

Split along its seams: applications/ (applying, the review of applications, the `at_deadline`
decisions), certifications/ (granted certifications: what others read, grant, lapse, end, the form's
rules), notices/ (messages to the operator, relayed to messaging's outbox after commit).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging.relay import DeliverAfterResponse
from servicekit.app import ServiceSpec, create_app
from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.certification.applications import endpoints as applications
from services.certification.applications.jobs import approve_due
from services.certification.certifications import endpoints as certifications
from services.certification.certifications.jobs import expiring_notices, lapse_expired
from services.certification.config import CertificationSettings
from services.certification.models import metadata
from services.certification.notices.models import PendingMessage
from services.certification.peers import messaging_of

# An advance over years can chain transitions (approved at a deadline, noticed, lapsed, a renewal
# approved after the lapse); each pass performs what is due, until a pass finds nothing.
MAX_PASSES = 50


def build_app(settings: CertificationSettings | None = None) -> FastAPI:
    settings = settings or CertificationSettings()

    async def clock_hook(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
        """R-CLK-02: due decisions, expiring notices and lapses up to `to`, each at its own moment."""
        events: list[ClockEvent] = []
        for _ in range(MAX_PASSES):
            step = await approve_due(session, request, default_policy=settings.review_policy)
            step += await expiring_notices(session, request)
            step += await lapse_expired(session, request)
            if not step:
                break
            events += step
        return events

    app = create_app(
        ServiceSpec(
            name="certification",
            settings=settings,
            routers=[
                certifications.router,  # /requirements before /{certification_id}
                applications.console,
                applications.sandbox,
                applications.internal,
            ],
            metadata=[metadata],
            migrations_section="certification",
            clock_hook=clock_hook,
            peers=("messaging",),
            description="认证: certification applications, review, certified names and yearly renewal.",
        )
    )
    app.add_middleware(
        DeliverAfterResponse,
        owner=app,
        model=PendingMessage,
        messaging=messaging_of,
    )
    return app


app = build_app()
