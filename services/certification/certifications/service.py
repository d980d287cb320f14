"""Certifications as other services see them (recorded, looked up by account or by certified name), and
what an application needs (SPEC §4.1)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import NAME_NOT_HELD
from contracts.certification.schemas import CertificationSummary, RecordCertification
from servicekit import clock
from servicekit.errors import NotFound
from services.certification.certifications import repository, rules
from services.certification.certifications.models import Certification
from services.certification.certifications.schemas import (
    CertificationRequirements,
    Fee,
    RequiredField,
    RequiredFile,
    ReviewTerms,
)


def _summary(account_id: str, row: Certification | None) -> CertificationSummary:
    if row is None:
        return CertificationSummary(account_id=account_id, certified=False)
    return CertificationSummary(
        account_id=account_id,
        certified=True,
        certified_name=row.certified_name,
        certification_text=row.certification_text,
        certified_at=row.certified_at,
    )


async def record_certification(
    session: AsyncSession, account_id: str, body: RecordCertification
) -> CertificationSummary:
    at = await clock.now(session, body.namespace)
    text = body.certification_text or f"{body.certified_name}（政府机构认证）"
    row = await repository.upsert(session, account_id=account_id, name=body.certified_name, text=text, at=at)
    return _summary(account_id, row)


async def certification_summary(session: AsyncSession, account_id: str) -> CertificationSummary:
    return _summary(account_id, await repository.get(session, account_id))


async def certification_summaries(
    session: AsyncSession, account_ids: list[str]
) -> list[CertificationSummary]:
    rows = await repository.get_many(session, account_ids)
    return [_summary(account_id, rows.get(account_id)) for account_id in dict.fromkeys(account_ids)]


async def certification_by_name(session: AsyncSession, name: str) -> CertificationSummary:
    row = await repository.by_name(session, name)
    if row is None:
        raise NotFound("没有已认证的帐号使用该名称", code=NAME_NOT_HELD)
    return _summary(row.account_id, row)


def certification_requirements() -> CertificationRequirements:
    """The application form as the validators read it (R-CER-02) and its fee (R-CER-03)."""
    return CertificationRequirements(
        fields=[
            RequiredField(
                name=f.name,
                label=f.label,
                required=f.required,
                min_length=f.min_length,
                max_length=f.max_length,
                choices=[value for value, _ in f.choices] or None,
                choice_labels=dict(f.choices) or None,
                min_value=f.min_value,
                max_value=f.max_value,
            )
            for f in rules.FIELDS
        ],
        files=[
            RequiredFile(
                field=f.field, label=f.label, types=list(rules.FILE_TYPES), max_bytes=rules.FILE_MAX_BYTES
            )
            for f in rules.FILES
        ],
        fee=Fee(amount=rules.FEE_AMOUNT, currency=rules.FEE_CURRENCY, waived_reason=rules.FEE_WAIVED_REASON),
        review=ReviewTerms(working_days=rules.REVIEW_WORKING_DAYS),
    )
