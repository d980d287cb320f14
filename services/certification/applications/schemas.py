"""What `/docs` shows for applying and for the review of applications (SPEC §4.1, §3.4, §7.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from services.certification.applications.models import Application
from services.certification.certifications.models import Certification
from services.certification.certifications.schemas import Fee


class ReviewRef(BaseModel):
    review_id: str
    deadline: datetime


class ApplicationCreated(BaseModel):
    """`POST /api/v1/certifications` → 201."""

    certification_id: str
    status: str
    kind: str
    fee: Fee
    review: ReviewRef
    submitted_at: datetime
    certified_name: str


class FileOut(BaseModel):
    field: str
    format: str
    content_type: str
    size: int
    sha256: str


class ApplicationItem(BaseModel):
    """One application in `GET /api/v1/certifications` (newest first)."""

    certification_id: str
    kind: str
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    reason: str | None
    certified_name: str
    institution_name: str
    review_id: str
    deadline: datetime

    @classmethod
    def of(cls, a: Application) -> ApplicationItem:
        return cls(
            certification_id=a.id,
            kind=a.kind,
            status=a.status,
            submitted_at=a.submitted_at,
            decided_at=a.decided_at,
            reason=a.reason,
            certified_name=a.certified_name,
            institution_name=a.institution_name,
            review_id=a.review_id,
            deadline=a.deadline,
        )


class ApplicationList(BaseModel):
    items: list[ApplicationItem]


class ActiveCertification(BaseModel):
    certification_id: str | None
    certified: bool = True
    certified_name: str
    institution_name: str
    certification_text: str
    certified_at: datetime
    expires_at: datetime
    renewal_opens_at: datetime

    @classmethod
    def of(cls, row: Certification, renewal_opens_at: datetime) -> ActiveCertification:
        return cls(
            certification_id=row.application_id,
            certified_name=row.certified_name,
            institution_name=row.institution_name,
            certification_text=row.certification_text,
            certified_at=row.certified_at,
            expires_at=row.expires_at,
            renewal_opens_at=renewal_opens_at,
        )


class CurrentCertification(BaseModel):
    """`GET /api/v1/certifications/current` (R-CER-06): the active certification and/or the pending
    application."""

    certified: bool
    certification: ActiveCertification | None
    pending: ApplicationItem | None


class ApplicationDetail(ApplicationItem):
    """`GET /api/v1/certifications/{certification_id}`: the application as submitted."""

    form: dict[str, Any]
    files: list[FileOut]
