"""`/cgi-bin` user APIs (R-MSG-02), WeChat's paths and shapes; the account is the token's. Tags: `tags/`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from servicekit.reads import read_connection
from services.messaging.dependencies import CgiAccount
from services.messaging.followers import service

router = APIRouter(prefix="/cgi-bin", tags=["cgi-bin: followers and tags"])

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


@router.get("/user/get")
async def get_followers(request: Request, account: CgiAccount) -> dict[str, Any]:
    async with read_connection(request) as conn:
        return await service.follower_list(conn, account, request.query_params.get("next_openid"))


@router.get("/user/info")
async def get_user_info(request: Request, account: CgiAccount) -> dict[str, Any]:
    query = request.query_params
    async with read_connection(request) as conn:
        return await service.user_info(conn, account, query.get("openid"), query.get("lang"))


@router.post("/user/info/batchget")
async def batch_get_user_info(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await service.user_info_batch(session, account, await cgi_json(request))


@router.post("/user/info/updateremark")
async def update_remark(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await service.update_remark(session, account, await cgi_json(request))
    return OK
