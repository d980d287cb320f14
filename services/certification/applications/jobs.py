"""The clock hook's review decisions: `at_deadline` applications approved at their deadline (R-CER-05),
set-based (one locking read, one grant statement, one update) and idempotent (driven by state)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.lifecycle import ClockEvent, ClockHookRequest, clock_event
from services.certification.applications import repository
from services.certification.applications import service as approvals
from services.certification.certifications import repository as certifications
from services.certification.certifications import service as granted
from services.certification.notices import service as notices


async def approve_due(
    session: AsyncSession, request: ClockHookRequest, *, default_policy: str
) -> list[ClockEvent]:
    """Pending applications past their deadline under `at_deadline`, approved at the deadline.

    Per name only the earliest is approved in one pass (R-CER-04: two pending applications for one
    name; the later stays pending for the reviewer to reject)."""
    at = request.to if request.namespace is not None else None
    due = await repository.lock_due(
        session, at=at, namespace=request.namespace, default_policy=default_policy
    )
    chosen, names = [], set()
    for application in due:
        key = (application.namespace, application.certified_name)
        if key not in names:
            names.add(key)
            chosen.append(application)
    if not chosen:
        return []
    current = await certifications.get_many(session, [a.account_id for a in chosen])
    grants = []
    for application in chosen:
        old = current.get(application.account_id)
        old_expiry = old.expires_at if old is not None and old.status in ("active", "lapsed") else None
        grants.append(granted.grant_values(application, at=application.deadline, old_expiry=old_expiry))
    await certifications.grant_many(session, grants)
    await repository.mark_approved_at_deadline(session, [a.id for a in chosen])
    events = []
    for application, values in zip(chosen, grants, strict=True):
        expires_at = values["expires_at"]
        assert isinstance(expires_at, datetime)
        approvals.mark_approved(
            session, application, at=application.deadline, decided_by="deadline", expires_at=expires_at
        )
        events.append(
            clock_event(
                application.deadline,
                "certification",
                notices.APPROVED,
                application.account_id,
                data={
                    "certification_id": application.id,
                    "certified_name": application.certified_name,
                    "kind": application.kind,
                    "expires_at": expires_at.isoformat(),
                },
            )
        )
    await session.flush()
    return events
