"""Granted certifications (SPEC §4.2): what others read (summaries, the holder of a name), granting
one (R-CER-04/05), lapsing (R-CER-07) and ending (R-CER-08), and what an application needs (§4.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import NAME_NOT_HELD
from contracts.certification.schemas import CertificationSummary
from servicekit import clock
from servicekit.errors import Conflict, NotFound
from services.certification.applications import repository as applications
from services.certification.applications.models import Application
from services.certification.certifications import repository, rules
from services.certification.certifications.models import ACTIVE, Certification
from services.certification.certifications.schemas import (
    CertificationRequirements,
    Fee,
    RequiredField,
    RequiredFile,
    ReviewTerms,
)
from services.certification.notices import service as notices
from services.certification.notices.service import Recipient

NAME_TAKEN = "certified_name_taken"


def name_taken() -> Conflict:
    return Conflict("该认证名称已被其他认证帐号使用", field="certified_name", code=NAME_TAKEN)


def is_live(row: Certification | None, now: datetime) -> bool:
    """Active and not yet past its expiry on the namespace's clock (a due lapse counts at once)."""
    return row is not None and row.status == ACTIVE and row.expires_at > now


def recipient(row: Certification | Application) -> Recipient:
    return Recipient(account_id=row.account_id, namespace=row.namespace, email=row.notify_email)


class _Clocks:
    """Each namespace's clock and review policy read once per call (a page of summaries)."""

    def __init__(self, session: AsyncSession, default_policy: str) -> None:
        self.session = session
        self.default_policy = default_policy
        self._now: dict[str, datetime] = {}
        self._policy: dict[str, str] = {}

    async def now(self, namespace: str) -> datetime:
        if namespace not in self._now:
            self._now[namespace] = await clock.now(self.session, namespace)
        return self._now[namespace]

    async def policy(self, namespace: str) -> str:
        if namespace not in self._policy:
            self._policy[namespace] = await clock.review_policy(self.session, namespace, self.default_policy)
        return self._policy[namespace]


async def summary_of(
    clocks: _Clocks, account_id: str, row: Certification | None, pending: Application | None
) -> CertificationSummary:
    namespace = row.namespace if row is not None else pending.namespace if pending is not None else None
    live = namespace is not None and is_live(row, await clocks.now(namespace))
    changes: list[datetime] = []
    if live and row is not None:
        changes.append(row.expires_at)
    if pending is not None and await clocks.policy(pending.namespace) == "at_deadline":
        changes.append(pending.deadline)
    changes_at = min(changes, default=None)
    if not live or row is None:
        return CertificationSummary(
            account_id=account_id, certified=False, pending=pending is not None, changes_at=changes_at
        )
    return CertificationSummary(
        account_id=account_id,
        certified=True,
        certified_name=row.certified_name,
        certification_text=row.certification_text,
        certified_at=row.certified_at,
        expires_at=row.expires_at,
        pending=pending is not None,
        changes_at=changes_at,
    )


async def certification_summary(
    session: AsyncSession, account_id: str, *, default_policy: str
) -> CertificationSummary:
    row = await repository.get(session, account_id)
    pending = await applications.pending_of(session, account_id)
    return await summary_of(_Clocks(session, default_policy), account_id, row, pending)


async def certification_summaries(
    session: AsyncSession, account_ids: list[str], *, default_policy: str
) -> list[CertificationSummary]:
    rows = await repository.get_many(session, account_ids)
    pending = await applications.pending_of_many(session, account_ids)
    clocks = _Clocks(session, default_policy)
    return [
        await summary_of(clocks, account_id, rows.get(account_id), pending.get(account_id))
        for account_id in dict.fromkeys(account_ids)
    ]


async def certification_by_name(
    session: AsyncSession, namespace: str, name: str, *, default_policy: str
) -> CertificationSummary:
    row = await repository.live_by_name(session, namespace, name)
    if row is None:
        raise NotFound("没有已认证的帐号使用该名称", code=NAME_NOT_HELD)
    return await summary_of(_Clocks(session, default_policy), row.account_id, row, None)


async def refuse_taken_name(session: AsyncSession, namespace: str, account_id: str, name: str) -> None:
    """R-CER-04: a name held by another account's live certification is refused (409)."""
    holder = await repository.live_by_name(session, namespace, name)
    if holder is not None and holder.account_id != account_id:
        raise name_taken()


async def lapse_expired(
    session: AsyncSession,
    *,
    at: datetime,
    namespace: str,
    accounts: Sequence[str] = (),
    name: str | None = None,
) -> Sequence[Certification]:
    """Record the lapse (R-CER-07) of what has already expired among `accounts` / holders of `name`,
    with its notices, before a grant reuses the name or the account's row."""
    lapsed = await repository.lapse_due(
        session, at=at, namespace=namespace, accounts=accounts, name=name, name_namespace=namespace
    )
    for row in lapsed:
        expired_notice(session, row)
    return lapsed


def expired_notice(session: AsyncSession, row: Certification) -> None:
    notices.notify(
        session,
        recipient(row),
        kind=notices.EXPIRED,
        name=row.certified_name,
        at=row.expires_at,
        data={"expires_at": row.expires_at},
    )


async def grant(session: AsyncSession, application: Application, *, at: datetime) -> Certification:
    """R-CER-05: the application's certification takes effect now (badge, name, text, validity).

    The name's uniqueness (R-CER-04) is the database's: a concurrent approval that claimed the name
    first makes this one fail with 409 `certified_name_taken`, and the caller's transaction (the
    application still pending) is rolled back."""
    namespace = application.namespace
    await lapse_expired(
        session,
        at=at,
        namespace=namespace,
        accounts=[application.account_id],
        name=application.certified_name,
    )
    await refuse_taken_name(session, namespace, application.account_id, application.certified_name)
    current = await repository.get(session, application.account_id, lock=True)
    old_expiry = current.expires_at if current is not None and current.status in (ACTIVE, "lapsed") else None
    try:
        row = await repository.grant(session, grant_values(application, at=at, old_expiry=old_expiry))
    except IntegrityError:
        raise name_taken() from None
    return row


def grant_values(application: Application, *, at: datetime, old_expiry: datetime | None) -> dict[str, object]:
    return {
        "account_id": application.account_id,
        "namespace": application.namespace,
        "application_id": application.id,
        "certified_name": application.certified_name,
        "institution_name": application.institution_name,
        "certification_text": rules.certification_text(
            application.certified_name, application.institution_name
        ),
        "certified_at": at,
        "expires_at": rules.new_expiry(application.kind, at, old_expiry),
        "notify_email": application.notify_email,
    }


async def end_certification(
    session: AsyncSession, account_id: str, *, namespace: str, reason: str, at: datetime | None
) -> tuple[bool, list[str]]:
    """R-CER-08: the account is terminated: its active certification ends (the name is free at once)
    and a pending application is cancelled. Idempotent: a second call finds nothing to end."""
    moment = at or await clock.now(session, namespace)
    ended = await repository.end(session, account_id, at=moment, reason=reason)
    cancelled = await applications.cancel_pending(session, account_id, at=moment)
    return ended is not None, [a.id for a in cancelled]


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
