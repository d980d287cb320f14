"""The custom menu (SPEC §5.4): one default menu per account, replaced whole by every menu/create."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import CgiError
from servicekit.reads import ReadConnection
from services.messaging.materials.service import any_permanent_material
from services.messaging.menus import repository, rules


async def create_menu(session: AsyncSession, *, account: AccountView, body: dict[str, Any]) -> None:
    """Check the menu, its media_id buttons against the account's permanent materials, then store it."""
    buttons = rules.check_menu(body)
    for media_id in rules.media_ids(buttons):
        await any_permanent_material(session, account=account, media_id=media_id)
    now = await clock.now(session, account.namespace)
    await repository.replace(session, account.account_id, buttons, now)


async def menu(conn: ReadConnection, *, account: AccountView) -> dict[str, Any]:
    """`menu/get`, on a read connection (`servicekit.reads`); no menu yet → 46003."""
    current = await repository.current_buttons(conn, account.account_id)
    if current is None:
        raise CgiError(46003)
    return rules.as_menu_get(*current)


async def delete_menu(session: AsyncSession, *, account: AccountView) -> None:
    await repository.remove(session, account.account_id)


async def selfmenu_info(session: AsyncSession, *, account: AccountView) -> dict[str, Any]:
    current = await repository.current(session, account.account_id)
    return rules.as_selfmenu_info(current.buttons if current else None)
