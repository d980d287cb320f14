"""The clock hook's sign-up transition: activation links running out (R-REG-06)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.registration.accounts import repository as accounts


async def expire_activation_links(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
    """R-REG-06: an account not activated within 48 h is terminated at that moment."""
    at = request.to if request.namespace is not None else None
    expired = await accounts.expire_unactivated(session, now=at, namespace=request.namespace)
    return [
        ClockEvent(at=expired_at, service="registration", kind="activation_expired", account_id=account_id)
        for account_id, expired_at in expired.items()
    ]
