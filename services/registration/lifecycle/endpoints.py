"""The scheduler's call into registration: terminate a batch of accounts (R-DER-04)."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.registration.client import TERMINATIONS_PATH
from contracts.registration.schemas import TerminationBatch, TerminationResults
from servicekit.db import SessionDep
from services.registration.dependencies import PeersDep
from services.registration.lifecycle import service

internal = APIRouter(tags=["internal"])


@internal.post(TERMINATIONS_PATH, response_model=TerminationResults)
async def terminate_accounts(
    body: TerminationBatch, session: SessionDep, peers: PeersDep
) -> TerminationResults:
    """Terminate each account whose cycle ran out, unless registration knows better (an approval or a
    login the scheduler has not heard of yet: `refused`). Repeating a batch changes nothing more."""
    return await service.terminate(session, body, peers)
