"""`/cgi-bin/menu/*` and `get_current_selfmenu_info`. Who may call them is the §5.4
custom-menu capability, checked by `CgiAccount` (not uncertified subscription accounts → 48001)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from servicekit.reads import read_connection
from services.messaging.dependencies import CgiAccount
from services.messaging.menus import service

router = APIRouter(prefix="/cgi-bin", tags=["cgi-bin: custom menu"])
OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@router.post("/menu/create")
async def create_menu(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await service.create_menu(session, account=account, body=await cgi_json(request))
    return OK


@router.get("/menu/get")
async def get_menu(request: Request, account: CgiAccount) -> dict[str, Any]:
    # A hot read (clients poll it): a read connection, not the session's unit of work.
    async with read_connection(request) as conn:
        return await service.menu(conn, account=account)


@router.get("/menu/delete")
async def delete_menu(account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await service.delete_menu(session, account=account)
    return OK


@router.get("/get_current_selfmenu_info")
async def current_selfmenu_info(account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await service.selfmenu_info(session, account=account)
