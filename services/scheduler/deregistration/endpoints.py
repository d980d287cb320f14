"""Deregistration's internal calls: lifecycle facts in (from registration), an account's schedule out."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.scheduler.client import FACTS_PATH, SCHEDULE_PATH
from contracts.scheduler.schemas import DeregistrationSchedule, FactsRecorded, LifecycleFacts
from servicekit.db import SessionDep
from services.scheduler.deregistration import service

internal = APIRouter(tags=["internal"])


@internal.post(FACTS_PATH, response_model=FactsRecorded)
async def record_facts(body: LifecycleFacts, session: SessionDep) -> FactsRecorded:
    """Sign-ups, activations, approvals, logins, terminations and contacts, each applied once by id."""
    return await service.record_facts(session, body.facts)


@internal.get(SCHEDULE_PATH, response_model=DeregistrationSchedule)
async def read_schedule(account_id: str, session: SessionDep) -> DeregistrationSchedule:
    """The notices sent to the account and when the next one is due (R-DER-07)."""
    return await service.schedule_of(session, account_id)
