from __future__ import annotations

from fastapi import APIRouter, Request

from contracts.scheduler.client import (
    ADVANCE_PATH,
    CLOCK_PATH,
    FREEZE_PATH,
    SANDBOX_RESET_PATH,
    SETTINGS_PATH,
    UNFREEZE_PATH,
)
from contracts.scheduler.schemas import (
    ClockAdvance,
    ClockAdvanced,
    ClockState,
    ResetDone,
    SandboxSettings,
    SettingsUpdate,
)
from servicekit.db import SessionDep
from services.scheduler import service
from services.scheduler.dependencies import NamespaceDep, RuntimeDep

sandbox = APIRouter(tags=["sandbox"])


@sandbox.get(CLOCK_PATH, response_model=ClockState)
async def read_clock(session: SessionDep, namespace: NamespaceDep) -> dict[str, object]:
    return await service.read_clock(session, namespace)


@sandbox.post(ADVANCE_PATH, response_model=ClockAdvanced)
async def advance_clock(body: ClockAdvance, namespace: NamespaceDep, runtime: RuntimeDep) -> ClockAdvanced:
    """Move the clock forward; every transition due inside the interval happens before the answer."""
    return await service.advance_clock(runtime, namespace, body)


@sandbox.post(FREEZE_PATH, response_model=ClockState)
async def freeze_clock(session: SessionDep, namespace: NamespaceDep) -> dict[str, object]:
    return await service.freeze_clock(session, namespace)


@sandbox.post(UNFREEZE_PATH, response_model=ClockState)
async def unfreeze_clock(session: SessionDep, namespace: NamespaceDep) -> dict[str, object]:
    return await service.unfreeze_clock(session, namespace)


@sandbox.get(SETTINGS_PATH, response_model=SandboxSettings)
async def read_settings(request: Request, session: SessionDep, namespace: NamespaceDep) -> SandboxSettings:
    default = request.app.state.settings.review_policy
    return await service.read_settings(session, namespace, default)


@sandbox.put(SETTINGS_PATH, response_model=SandboxSettings)
async def update_settings(
    body: SettingsUpdate, session: SessionDep, namespace: NamespaceDep
) -> SandboxSettings:
    return await service.update_settings(session, namespace, body)


@sandbox.post(SANDBOX_RESET_PATH, response_model=ResetDone)
async def reset_sandbox(runtime: RuntimeDep) -> ResetDone:
    """Delete all data of every service (schemas stay) and put every clock back to real time."""
    return await service.reset_sandbox(runtime)
