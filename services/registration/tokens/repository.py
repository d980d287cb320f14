"""Every SQL statement about operator sessions and access tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration.tokens.models import AccessToken, OperatorSession


async def operator_session(session: AsyncSession, token_hash: str) -> OperatorSession | None:
    return await session.scalar(select(OperatorSession).where(OperatorSession.token_hash == token_hash))


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
