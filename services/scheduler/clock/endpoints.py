"""The clock API (SPEC §6.1): read, advance, freeze and unfreeze a namespace's clock."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.scheduler.client import ADVANCE_PATH, CLOCK_PATH, FREEZE_PATH, UNFREEZE_PATH
from contracts.scheduler.schemas import ClockAdvance, ClockAdvanced, ClockState
from servicekit.db import SessionDep
from services.scheduler.clock import service
from services.scheduler.dependencies import NamespaceDep, RuntimeDep

router = APIRouter(tags=["sandbox"])


@router.get(CLOCK_PATH, response_model=ClockState)
async def read_clock(session: SessionDep, namespace: NamespaceDep) -> ClockState:
    return await service.read_clock(session, namespace)


@router.post(ADVANCE_PATH, response_model=ClockAdvanced)
async def advance_clock(body: ClockAdvance, namespace: NamespaceDep, runtime: RuntimeDep) -> ClockAdvanced:
    """Move the clock forward; every transition due inside the interval happens before the answer."""
    return await service.advance_clock(runtime, namespace, body)


@router.post(FREEZE_PATH, response_model=ClockState)
async def freeze_clock(session: SessionDep, namespace: NamespaceDep) -> ClockState:
    return await service.freeze_clock(session, namespace)


@router.post(UNFREEZE_PATH, response_model=ClockState)
async def unfreeze_clock(session: SessionDep, namespace: NamespaceDep) -> ClockState:
    return await service.unfreeze_clock(session, namespace)
