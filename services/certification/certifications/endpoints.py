"""Certification's calls: the application requirements (console), and the internal ones (record a
certification, summaries by account or certified name)."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.certification.client import BY_NAME_PATH, RECORD_PATH, SUMMARIES_PATH, SUMMARY_PATH
from contracts.certification.schemas import CertificationSummary, RecordCertification, SummariesQuery
from servicekit.db import SessionDep
from services.certification.certifications import service
from services.certification.certifications.schemas import CertificationRequirements

router = APIRouter()
console = APIRouter(tags=["console"])
internal = APIRouter(tags=["internal"])

REQUIREMENTS_PATH = "/api/v1/certifications/requirements"
_REQUIREMENTS = service.certification_requirements()


@console.get(REQUIREMENTS_PATH, response_model=CertificationRequirements, response_model_exclude_none=True)
async def certification_requirements() -> CertificationRequirements:
    """What an application needs, so a console can build its form (SPEC §4.1; R-CER-02, R-CER-03).

    The same for every account and state, so no session is asked: a console may show it before login."""
    return _REQUIREMENTS


@internal.put(RECORD_PATH, response_model=CertificationSummary)
async def record_certification(
    account_id: str, body: RecordCertification, session: SessionDep
) -> CertificationSummary:
    """Record a granted certification (used by fixtures until the application flow exists)."""
    return await service.record_certification(session, account_id, body)


@internal.get(SUMMARY_PATH, response_model=CertificationSummary)
async def certification_summary(account_id: str, session: SessionDep) -> CertificationSummary:
    return await service.certification_summary(session, account_id)


@internal.get(BY_NAME_PATH, response_model=CertificationSummary)
async def certification_by_name(name: str, session: SessionDep) -> CertificationSummary:
    """Who holds a certified name (R-REG-16's last clause, R-CER-04); 404 when no one does."""
    return await service.certification_by_name(session, name)


@internal.post(SUMMARIES_PATH)
async def certification_summaries(
    body: SummariesQuery, session: SessionDep
) -> dict[str, list[CertificationSummary]]:
    """Many accounts in one call (registration's search marks certified accounts)."""
    return {"items": await service.certification_summaries(session, body.account_ids)}


router.include_router(console)
router.include_router(internal)
