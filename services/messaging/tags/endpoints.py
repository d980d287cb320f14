"""`/cgi-bin` tag APIs (R-MSG-02), WeChat's paths and shapes; the account is the token's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from services.messaging.dependencies import CgiAccount
from services.messaging.tags import service as tags

router = APIRouter(prefix="/cgi-bin", tags=["cgi-bin: followers and tags"])

OK: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}


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
