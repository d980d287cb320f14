"""Applying for certification (console, SPEC §4.1) and deciding certification reviews (control plane,
SPEC §3.4: the gateway sends `/_sandbox/reviews/crev_…/approve|reject` here; registration lists both
kinds of review through `/internal/certification-reviews`)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response

from contracts.certification.client import REVIEWS_PATH
from contracts.certification.schemas import CertificationReview, CertificationReviewList
from contracts.registration.identity import ConsoleAccount
from servicekit.db import SessionDep
from servicekit.reviews import RejectBody, required_reason
from servicekit.uploads import read_multipart
from services.certification.applications import service
from services.certification.applications.models import Application
from services.certification.applications.schemas import (
    ActiveCertification,
    ApplicationCreated,
    ApplicationDetail,
    ApplicationItem,
    ApplicationList,
    CurrentCertification,
    FileOut,
    ReviewRef,
)
from services.certification.certifications import rules
from services.certification.certifications.schemas import Fee
from services.certification.config import CertificationSettings

console = APIRouter(prefix="/api/v1/certifications", tags=["console"])
sandbox = APIRouter(prefix="/_sandbox", tags=["sandbox"])
internal = APIRouter(tags=["internal"])

_FILE_LIMITS = {f.field: rules.FILE_MAX_BYTES for f in rules.FILES}
# The multipart body, as /docs shows it (the handler streams it itself, to refuse a file over its limit
# before the rest is read, so FastAPI cannot derive it).
_APPLY_BODY: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [f.name for f in rules.FIELDS if f.required] + [f.field for f in rules.FILES],
                    "properties": {
                        **{
                            f.name: {
                                "type": "string",
                                "description": f.label,
                                **({"enum": [v for v, _ in f.choices]} if f.choices else {}),
                                **({"maxLength": f.max_length} if f.max_length else {}),
                            }
                            for f in rules.FIELDS
                        },
                        **{
                            f.field: {"type": "string", "format": "binary", "description": f.label}
                            for f in rules.FILES
                        },
                    },
                }
            }
        },
    }
}
_FEE = Fee(amount=rules.FEE_AMOUNT, currency=rules.FEE_CURRENCY, waived_reason=rules.FEE_WAIVED_REASON)


def _settings(request: Request) -> CertificationSettings:
    settings: CertificationSettings = request.app.state.settings
    return settings


@console.post("", status_code=201, response_model=ApplicationCreated, openapi_extra=_APPLY_BODY)
async def apply(request: Request, session: SessionDep, account: ConsoleAccount) -> ApplicationCreated:
    """Apply for certification, or its yearly renewal (R-CER-01..05, R-CER-07): multipart with the §4.1
    fields and the three scans (`application_letter`, `information_form`,
    `organization_code_certificate`: jpg/png/gif/bmp or PDF, each ≤ 5 MiB, judged by content)."""
    admitted = await service.admit(session, account)  # 403 / 409 before the body is read
    body = await read_multipart(request, file_limits=_FILE_LIMITS, default_file_limit=rules.FILE_MAX_BYTES)
    settings = _settings(request)
    submitted = await service.apply(
        session,
        account,
        admitted,
        body,
        default_policy=settings.review_policy,
        protected_names=settings.protected_names,
    )
    a = submitted.application
    return ApplicationCreated(
        certification_id=a.id,
        status=a.status,
        kind=a.kind,
        fee=_FEE,
        review=ReviewRef(review_id=a.review_id, deadline=a.deadline),
        submitted_at=a.submitted_at,
        certified_name=a.certified_name,
    )


@console.get("/current", response_model=CurrentCertification)
async def current(session: SessionDep, account: ConsoleAccount) -> CurrentCertification:
    """The active certification and/or the pending application (R-CER-06); 404 `not_certified`."""
    live, pending = await service.current(session, account)
    return CurrentCertification(
        certified=live is not None,
        certification=ActiveCertification.of(live, rules.renewal_opens_at(live.expires_at)) if live else None,
        pending=ApplicationItem.of(pending) if pending else None,
    )


@console.get("", response_model=ApplicationList)
async def history(session: SessionDep, account: ConsoleAccount) -> ApplicationList:
    """Every application of the account, newest first (`cancelled`: the account was terminated while
    it was pending)."""
    return ApplicationList(items=[ApplicationItem.of(a) for a in await service.history(session, account)])


@console.get("/{certification_id}", response_model=ApplicationDetail)
async def application(
    certification_id: str, session: SessionDep, account: ConsoleAccount
) -> ApplicationDetail:
    """One application as submitted: the normalised form and the files' types, sizes and digests."""
    a = await service.own_application(session, account, certification_id)
    files = await service.files_of(session, a)
    return ApplicationDetail(
        **ApplicationItem.of(a).model_dump(),
        form=a.form,
        files=[
            FileOut(field=f.field, format=f.format, content_type=f.content_type, size=f.size, sha256=f.sha256)
            for f in files
        ],
    )


@console.get("/{certification_id}/files/{field}", response_class=Response)
async def application_file(
    certification_id: str, field: str, session: SessionDep, account: ConsoleAccount
) -> Response:
    """The uploaded scan back, with its real content type (the account's own only; 404 otherwise)."""
    stored = await service.own_file(session, account, certification_id, field)
    return Response(
        content=stored.data,
        media_type=stored.content_type,
        headers={"Content-Disposition": f'inline; filename="{stored.field}.{stored.format}"'},
    )


def _review(a: Application) -> CertificationReview:
    return CertificationReview(
        review_id=a.review_id,
        account_id=a.account_id,
        namespace=a.namespace,
        status=a.status,
        submitted_at=a.submitted_at,
        deadline=a.deadline,
        decided_at=a.decided_at,
        reason=a.reason,
        certification_id=a.id,
        application_kind=a.kind,
        certified_name=a.certified_name,
    )


@sandbox.post("/reviews/{review_id}/approve", response_model=CertificationReview)
async def approve_review(review_id: str, session: SessionDep) -> CertificationReview:
    """Approve a certification review: the account is certified at once (R-CER-05); 409
    `certified_name_taken` when another account holds the name (the application stays pending)."""
    return _review(await service.decide(session, review_id, approve_it=True, reason=None))


@sandbox.post("/reviews/{review_id}/reject", response_model=CertificationReview)
async def reject_review(
    review_id: str, session: SessionDep, body: RejectBody | None = None
) -> CertificationReview:
    """Reject a certification review with its mandatory reason (400 `reason_required` without)."""
    reason = required_reason(body)
    return _review(await service.decide(session, review_id, approve_it=False, reason=reason))


@internal.get(REVIEWS_PATH, response_model=CertificationReviewList)
async def list_reviews(
    session: SessionDep,
    status: Literal["pending", "approved", "rejected", "cancelled"] | None = None,
    namespace: str | None = None,
) -> CertificationReviewList:
    rows = await service.list_reviews(session, status=status, namespace=namespace)
    return CertificationReviewList(items=[_review(a) for a in rows])
