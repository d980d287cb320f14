"""Every SQL statement of registration's side of deregistration: terminating a batch, and the
certifications of terminated accounts still to end."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration.accounts.models import Account
from services.registration.review.models import Review
from services.registration.tokens.models import AccessToken

CANCELLED_REASON = "帐号已注销，审核取消"


async def lock_accounts(session: AsyncSession, account_ids: Sequence[str]) -> list[Account]:
    """The accounts, locked FOR UPDATE in id order (every batch locks in the same order) and read fresh."""
    rows = await session.scalars(
        select(Account)
        .where(Account.id.in_(account_ids))
        .order_by(Account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def close_terminated(session: AsyncSession, account_ids: Sequence[str]) -> None:
    """R-DER-01/04: what a termination closes, at each account's own `terminated_at`: a pending review
    is cancelled and access tokens end (the status already refuses them; this makes the end visible
    in the rows too). Operator sessions stay as they were, so they answer 410 with the termination's
    date and reason rather than a plain 401."""
    terminated = Account.status == "terminated"
    await session.execute(
        update(Review)
        .where(
            Review.account_id == Account.id,
            Account.id.in_(account_ids),
            terminated,
            Review.status == "pending",
        )
        .values(
            status="cancelled",
            decided_at=Account.terminated_at,
            decided_by="deregistration",
            reason=CANCELLED_REASON,
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(AccessToken)
        .where(
            AccessToken.account_id == Account.id,
            Account.id.in_(account_ids),
            terminated,
            or_(AccessToken.valid_until.is_(None), AccessToken.valid_until > Account.terminated_at),
        )
        .values(valid_until=func.least(AccessToken.expires_at, Account.terminated_at))
        .execution_options(synchronize_session=False)
    )


async def certifications_to_end(session: AsyncSession, *, limit: int) -> list[Account]:
    """R-CER-08: terminated approved accounts whose certification's end is not yet confirmed, locked
    (skipping those another hook is ending)."""
    rows = await session.scalars(
        select(Account)
        .where(
            Account.status == "terminated",
            Account.appid.is_not(None),
            Account.certification_ended_at.is_(None),
        )
        .order_by(Account.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(rows)
