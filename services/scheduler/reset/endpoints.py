"""`POST /_sandbox/reset`: every service emptied, every clock back to real time."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.scheduler.client import SANDBOX_RESET_PATH
from contracts.scheduler.schemas import ResetDone
from services.scheduler.dependencies import RuntimeDep
from services.scheduler.reset import service

router = APIRouter(tags=["sandbox"])


@router.post(SANDBOX_RESET_PATH, response_model=ResetDone)
async def reset_sandbox(runtime: RuntimeDep) -> ResetDone:
    """Delete all data of every service (schemas stay) and put every clock back to real time."""
    return await service.reset_sandbox(runtime)
