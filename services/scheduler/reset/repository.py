"""Every SQL statement of the reset: emptying the scheduler's own tables."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.scheduler.base import Base


async def truncate_own_tables(session: AsyncSession) -> int:
    """Empty every table of the scheduler schema (the schema and its migrations stay)."""
    tables = Base.metadata.sorted_tables
    if tables:
        names = ", ".join(f'"{t.schema}"."{t.name}"' for t in tables)
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return len(tables)
