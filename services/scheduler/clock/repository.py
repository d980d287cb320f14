"""Every SQL statement of the clock API: the advisory locks that make one owner per interval."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def set_lock_timeout(session: AsyncSession, value: str) -> None:
    """`lock_timeout` for the rest of the transaction (`"0"`: wait for ever)."""
    await session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": value})


async def advisory_xact_lock(session: AsyncSession, key: str, *, shared: bool = False) -> None:
    """Wait (within `lock_timeout`) for the transaction-scoped advisory lock named `key`."""
    if shared:
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:k, 0))"), {"k": key}
        )
    else:
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


async def try_advisory_xact_lock(session: AsyncSession, key: str) -> bool:
    """Take the transaction-scoped advisory lock named `key` if it is free at once."""
    return bool(
        await session.scalar(text("SELECT pg_try_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})
    )
