"""Sandbox settings of a namespace (SPEC §7): the review policy."""

from __future__ import annotations

from fastapi import APIRouter, Request

from contracts.scheduler.client import SETTINGS_PATH
from contracts.scheduler.schemas import SandboxSettings, SettingsUpdate
from servicekit.db import SessionDep
from services.scheduler.dependencies import NamespaceDep
from services.scheduler.settings import service

router = APIRouter(tags=["sandbox"])


@router.get(SETTINGS_PATH, response_model=SandboxSettings)
async def read_settings(request: Request, session: SessionDep, namespace: NamespaceDep) -> SandboxSettings:
    default = request.app.state.settings.review_policy
    return await service.read_settings(session, namespace, default)


@router.put(SETTINGS_PATH, response_model=SandboxSettings)
async def update_settings(
    body: SettingsUpdate, session: SessionDep, namespace: NamespaceDep
) -> SandboxSettings:
    return await service.update_settings(session, namespace, body)
