"""Internal calls of certification: record a certification, summaries by account or certified name."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.certification.client import BY_NAME_PATH, RECORD_PATH, SUMMARIES_PATH, SUMMARY_PATH
from contracts.certification.schemas import CertificationSummary, RecordCertification, SummariesQuery
from servicekit.db import SessionDep
from services.certification.certifications import service

router = APIRouter(tags=["internal"])


@router.put(RECORD_PATH, response_model=CertificationSummary)
async def record_certification(
    account_id: str, body: RecordCertification, session: SessionDep
) -> CertificationSummary:
    """Record a granted certification (used by fixtures until the application flow exists)."""
    return await service.record_certification(session, account_id, body)


@router.get(SUMMARY_PATH, response_model=CertificationSummary)
async def certification_summary(account_id: str, session: SessionDep) -> CertificationSummary:
    return await service.certification_summary(session, account_id)


@router.get(BY_NAME_PATH, response_model=CertificationSummary)
async def certification_by_name(name: str, session: SessionDep) -> CertificationSummary:
    """Who holds a certified name (R-REG-16's last clause, R-CER-04); 404 when no one does."""
    return await service.certification_by_name(session, name)


@router.post(SUMMARIES_PATH)
async def certification_summaries(
    body: SummariesQuery, session: SessionDep
) -> dict[str, list[CertificationSummary]]:
    """Many accounts in one call (registration's search marks certified accounts)."""
    return {"items": await service.certification_summaries(session, body.account_ids)}
