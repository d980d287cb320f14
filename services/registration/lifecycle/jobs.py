"""The clock hook's deregistration work in registration: certifications still to end (R-CER-08)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import CertificationClient
from servicekit.lifecycle import ClockEvent
from services.registration.lifecycle import repository, service

BATCH = 500


async def end_pending_certifications(
    session: AsyncSession, certification: CertificationClient | None
) -> list[ClockEvent]:
    """Accounts terminated while certification could not be reached: end their certification now.
    No event: the termination was the event; this only finishes it in certification."""
    while True:
        accounts = await repository.certifications_to_end(session, limit=BATCH)
        if not accounts or await service.end_certifications(session, certification, accounts) < len(accounts):
            return []
