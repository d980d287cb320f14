"""The clock hook's certification transitions (R-CER-07): the expiring notices 90 and 30 days before
`expires_at`, then the lapse at it — set-based, idempotent, each event at its own virtual moment."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.lifecycle import ClockEvent, ClockHookRequest, clock_event
from services.certification.certifications import repository, rules
from services.certification.certifications import service as granted
from services.certification.notices import service as notices


async def expiring_notices(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
    at = request.to if request.namespace is not None else None
    events: list[ClockEvent] = []
    for days in rules.EXPIRING_NOTICE_DAYS:
        for row in await repository.mark_expiring(session, days=days, at=at, namespace=request.namespace):
            moment = row.expires_at - timedelta(days=days)
            data = {"days_left": days, "expires_at": row.expires_at}
            notices.notify(
                session,
                granted.recipient(row),
                kind=notices.EXPIRING,
                name=row.certified_name,
                at=moment,
                data=data,
            )
            events.append(
                clock_event(
                    moment,
                    "certification",
                    notices.EXPIRING,
                    row.account_id,
                    data={"days_left": days, "expires_at": row.expires_at.isoformat()},
                )
            )
    return events


async def lapse_expired(session: AsyncSession, request: ClockHookRequest) -> list[ClockEvent]:
    at = request.to if request.namespace is not None else None
    events = []
    for row in await repository.lapse_due(session, at=at, namespace=request.namespace):
        granted.expired_notice(session, row)
        events.append(
            clock_event(
                row.expires_at,
                "certification",
                notices.EXPIRED,
                row.account_id,
                data={"expires_at": row.expires_at.isoformat(), "certified_name": row.certified_name},
            )
        )
    return events
