"""Accounts as shown to other services (AccountView), to their operator, and in search (R-REG-19/30)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.capabilities import capabilities
from contracts.certification.client import CertificationClient
from contracts.certification.schemas import CertificationSummary
from contracts.registration.schemas import AccountView
from servicekit.errors import Conflict
from services.registration.accounts import repository
from services.registration.accounts.models import Account, Document
from services.registration.accounts.schemas import (
    AccountDetail,
    CertificationBlock,
    DocumentOut,
    LifecycleBlock,
    NextAllowed,
    ProfileOut,
    RegionOut,
    ReviewBlock,
    SearchHit,
    SearchResult,
    SubjectOut,
)
from services.registration.lifecycle.service import lifecycle_of
from services.registration.peers import Peers
from services.registration.review import repository as reviews
from services.registration.review.models import Review
from services.registration.rules import add_one_month

SEARCH_LIMIT = 20
REGISTRATION_LIMIT = timedelta(days=80)  # the deadlines shown by R-DER-07 (§6.2: 80 days to finish)
INACTIVITY_LIMIT = timedelta(days=210)  # (§6.2: 210 days without login)


async def certification_of(client: CertificationClient | None, account: Account) -> CertificationSummary:
    """Certification only exists for approved accounts; ask the certification service then."""
    if client is None or account.appid is None:
        return CertificationSummary(account_id=account.id, certified=False)
    return await client.summary(account.id)


def account_view(account: Account, certified: bool) -> AccountView:
    return AccountView(
        account_id=account.id,
        namespace=account.namespace,
        status=account.status,
        type=account.type,
        appid=account.appid,
        original_id=account.original_id,
        name=account.name,
        certified=certified,
        capabilities=capabilities(account.type, certified, account.status),
        login_email=account.email,
        phone=account.operator_phone,
        operator_wechat=account.admin_wechat,
        terminated_at=account.terminated_at,
    )


async def view_of(account: Account, peers: Peers) -> AccountView:
    """The account as other services see it, certification asked of its service."""
    summary = await certification_of(peers.certification, account)
    return account_view(account, summary.certified)


def current_step(account: Account) -> int:
    """The wizard step the operator is on (1–5); 5 once step 5 is submitted (review shows the rest)."""
    if account.status == "email_unverified":
        return 2
    if account.status == "rejected":
        return 4
    if account.profile_submitted_at is not None or account.status in ("in_review", "approved"):
        return 5
    if account.type is None:
        return 3
    if account.subject_submitted_at is None:
        return 4
    return 5


def registration_expires_at(account: Account) -> datetime | None:
    if account.status in ("approved", "terminated"):
        return None
    return account.created_at + REGISTRATION_LIMIT


def deregistration_due_at(account: Account) -> datetime | None:
    if account.status != "approved" or account.approved_at is None:
        return None
    start = max(account.approved_at, account.last_login_at or account.approved_at)
    return start + INACTIVITY_LIMIT


def _document(doc: Document | None) -> DocumentOut | None:
    if doc is None:
        return None
    return DocumentOut(format=doc.format, size=doc.size, sha256=doc.sha256, uploaded_at=doc.uploaded_at)


def review_block(review: Review | None) -> ReviewBlock:
    if review is None:
        return ReviewBlock(review_id=None, status=None, submitted_at=None, deadline=None, reason=None)
    return ReviewBlock(
        review_id=review.id,
        status=review.status,
        submitted_at=review.submitted_at,
        deadline=review.deadline,
        decided_at=review.decided_at,
        reason=review.reason,
    )


def certification_block(summary: CertificationSummary) -> CertificationBlock:
    return CertificationBlock(
        certified=summary.certified,
        certified_name=summary.certified_name,
        certification_text=summary.certification_text,
        certified_at=summary.certified_at,
        expires_at=summary.expires_at,
        pending=summary.pending,
    )


def account_detail(
    account: Account,
    *,
    review: Review | None,
    certification: CertificationSummary,
    documents: dict[str, Document],
    next_allowed_at: NextAllowed,
    lifecycle: LifecycleBlock,
) -> AccountDetail:
    """`GET /api/v1/account`: every field of SPEC §7.1."""
    return AccountDetail(
        account_id=account.id,
        namespace=account.namespace,
        status=account.status,
        step=current_step(account),
        type=account.type,
        subject=SubjectOut(
            subject_type=account.subject_type,
            government_name=account.government_name,
            operator_name=account.operator_name,
            operator_id_number=account.operator_id_number,
            operator_phone=account.operator_phone,
            authorization_letter=_document(documents.get("authorization_letter")),
            operator_photo=_document(documents.get("operator_photo")),
            submitted_at=account.subject_submitted_at,
        ),
        profile=ProfileOut(
            name=account.name,
            intro=account.intro,
            region=RegionOut(
                country=account.region_country,
                province=account.region_province,
                city=account.region_city,
            ),
            language=account.language,
            category=account.category,
            avatar=_document(documents.get("avatar")),
            submitted_at=account.profile_submitted_at,
        ),
        review=review_block(review),
        certification=certification_block(certification),
        capabilities=capabilities(account.type, certification.certified, account.status),
        appid=account.appid,
        original_id=account.original_id,
        created_at=account.created_at,
        activated_at=account.activated_at,
        approved_at=account.approved_at,
        last_login_at=account.last_login_at,
        registration_expires_at=registration_expires_at(account),
        deregistration_due_at=deregistration_due_at(account),
        lifecycle=lifecycle,
        login_email=account.email,
        wechat_id=account.wechat_id,
        admin_wechat=account.admin_wechat,
        next_allowed_at=next_allowed_at,
        terminated_at=account.terminated_at,
        termination_reason=account.termination_reason,
    )


def next_allowed(changed_at: datetime | None) -> datetime | None:
    """R-REG-32: when a setting changed at `changed_at` may change again."""
    return add_one_month(changed_at) if changed_at is not None else None


async def detail(session: AsyncSession, account: Account, peers: Peers) -> AccountDetail:
    return account_detail(
        account,
        review=await reviews.latest_review(session, account.id),
        certification=await certification_of(peers.certification, account),
        documents=await repository.documents_of(session, account.id),
        next_allowed_at=NextAllowed(
            login_email=next_allowed(account.login_email_changed_at),
            avatar=next_allowed(account.avatar_changed_at),
        ),
        lifecycle=await lifecycle_of(account, peers.scheduler),
    )


async def search(session: AsyncSession, *, q: str, namespace: str, peers: Peers) -> SearchResult:
    """R-REG-30 / R-REG-19: approved, non-terminated accounts only; certified ones marked."""
    rows = await repository.search_approved(session, q=q.strip(), namespace=namespace, limit=SEARCH_LIMIT)
    certified: dict[str, CertificationSummary] = {}
    if peers.certification is not None and rows:
        certified = await peers.certification.summaries([a.id for a in rows])
    return SearchResult(
        items=[
            SearchHit(
                appid=a.appid,
                name=a.name,
                intro=a.intro,
                certified=a.id in certified and certified[a.id].certified,
                certified_name=certified[a.id].certified_name if a.id in certified else None,
                certification_text=certified[a.id].certification_text if a.id in certified else None,
            )
            for a in rows
        ]
    )


async def claim_email(session: AsyncSession, address: str, *, now: datetime, field: str) -> None:
    """R-REG-01: take `address` for this transaction, or 409 while a live account holds it.

    Unactivated accounts past their 48 h hold it no longer (terminated at expiry first, R-REG-06).
    """
    await repository.advisory_lock(session, f"email:{address.lower()}")
    await repository.expire_unactivated(session, email=address, now=now)
    if await repository.live_account_by_email(session, address) is not None:
        raise Conflict("该邮箱已被占用", field=field, code="email_taken")
