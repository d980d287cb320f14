"""R-MSG-23 mass-send quota and the preview allowance, on the account's namespace clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging.schemas import QuotaState
from servicekit.errors import Forbidden
from services.messaging.mass import errors, repository, rules

MASS, PREVIEW = "mass", "preview"


def period_for(account_type: str | None, now: datetime) -> rules.QuotaPeriod:
    try:
        return rules.mass_quota_period(account_type, now)
    except ValueError:
        raise Forbidden("该账号没有群发能力", code="capability_required", errcode=48001) from None


async def take_mass_send(
    session: AsyncSession, *, account_id: str, account_type: str | None, now: datetime
) -> None:
    """Count one accepted send; raises 45028 / 429 with `resets_at` when the period is used up."""
    period = period_for(account_type, now)
    if not await repository.consume(
        session, account_id=account_id, kind=MASS, period=period, account_type=account_type
    ):
        raise errors.quota_exhausted(period.resets_at)


async def take_preview(session: AsyncSession, *, account_id: str, now: datetime) -> None:
    period = rules.preview_period(now)
    if not await repository.consume(
        session, account_id=account_id, kind=PREVIEW, period=period, account_type=None
    ):
        raise errors.preview_limit_reached(period.resets_at)


async def mass_quota_state(
    session: AsyncSession, *, account_id: str, account_type: str | None, now: datetime
) -> QuotaState:
    period = period_for(account_type, now)
    used = await repository.counter_used(session, account_id=account_id, kind=MASS, period_start=period.start)
    return QuotaState(used=used, limit=period.limit, period=period.period, resets_at=period.resets_at)
