"""`/cgi-bin` user and tag APIs (R-MSG-02), WeChat's paths and shapes; the account is the token's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from servicekit.db import SessionDep
from servicekit.reads import read_connection
from servicekit.routing import cgi_json
from services.messaging.dependencies import CgiAccount
from services.messaging.followers import service, tags

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


@router.post("/tags/create")
async def create_tag(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await tags.create_tag(session, account, await cgi_json(request))


@router.get("/tags/get")
async def get_tags(account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await tags.list_tags(session, account)


@router.post("/tags/update")
async def update_tag(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await tags.update_tag(session, account, await cgi_json(request))
    return OK


@router.post("/tags/delete")
async def delete_tag(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await tags.delete_tag(session, account, await cgi_json(request))
    return OK


@router.post("/tags/members/batchtagging")
async def batch_tagging(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await tags.tag_members(session, account, await cgi_json(request))
    return OK


@router.post("/tags/members/batchuntagging")
async def batch_untagging(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    await tags.untag_members(session, account, await cgi_json(request))
    return OK


@router.post("/user/tag/get")
async def get_tag_followers(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await tags.tag_followers(session, account, await cgi_json(request))


@router.post("/tags/getidlist")
async def get_follower_tag_ids(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    return await tags.follower_tag_ids(session, account, await cgi_json(request))
