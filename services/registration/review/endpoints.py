"""Control plane of reviews (SPEC §3.4, §7): list both kinds, approve or reject a registration review.

Certification reviews are the certification service's: their decisions (`/_sandbox/reviews/crev_…`) are
routed there by the gateway, and this list asks it for them, so `GET /_sandbox/reviews` shows both.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request

from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.reviews import RejectBody, required_reason
from services.registration.dependencies import PeersDep
from services.registration.review import service
from services.registration.review.schemas import ReviewList, ReviewOut

sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])


@sandbox.get("/reviews")
async def list_reviews(
    request: Request,
    session: SessionDep,
    peers: PeersDep,
    kind: Literal["registration", "certification"] | None = None,
    status: Literal["pending", "approved", "rejected", "cancelled"] | None = None,
) -> ReviewList:
    """Reviews of both kinds, oldest submission first; filtered to a namespace only when the header
    names one. Certification reviews carry `certification_id`, `application_kind` and `certified_name`."""
    namespace = request.headers.get(NAMESPACE_HEADER)
    items: list[ReviewOut] = []
    if kind in (None, "registration"):
        rows = await service.list_reviews(session, kind="registration", status=status, namespace=namespace)
        items += [ReviewOut.of(r) for r in rows]
    if kind in (None, "certification") and peers.certification is not None:
        found = await peers.certification.reviews(status=status, namespace=namespace)
        items += [ReviewOut.model_validate(r.model_dump()) for r in found]
    items.sort(key=lambda r: (r.submitted_at, r.review_id))
    return ReviewList(items=items)


@sandbox.post("/reviews/{review_id}/approve")
async def approve_review(review_id: str, session: SessionDep) -> ReviewOut:
    return ReviewOut.of(await service.decide(session, review_id, approve_it=True, reason=None))


@sandbox.post("/reviews/{review_id}/reject")
async def reject_review(review_id: str, session: SessionDep, body: RejectBody | None = None) -> ReviewOut:
    reason = required_reason(body)
    return ReviewOut.of(await service.decide(session, review_id, approve_it=False, reason=reason))
