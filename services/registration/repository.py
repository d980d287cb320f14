"""Every SQL statement of the registration service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration.models import (
    AccessToken,
    Account,
    ActivationToken,
    Captcha,
    Document,
    OperatorSession,
    Review,
    SmsCode,
)

LIVE = Account.status != "terminated"


async def get_account(session: AsyncSession, account_id: str, *, lock: bool = False) -> Account | None:
    stmt = select(Account).where(Account.id == account_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def account_by_appid(session: AsyncSession, appid: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.appid == appid))


async def live_account_by_email(session: AsyncSession, email: str, *, lock: bool = False) -> Account | None:
    stmt = select(Account).where(func.lower(Account.email) == email.lower(), LIVE)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def latest_terminated_by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(
        select(Account)
        .where(func.lower(Account.email) == email.lower(), Account.status == "terminated")
        .order_by(Account.terminated_at.desc().nulls_last())
        .limit(1)
    )


async def expire_unactivated(session: AsyncSession, *, email: str | None, now: datetime) -> list[str]:
    """R-REG-06: unactivated accounts past their 48 h stop blocking the e-mail (terminated at expiry)."""
    stmt = (
        update(Account)
        .where(Account.status == "email_unverified", Account.activation_expires_at <= now)
        .values(
            status="terminated",
            terminated_at=Account.activation_expires_at,
            termination_reason="激活链接已过期（48小时），需重新注册",
        )
        .returning(Account.id)
    )
    if email is not None:
        stmt = stmt.where(func.lower(Account.email) == email.lower())
    return list((await session.execute(stmt)).scalars())


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Serialise transactions on one business key until commit (R-REG-14 counts, SMS sends)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


async def count_live_with(
    session: AsyncSession, column: str, value: str, *, namespace: str, exclude: str
) -> int:
    """Non-terminated accounts of `namespace` registered with this ID number or phone (R-REG-14)."""
    col = {"id_number": Account.operator_id_number, "phone": Account.operator_phone}[column]
    count = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(col == value, Account.namespace == namespace, LIVE, Account.id != exclude)
    )
    return int(count or 0)


# --- captchas, activation tokens, SMS codes, sessions ---


async def get_captcha(session: AsyncSession, captcha_id: str, *, lock: bool = False) -> Captcha | None:
    stmt = select(Captcha).where(Captcha.id == captcha_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def activation_token(session: AsyncSession, token_hash: str) -> ActivationToken | None:
    return await session.scalar(
        select(ActivationToken).where(ActivationToken.token_hash == token_hash).with_for_update()
    )


async def void_activation_tokens(session: AsyncSession, account_id: str, now: datetime) -> None:
    await session.execute(
        update(ActivationToken)
        .where(
            ActivationToken.account_id == account_id,
            ActivationToken.used_at.is_(None),
            ActivationToken.voided_at.is_(None),
        )
        .values(voided_at=now)
    )


async def count_resends_since(session: AsyncSession, account_id: str, since: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ActivationToken)
        .where(
            ActivationToken.account_id == account_id,
            ActivationToken.is_resend.is_(True),
            ActivationToken.created_at >= since,
        )
    )
    return int(count or 0)


async def sms_sends(
    session: AsyncSession, phone: str, *, namespace: str, since: datetime
) -> Sequence[datetime]:
    """When codes were sent to `phone` by accounts of `namespace` since `since`, newest first."""
    rows = await session.scalars(
        select(SmsCode.created_at)
        .join(Account, Account.id == SmsCode.account_id)
        .where(SmsCode.phone == phone, Account.namespace == namespace, SmsCode.created_at >= since)
        .order_by(SmsCode.created_at.desc())
    )
    return list(rows)


async def latest_sms_code(session: AsyncSession, account_id: str, phone: str) -> SmsCode | None:
    return await session.scalar(
        select(SmsCode)
        .where(SmsCode.account_id == account_id, SmsCode.phone == phone)
        .order_by(SmsCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )


async def operator_session(session: AsyncSession, token_hash: str) -> OperatorSession | None:
    return await session.scalar(select(OperatorSession).where(OperatorSession.token_hash == token_hash))


# --- reviews ---


async def latest_review(session: AsyncSession, account_id: str) -> Review | None:
    return await session.scalar(
        select(Review).where(Review.account_id == account_id).order_by(Review.submitted_at.desc()).limit(1)
    )


async def reviews_of(session: AsyncSession, account_id: str) -> Sequence[Review]:
    rows = await session.scalars(
        select(Review).where(Review.account_id == account_id).order_by(Review.submitted_at)
    )
    return list(rows)


async def get_review(session: AsyncSession, review_id: str, *, lock: bool = False) -> Review | None:
    """A review; with `lock`, its row FOR UPDATE and the freshly read state (lock its account first)."""
    stmt = select(Review).where(Review.id == review_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def list_reviews(
    session: AsyncSession, *, kind: str | None, status: str | None, namespace: str | None
) -> Sequence[Review]:
    stmt = select(Review).order_by(Review.submitted_at)
    if kind:
        stmt = stmt.where(Review.kind == kind)
    if status:
        stmt = stmt.where(Review.status == status)
    if namespace:
        stmt = stmt.where(Review.namespace == namespace)
    return list(await session.scalars(stmt.limit(1000)))


# --- access tokens ---


async def access_token(session: AsyncSession, token_hash: str) -> AccessToken | None:
    return await session.scalar(select(AccessToken).where(AccessToken.token_hash == token_hash))


async def current_stable_token(session: AsyncSession, account_id: str) -> AccessToken | None:
    return await session.scalar(
        select(AccessToken)
        .where(AccessToken.account_id == account_id, AccessToken.pool == "stable")
        .order_by(AccessToken.issued_at.desc())
        .limit(1)
    )


async def forced_stable_refreshes_since(session: AsyncSession, account_id: str, since: datetime) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AccessToken)
        .where(
            AccessToken.account_id == account_id,
            AccessToken.pool == "stable",
            AccessToken.forced.is_(True),
            AccessToken.issued_at >= since,
        )
    )
    return int(count or 0)


async def replace_tokens(session: AsyncSession, account_id: str, pool: str, valid_until: datetime) -> None:
    """A newer token of the pool exists: older ones stay valid until `valid_until` at most."""
    await session.execute(
        update(AccessToken)
        .where(
            AccessToken.account_id == account_id,
            AccessToken.pool == pool,
            AccessToken.valid_until.is_(None),
        )
        .values(valid_until=func.least(AccessToken.expires_at, valid_until))
    )


# --- documents, search ---


async def documents_of(session: AsyncSession, account_id: str) -> dict[str, Document]:
    rows = await session.scalars(select(Document).where(Document.account_id == account_id))
    return {d.kind: d for d in rows}


async def put_document(session: AsyncSession, document: Document) -> None:
    await session.merge(document)


async def search_approved(session: AsyncSession, *, q: str, namespace: str, limit: int) -> Sequence[Account]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(Account)
        .where(
            Account.status == "approved",
            Account.namespace == namespace,
            Account.name.ilike(pattern, escape="\\"),
        )
        .order_by(Account.approved_at)
        .limit(limit)
    )
    return list(rows)


async def wechat_id_taken(session: AsyncSession, wechat_id: str) -> bool:
    found = await session.scalar(select(Account.id).where(func.lower(Account.wechat_id) == wechat_id.lower()))
    return found is not None
