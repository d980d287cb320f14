"""Request and response bodies of the review control plane."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from services.registration.review.models import Review


class ReviewOut(BaseModel):
    review_id: str
    kind: str
    account_id: str
    namespace: str
    status: str
    submitted_at: datetime
    deadline: datetime
    decided_at: datetime | None
    reason: str | None
    # certification reviews only
    certification_id: str | None = None
    application_kind: str | None = None
    certified_name: str | None = None

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(
            review_id=review.id,
            kind=review.kind,
            account_id=review.account_id,
            namespace=review.namespace,
            status=review.status,
            submitted_at=review.submitted_at,
            deadline=review.deadline,
            decided_at=review.decided_at,
            reason=review.reason,
        )


class ReviewList(BaseModel):
    items: list[ReviewOut]
