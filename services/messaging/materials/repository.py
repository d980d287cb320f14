"""Every SQL statement on `messaging.materials`. Lookups are always scoped to one account."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from services.messaging.materials.models import Material


def alive(now: datetime) -> ColumnElement[bool]:
    """Permanent, or temporary and not yet past its 3 days of sandbox time."""
    return or_(Material.expires_at.is_(None), Material.expires_at > now)


async def add(session: AsyncSession, material: Material) -> Material:
    session.add(material)
    await session.flush()
    return material


async def find(
    session: AsyncSession,
    *,
    account_id: str,
    media_id: str,
    now: datetime,
    where: ColumnElement[bool] | None = None,
    with_data: bool = False,
) -> Material | None:
    """The account's live material with this id (and matching `where`), else None."""
    query = select(Material).where(
        Material.media_id == media_id, Material.account_id == account_id, alive(now)
    )
    if where is not None:
        query = query.where(where)
    if with_data:
        query = query.options(undefer(Material.data))
    return (await session.execute(query)).scalar_one_or_none()


async def remove(session: AsyncSession, *, account_id: str, media_id: str) -> None:
    await session.execute(
        delete(Material).where(Material.media_id == media_id, Material.account_id == account_id)
    )


async def count_permanent(session: AsyncSession, *, account_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Material.type, func.count())
        .where(Material.account_id == account_id, Material.permanent.is_(True))
        .group_by(Material.type)
    )
    return {kind: count for kind, count in rows}


async def page_permanent(
    session: AsyncSession,
    *,
    account_id: str,
    types: Sequence[str],
    offset: int,
    limit: int,
) -> tuple[int, list[Material]]:
    """Newest first: (total of these types, one page of them)."""
    where = (
        Material.account_id == account_id,
        Material.permanent.is_(True),
        Material.type.in_(types),
    )
    total = await session.scalar(select(func.count()).select_from(Material).where(*where))
    rows = await session.execute(
        select(Material)
        .where(*where)
        .order_by(Material.created_at.desc(), Material.media_id)
        .offset(offset)
        .limit(limit)
    )
    return int(total or 0), list(rows.scalars())
