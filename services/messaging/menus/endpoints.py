"""`/cgi-bin/menu/*` and `get_current_selfmenu_info` (R-PUSH-03). Who may call them is the §5.4
custom-menu capability, checked by `CgiAccount` (not uncertified subscription accounts → 48001)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from servicekit import clock
from servicekit.db import SessionDep
from servicekit.errors import CgiError
from servicekit.reads import read_connection
from servicekit.routing import cgi_json
from services.messaging.dependencies import CgiAccount
from services.messaging.materials.models import Material
from services.messaging.materials.service import find_material
from services.messaging.menus import repository, rules

router = APIRouter(prefix="/cgi-bin", tags=["cgi-bin: custom menu"])
OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@router.post("/menu/create")
async def create_menu(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    buttons = rules.check_menu(await cgi_json(request))
    for media_id in rules.media_ids(buttons):
        # A media_id button shows one of the account's permanent materials.
        await find_material(session, account=account, media_id=media_id, where=Material.permanent.is_(True))
    now = await clock.now(session, account.namespace)
    await repository.replace(session, account.account_id, buttons, now)
    return OK


@router.get("/menu/get")
async def get_menu(request: Request, account: CgiAccount) -> dict[str, Any]:
    async with read_connection(request) as conn:
        menu = await repository.current_buttons(conn, account.account_id)
    if menu is None:
        raise CgiError(46003)
    return rules.as_menu_get(*menu)


@router.get("/menu/delete")
async def delete_menu(account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await repository.remove(session, account.account_id)
    return OK


@router.get("/get_current_selfmenu_info")
async def current_selfmenu_info(account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    menu = await repository.current(session, account.account_id)
    return rules.as_selfmenu_info(menu.buttons if menu else None)
