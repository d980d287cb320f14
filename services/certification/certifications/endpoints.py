"""Certification's calls: the application requirements (console), and the internal ones other services
use (summaries by account, the holder of a certified name, a fixture's certification, R-CER-08's end)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from contracts.certification.client import BY_NAME_PATH, END_PATH, RECORD_PATH, SUMMARIES_PATH, SUMMARY_PATH
from contracts.certification.schemas import (
    CertificationEnded,
    CertificationSummary,
    EndCertification,
    RecordCertification,
    SummariesQuery,
)
from servicekit.db import SessionDep
from services.certification.applications import service as applications
from services.certification.certifications import service
from services.certification.certifications.schemas import CertificationRequirements
from services.certification.config import CertificationSettings

router = APIRouter()
console = APIRouter(tags=["console"])
internal = APIRouter(tags=["internal"])

REQUIREMENTS_PATH = "/api/v1/certifications/requirements"
_REQUIREMENTS = service.certification_requirements()


def _policy(request: Request) -> str:
    settings: CertificationSettings = request.app.state.settings
    return settings.review_policy


@console.get(REQUIREMENTS_PATH, response_model=CertificationRequirements, response_model_exclude_none=True)
async def certification_requirements() -> CertificationRequirements:
    """What an application needs, so a console can build its form (SPEC §4.1; R-CER-02, R-CER-03).

    The same for every account and state, so no session is asked: a console may show it before login."""
    return _REQUIREMENTS


@internal.put(RECORD_PATH, response_model=CertificationSummary)
async def record_certification(
    account_id: str, body: RecordCertification, request: Request, session: SessionDep
) -> CertificationSummary:
    """A fixture's certification: a real application approved now, valid one year (R-CER-07)."""
    await applications.record(
        session,
        account_id,
        namespace=body.namespace,
        certified_name=body.certified_name,
        institution_name=body.institution_name,
        email=body.email,
    )
    return await service.certification_summary(session, account_id, default_policy=_policy(request))


@internal.post(END_PATH, response_model=CertificationEnded)
async def end_certification(
    account_id: str, body: EndCertification, session: SessionDep
) -> CertificationEnded:
    """R-CER-08: the account is terminated; its certification ends (the name is free at once) and a
    pending application is cancelled. Idempotent."""
    ended, cancelled = await service.end_certification(
        session, account_id, namespace=body.namespace, reason=body.reason, at=body.at
    )
    return CertificationEnded(account_id=account_id, ended=ended, cancelled=cancelled)


@internal.get(SUMMARY_PATH, response_model=CertificationSummary)
async def certification_summary(
    account_id: str, request: Request, session: SessionDep
) -> CertificationSummary:
    return await service.certification_summary(session, account_id, default_policy=_policy(request))


@internal.get(BY_NAME_PATH, response_model=CertificationSummary)
async def certification_by_name(
    name: str, request: Request, session: SessionDep, namespace: str = "default"
) -> CertificationSummary:
    """Who holds a certified name in a namespace (R-REG-16's last clause, R-CER-04); 404 when no one."""
    return await service.certification_by_name(session, namespace, name, default_policy=_policy(request))


@internal.post(SUMMARIES_PATH)
async def certification_summaries(
    body: SummariesQuery, request: Request, session: SessionDep
) -> dict[str, list[CertificationSummary]]:
    """Many accounts in one call (registration's search marks certified accounts)."""
    return {
        "items": await service.certification_summaries(
            session, body.account_ids, default_policy=_policy(request)
        )
    }


router.include_router(console)
router.include_router(internal)
