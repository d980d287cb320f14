"""Control plane of reviews (SPEC §7): list them, approve or reject one."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request

from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import Unprocessable
from services.registration.review import service
from services.registration.review.models import Review
from services.registration.review.schemas import RejectBody

sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])


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
    rows = await service.list_reviews(session, kind=kind, status=status, namespace=namespace)
    return {"items": [_review(r) for r in rows]}


@sandbox.post("/reviews/{review_id}/approve")
async def approve_review(review_id: str, session: SessionDep) -> dict[str, Any]:
    return _review(await service.decide(session, review_id, approve_it=True, reason=None))


@sandbox.post("/reviews/{review_id}/reject")
async def reject_review(review_id: str, body: RejectBody, session: SessionDep) -> dict[str, Any]:
    reason = body.reason.strip()
    if not reason:
        raise Unprocessable("驳回必须填写原因", field="reason", code="reason_required")
    return _review(await service.decide(session, review_id, approve_it=False, reason=reason))
