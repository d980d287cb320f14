"""Applying for certification and its review (SPEC §4.1, R-CER-01..05, R-CER-07's renewal).

Lock order, everywhere an application is decided: the application row first (FOR UPDATE, then its
state is checked), then the account's certification row (inside `certifications.service.grant`).
The `at_deadline` hook locks due applications with SKIP LOCKED, so it never waits on a manual
decision under way; whichever commits first decides, the other finds the application decided.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pypdf import PdfReader
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.concurrency import run_in_threadpool

from contracts.certification.client import REVIEW_ID_PREFIX
from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import BadRequest, Conflict, Forbidden, NotFound, UnsupportedMediaType
from servicekit.uploads import MultipartBody, UploadedFile, decodes_as_image, sniff
from servicekit.workdays import end_of_nth_working_day
from services.certification.applications import repository
from services.certification.applications.models import Application, ApplicationFile
from services.certification.certifications import repository as certifications
from services.certification.certifications import rules
from services.certification.certifications import service as granted
from services.certification.certifications.models import Certification
from services.certification.notices import service as notices

PENDING = repository.PENDING


def _id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:20]}"


@dataclass
class Submitted:
    application: Application
    certification: Certification | None  # granted at once under the `instant` policy


def _pdf_parses(data: bytes) -> bool:
    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        return len(reader.pages) > 0
    except Exception:  # pypdf raises many types (and RecursionError) on a broken file
        return False


async def check_file(field: str, upload: UploadedFile | None) -> tuple[str, UploadedFile]:
    """R-CER-02: a required scan, by its content: an image that decodes in full (no decompression
    bomb) or a PDF that starts with `%PDF-` and parses. 400 when missing, 415 otherwise."""
    if upload is None or upload.size == 0:
        label = next(f.label for f in rules.FILES if f.field == field)
        raise BadRequest(f"请上传{label}", field=field, code="missing_file")
    kind = rules.file_kind(sniff(upload.data), upload.data)
    ok = kind is not None and await run_in_threadpool(
        _pdf_parses if kind == "pdf" else lambda d: decodes_as_image(d, max_pixels=rules.IMAGE_MAX_PIXELS),
        upload.data,
    )
    if kind is None or not ok:
        raise UnsupportedMediaType(
            f"{field} 须为可读取的 jpg、png、gif、bmp 图片或 PDF 文件（按内容判断）",
            field=field,
            code="unsupported_file_type",
        )
    return kind, upload


def refuse_state(account: AccountView) -> None:
    """R-CER-01: only an approved, non-terminated account may apply."""
    if account.status != "approved":
        raise Forbidden(
            "只有已通过审核的帐号才能申请认证", code="account_not_approved", account_status=account.status
        )


async def application_kind(session: AsyncSession, account: AccountView, now: datetime) -> str:
    """R-CER-01 / R-CER-07: `initial`, or `renewal` inside the last 90 days; 409 while one is pending or
    while certified outside the renewal window."""
    if await repository.pending_of(session, account.account_id) is not None:
        raise Conflict("已有认证申请正在审核中", code="certification_pending")
    current = await certifications.get(session, account.account_id)
    if not granted.is_live(current, now):
        return "initial"
    assert current is not None
    opens = rules.renewal_opens_at(current.expires_at)
    if now < opens:
        raise Conflict(
            "帐号已认证；年审（续期）申请须在认证到期前 90 天内提交",
            code="already_certified",
            expires_at=current.expires_at.isoformat(),
            renewal_opens_at=opens.isoformat(),
        )
    return "renewal"


@dataclass(frozen=True)
class Admissible:
    """What `admit` found before the body is read: when, and which kind of application."""

    now: datetime
    kind: str


async def admit(session: AsyncSession, account: AccountView) -> Admissible:
    """R-CER-01 / R-CER-07, before a byte of the body is read: a refused account uploads nothing."""
    refuse_state(account)
    now = await clock.now(session, account.namespace)
    return Admissible(now, await application_kind(session, account, now))


async def apply(
    session: AsyncSession,
    account: AccountView,
    admitted: Admissible,
    body: MultipartBody,
    *,
    default_policy: str,
    protected_names: tuple[str, ...],
) -> Submitted:
    """R-CER-01..05: every field and file, the name; open the review (the state was `admit`ted)."""
    namespace, now, kind = account.namespace, admitted.now, admitted.kind
    form = rules.check_form(body.fields, clock.shanghai_date(now).date(), protected_names)
    files = [await check_file(f.field, body.files.get(f.field)) for f in rules.FILES]
    await granted.refuse_taken_name(session, namespace, account.account_id, form["certified_name"])
    application = Application(
        id=_id("cert_"),
        review_id=_id(REVIEW_ID_PREFIX),
        account_id=account.account_id,
        namespace=namespace,
        kind=kind,
        status=PENDING,
        certified_name=form["certified_name"],
        institution_name=form["institution_name"],
        form=form,
        notify_email=account.login_email,
        submitted_at=now,
        deadline=end_of_nth_working_day(now, rules.REVIEW_WORKING_DAYS),
    )
    stored = [
        ApplicationFile(
            application_id=application.id,
            field=upload.field,
            format=fmt,
            content_type=rules.CONTENT_TYPES[fmt],
            filename=(upload.filename or upload.field)[:255],
            size=upload.size,
            sha256=hashlib.sha256(upload.data).hexdigest(),
            data=upload.data,
        )
        for fmt, upload in files
    ]
    try:
        await repository.add(session, application, stored)
    except IntegrityError:  # a concurrent submission of the same account won (R-CER-01)
        raise Conflict("已有认证申请正在审核中", code="certification_pending") from None
    granted_now = None
    if await clock.review_policy(session, namespace, default_policy) == "instant":
        granted_now = await _approve_instantly(session, application, now)
    return Submitted(application, granted_now)


async def _approve_instantly(
    session: AsyncSession, application: Application, now: datetime
) -> Certification | None:
    """The `instant` policy approves on submission; should the name have been claimed meanwhile, the
    application stays pending (R-CER-04), as a reviewer's approval would leave it."""
    try:
        async with session.begin_nested():
            return await approve(session, application, at=now, decided_by="instant")
    except Conflict:
        return None


async def approve(
    session: AsyncSession, application: Application, *, at: datetime, decided_by: str
) -> Certification:
    row = await granted.grant(session, application, at=at)
    mark_approved(session, application, at=at, decided_by=decided_by, expires_at=row.expires_at)
    await session.flush()
    return row


def mark_approved(
    session: AsyncSession, application: Application, *, at: datetime, decided_by: str, expires_at: datetime
) -> None:
    """An approval's own record and its notice (R-CER-05), whoever decided: a reviewer, the `instant`
    policy or the deadline."""
    application.status, application.decided_at, application.decided_by = "approved", at, decided_by
    notices.notify(
        session,
        granted.recipient(application),
        kind=notices.APPROVED,
        name=application.certified_name,
        at=at,
        data={
            "certified_name": application.certified_name,
            "expires_at": expires_at,
            "kind": application.kind,
        },
    )


async def reject(session: AsyncSession, application: Application, *, at: datetime, reason: str) -> None:
    """R-CER-05: a mandatory reason, shown and notified; a new application may follow at once."""
    application.status, application.decided_at, application.decided_by = "rejected", at, "operator"
    application.reason = reason
    notices.notify(
        session,
        granted.recipient(application),
        kind=notices.REJECTED,
        name=application.certified_name,
        at=at,
        data={"reason": reason},
    )
    await session.flush()


async def decide(
    session: AsyncSession, review_id: str, *, approve_it: bool, reason: str | None
) -> Application:
    """`POST /_sandbox/reviews/{review_id}/approve|reject` for a certification review. An approval
    that finds the name taken is 409 `certified_name_taken` and leaves the application pending."""
    application = await repository.by_review(session, review_id, lock=True)
    if application is None:
        raise NotFound("审核单不存在", code="review_not_found")
    if application.status != PENDING:
        raise Conflict("该审核已处理", code="review_decided", review_status=application.status)
    now = await clock.now(session, application.namespace)
    if approve_it:
        await approve(session, application, at=now, decided_by="operator")
    else:
        await reject(session, application, at=now, reason=reason or "")
    return application


async def own_application(session: AsyncSession, account: AccountView, certification_id: str) -> Application:
    """The account's own application; another's is 404 like a missing one (nothing leaked)."""
    application = await repository.get(session, certification_id)
    if application is None or application.account_id != account.account_id:
        raise NotFound("认证申请不存在", code="certification_not_found")
    return application


async def own_file(
    session: AsyncSession, account: AccountView, certification_id: str, field: str
) -> ApplicationFile:
    application = await own_application(session, account, certification_id)
    stored = await repository.file_of(session, application.id, field)
    if stored is None:
        raise NotFound("该申请没有此文件", code="file_not_found", field=field)
    return stored


async def history(session: AsyncSession, account: AccountView) -> Sequence[Application]:
    return await repository.of_account(session, account.account_id)


async def current(
    session: AsyncSession, account: AccountView
) -> tuple[Certification | None, Application | None]:
    """R-CER-06: the live certification and/or the pending application; 404 `not_certified` when neither."""
    now = await clock.now(session, account.namespace)
    row = await certifications.get(session, account.account_id)
    live = row if granted.is_live(row, now) else None
    pending = await repository.pending_of(session, account.account_id)
    if live is None and pending is None:
        raise NotFound("帐号未认证，也没有审核中的认证申请", code="not_certified")
    return live, pending


async def record(
    session: AsyncSession,
    account_id: str,
    *,
    namespace: str,
    certified_name: str,
    institution_name: str,
    email: str | None,
) -> Certification:
    """A fixture's certification (`POST /_sandbox/accounts` with `certified: true`): a real application,
    approved now, so the certification has its validity and expires like any other (R-CER-07)."""
    now = await clock.now(session, namespace)
    pending = await repository.pending_of(session, account_id)
    if pending is not None:
        raise Conflict("已有认证申请正在审核中", code="certification_pending")
    application = Application(
        id=_id("cert_"),
        review_id=_id(REVIEW_ID_PREFIX),
        account_id=account_id,
        namespace=namespace,
        kind="initial",
        status=PENDING,
        certified_name=certified_name,
        institution_name=institution_name or certified_name,
        form={"certified_name": certified_name, "institution_name": institution_name or certified_name},
        notify_email=email,
        submitted_at=now,
        deadline=now,
    )
    await repository.add(session, application, [])
    row = await granted.grant(session, application, at=now)
    application.status, application.decided_at, application.decided_by = "approved", now, "fixture"
    await session.flush()
    return row


async def files_of(session: AsyncSession, application: Application) -> Sequence[ApplicationFile]:
    return await repository.files_of(session, application.id)


async def list_reviews(
    session: AsyncSession, *, status: str | None, namespace: str | None
) -> Sequence[Application]:
    return await repository.list_reviews(session, status=status, namespace=namespace)
