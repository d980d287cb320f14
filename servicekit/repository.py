"""SQL the app factory runs on a service's behalf: readiness, and emptying its own tables on reset."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


async def truncate_tables(session: AsyncSession, tables: Sequence[Table]) -> int:
    """Empty `tables` in one statement, restarting their identities (the schema and its migrations
    stay); returns how many tables that was."""
    if tables:
        names = ", ".join(f'"{t.schema}"."{t.name}"' for t in tables)
        await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    return len(tables)


async def migration_version(conn: AsyncConnection, schema: str) -> str | None:
    """The alembic revision `schema` is at (the query also proves the database answers)."""
    await conn.execute(text("SELECT 1"))
    version: str | None = (
        await conn.execute(text(f'SELECT version_num FROM "{schema}".alembic_version'))
    ).scalar()
    return version
