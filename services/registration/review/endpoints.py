"""Control plane of reviews (SPEC §7): list them, approve or reject one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import Unprocessable
from services.registration.review import service
from services.registration.review.schemas import RejectBody, ReviewList, ReviewOut

sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])


@sandbox.get("/reviews")
async def list_reviews(
    request: Request,
    session: SessionDep,
    kind: Literal["registration", "certification"] | None = None,
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> ReviewList:
    """Registration reviews; filtered to a namespace only when the header names one."""
    namespace = request.headers.get(NAMESPACE_HEADER)
    rows = await service.list_reviews(session, kind=kind, status=status, namespace=namespace)
    return ReviewList(items=[ReviewOut.of(r) for r in rows])


@sandbox.post("/reviews/{review_id}/approve")
async def approve_review(review_id: str, session: SessionDep) -> ReviewOut:
    return ReviewOut.of(await service.decide(session, review_id, approve_it=True, reason=None))


@sandbox.post("/reviews/{review_id}/reject")
async def reject_review(review_id: str, body: RejectBody, session: SessionDep) -> ReviewOut:
    reason = body.reason.strip()
    if not reason:
        raise Unprocessable("驳回必须填写原因", field="reason", code="reason_required")
    return ReviewOut.of(await service.decide(session, review_id, approve_it=False, reason=reason))
