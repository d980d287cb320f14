"""Reading and changing a namespace's sandbox settings (kept beside its clock, in `servicekit.clock`)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.scheduler.schemas import SandboxSettings, SettingsUpdate
from servicekit import clock


async def read_settings(session: AsyncSession, namespace: str, default_policy: str) -> SandboxSettings:
    policy = await clock.review_policy(session, namespace, default_policy)
    return SandboxSettings(namespace=namespace, review_policy=policy)


async def update_settings(session: AsyncSession, namespace: str, body: SettingsUpdate) -> SandboxSettings:
    await clock.set_review_policy(session, namespace, body.review_policy)
    return SandboxSettings(namespace=namespace, review_policy=body.review_policy)
