"""Every SQL statement about captchas, activation links and SMS codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration.accounts.models import Account
from services.registration.signup.models import ActivationToken, Captcha, SmsCode


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
