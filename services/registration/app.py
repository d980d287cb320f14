"""Registration (开通) service: `uvicorn services.registration.app:app`.

Accounts from sign-up to approval, operator sessions, review, AppID/AppSecret and access tokens, in
domain packages: accounts/ (the account and its lookups), signup/ (wizard steps 1–5, captchas, SMS
codes), review/, tokens/ (access tokens, operator sessions, introspection), settings/, fixtures/
(control-plane accounts), outbox_relay/ (messages relayed to messaging after commit) and lifecycle/
(deregistration: the facts relayed to the scheduler after commit, the terminations it asks for).
"""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging.relay import DeliverAfterResponse
from contracts.scheduler.relay import DeliverFactsAfterResponse
from servicekit.app import ServiceSpec, create_app
from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.registration.accounts import endpoints as accounts
from services.registration.config import RegistrationSettings
from services.registration.fixtures import endpoints as fixtures
from services.registration.lifecycle import endpoints as lifecycle
from services.registration.lifecycle.jobs import end_pending_certifications
from services.registration.lifecycle.models import LifecycleFact
from services.registration.models import metadata
from services.registration.outbox_relay.models import PendingMessage
from services.registration.peers import peers_of
from services.registration.review import endpoints as review
from services.registration.review.jobs import approve_due_reviews
from services.registration.settings import endpoints as settings_endpoints
from services.registration.signup import endpoints as signup
from services.registration.signup.jobs import expire_activation_links
from services.registration.tokens import endpoints as tokens


def build_app(settings: RegistrationSettings | None = None) -> FastAPI:
    settings = settings or RegistrationSettings()

    async def clock_hook(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
        """Due transitions up to `to`; after commit, before the answer, undelivered messages go to
        messaging and undelivered lifecycle facts to the scheduler, whose own transitions run next."""
        events = await expire_activation_links(session, request)
        events += await approve_due_reviews(session, request, default_policy=settings.review_policy)
        events += await end_pending_certifications(session, peers_of(app.state).certification)
        return events

    app = create_app(
        ServiceSpec(
            name="registration",
            settings=settings,
            routers=[
                signup.wizard,
                tokens.operator_sessions,
                accounts.account,
                settings_endpoints.settings,
                fixtures.sandbox,
                signup.sandbox,
                review.sandbox,
                tokens.cgi,
                accounts.internal,
                tokens.internal,
                lifecycle.internal,
            ],
            metadata=[metadata],
            migrations_section="registration",
            clock_hook=clock_hook,
            peers=("messaging", "certification", "scheduler"),
            description="开通: registration wizard, review, AppID/AppSecret, access tokens.",
        )
    )
    app.add_middleware(
        DeliverAfterResponse,
        owner=app,
        model=PendingMessage,
        messaging=lambda state: peers_of(state).messaging,
    )
    app.add_middleware(
        DeliverFactsAfterResponse,
        owner=app,
        model=LifecycleFact,
        scheduler=lambda state: peers_of(state).scheduler,
    )
    return app


app = build_app()
