"""Control plane of registration (SPEC §7): fixtures, account state, reviews, captcha answers."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import Unprocessable
from services.registration import captcha, service_fixtures, service_review
from services.registration.dependencies import NamespaceDep, PasswordsDep, PeersDep, SettingsDep
from services.registration.models import Review

sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])


@sandbox.post("/accounts", status_code=201)
async def create_account(
    body: service_fixtures.FixtureRequest,
    session: SessionDep,
    namespace: NamespaceDep,
    passwords: PasswordsDep,
    peers: PeersDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """A ready account (approved by default) with operator login, AppID and AppSecret (shown once)."""
    return await service_fixtures.create_fixture(
        session,
        body,
        namespace=namespace,
        passwords=passwords,
        peers=peers,
        protected_names=settings.protected_names,
    )


@sandbox.get("/accounts/{appid}")
async def account_state(appid: str, session: SessionDep, peers: PeersDep) -> dict[str, Any]:
    return await service_fixtures.account_state(session, appid, peers=peers)


@sandbox.get("/captchas/{captcha_id}")
async def captcha_answer(captcha_id: str, session: SessionDep) -> dict[str, str]:
    return await captcha.answer_of(session, captcha_id)


def _review(review: Review) -> dict[str, Any]:
    return {
        "review_id": review.id,
        "kind": review.kind,
        "account_id": review.account_id,
        "namespace": review.namespace,
        "status": review.status,
        "submitted_at": review.submitted_at,
        "deadline": review.deadline,
        "decided_at": review.decided_at,
        "reason": review.reason,
    }


@sandbox.get("/reviews")
async def list_reviews(
    request: Request,
    session: SessionDep,
    kind: Literal["registration", "certification"] | None = None,
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> dict[str, Any]:
    """Registration reviews; filtered to a namespace only when the header names one."""
    namespace = request.headers.get(NAMESPACE_HEADER)
    rows = await service_review.list_reviews(session, kind=kind, status=status, namespace=namespace)
    return {"items": [_review(r) for r in rows]}


class RejectBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    reason: str = Field(min_length=1, max_length=500)


@sandbox.post("/reviews/{review_id}/approve")
async def approve_review(review_id: str, session: SessionDep) -> dict[str, Any]:
    return _review(await service_review.decide(session, review_id, approve_it=True, reason=None))


@sandbox.post("/reviews/{review_id}/reject")
async def reject_review(review_id: str, body: RejectBody, session: SessionDep) -> dict[str, Any]:
    reason = body.reason.strip()
    if not reason:
        raise Unprocessable("驳回必须填写原因", field="reason", code="reason_required")
    return _review(await service_review.decide(session, review_id, approve_it=False, reason=reason))
