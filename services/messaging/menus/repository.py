"""Every SQL statement on `messaging.menus`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit.reads import ReadConnection
from services.messaging.menus.models import Menu

CURRENT_BUTTONS_SQL = "SELECT buttons, menuid FROM messaging.menus WHERE account_id = $1"


async def replace(
    session: AsyncSession, account_id: str, buttons: list[dict[str, Any]], now: datetime
) -> None:
    """The account's menu becomes `buttons`, with a new menuid (one upsert: concurrent creates serialise)."""
    stmt = insert(Menu).values(account_id=account_id, buttons=buttons, created_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Menu.account_id],
        set_={
            "buttons": stmt.excluded.buttons,
            "created_at": stmt.excluded.created_at,
            "menuid": text("nextval(pg_get_serial_sequence('messaging.menus', 'menuid'))"),
        },
    )
    await session.execute(stmt)


async def current(session: AsyncSession, account_id: str) -> Menu | None:
    return await session.scalar(select(Menu).where(Menu.account_id == account_id))


async def remove(session: AsyncSession, account_id: str) -> None:
    await session.execute(delete(Menu).where(Menu.account_id == account_id))


async def current_buttons(conn: ReadConnection, account_id: str) -> tuple[list[dict[str, Any]], int] | None:
    """`current`'s buttons and menuid on a read connection (menu/get, a hot read)."""
    row = await conn.fetchrow(CURRENT_BUTTONS_SQL, account_id)
    if row is None:
        return None
    buttons = row["buttons"]
    return (json.loads(buttons) if isinstance(buttons, str) else buttons), row["menuid"]
