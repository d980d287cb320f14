"""The clock hook's review transitions: set-based, idempotent (driven by state), each at its own moment."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.lifecycle import ClockEvent, ClockHookRequest
from services.registration.review import repository


async def approve_due_reviews(
    session: AsyncSession, request: ClockHookRequest, *, default_policy: str
) -> list[ClockEvent]:
    """`at_deadline` policy: pending reviews whose deadline has passed are approved at the deadline."""
    at = request.to if request.namespace is not None else None
    due = await repository.approve_due(
        session, at=at, namespace=request.namespace, default_policy=default_policy
    )
    return [
        ClockEvent(at=deadline, service="registration", kind="registration_approved", account_id=account_id)
        for account_id, deadline in due.items()
    ]
