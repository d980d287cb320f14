"""WeChat-compatible token endpoints (SPEC §3.3; reference §1)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contracts.registration.identity import account_from_request
from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from servicekit.errors import CgiError
from services.registration import service_tokens
from services.registration.dependencies import SettingsDep

cgi = APIRouter(tags=["cgi-bin"])


@cgi.get("/cgi-bin/token")
async def get_token(
    session: SessionDep,
    grant_type: str | None = None,
    appid: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    issued = await service_tokens.issue_token(session, grant_type=grant_type, appid=appid, secret=secret)
    return issued.body()


@cgi.post("/cgi-bin/stable_token")
async def stable_token(request: Request, session: SessionDep) -> dict[str, Any]:
    issued = await service_tokens.issue_stable_token(session, await cgi_json(request))
    return issued.body()


@cgi.get("/cgi-bin/getcallbackip")
async def callback_ips(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The sandbox's push source addresses; the gateway has checked the token (X-Sandbox-Account)."""
    if account_from_request(request) is None:
        raise CgiError(41001)
    return {"ip_list": list(settings.callback_ips)}
