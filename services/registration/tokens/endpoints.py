"""Tokens: WeChat's token endpoints (SPEC §3.3), operator sessions, and the gateway's introspection."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from contracts.registration.client import SESSION_INTROSPECT_PATH, TOKEN_INTROSPECT_PATH
from contracts.registration.identity import account_from_request
from contracts.registration.schemas import Introspection
from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from servicekit.errors import CgiError
from services.registration.dependencies import (
    PasswordsDep,
    PeersDep,
    SettingsDep,
    bearer_token,
)
from services.registration.errors import terminated_error
from services.registration.tokens import service, sessions
from services.registration.tokens.schemas import LoginBody, SessionOut

cgi = APIRouter(tags=["cgi-bin"])
operator_sessions = APIRouter(prefix="/api/v1", tags=["registration"])
internal = APIRouter(tags=["internal"])


@cgi.get("/cgi-bin/token")
async def get_token(
    session: SessionDep,
    grant_type: str | None = None,
    appid: str | None = None,
    secret: str | None = None,
) -> dict[str, Any]:
    issued = await service.issue_token(session, grant_type=grant_type, appid=appid, secret=secret)
    return issued.body()


@cgi.post("/cgi-bin/stable_token")
async def stable_token(request: Request, session: SessionDep) -> dict[str, Any]:
    issued = await service.issue_stable_token(session, await cgi_json(request))
    return issued.body()


@cgi.get("/cgi-bin/getcallbackip")
async def callback_ips(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """The sandbox's push source addresses; the gateway has checked the token (X-Sandbox-Account)."""
    if account_from_request(request) is None:
        raise CgiError(41001)
    return {"ip_list": list(settings.callback_ips)}


@operator_sessions.post("/sessions", status_code=201)
async def login(body: LoginBody, session: SessionDep, passwords: PasswordsDep) -> SessionOut:
    return await sessions.login(session, email=body.email, password=body.password, passwords=passwords)


@operator_sessions.delete("/sessions", status_code=204)
async def logout(request: Request, session: SessionDep) -> Response:
    await sessions.logout(session, token=bearer_token(request))
    return Response(status_code=204)


@internal.get(TOKEN_INTROSPECT_PATH, response_model=None)
async def introspect_token(
    session: SessionDep, peers: PeersDep, access_token: str | None = None
) -> dict[str, Any]:
    """200 with {account, ttl} for a usable token, else 200 with WeChat's {errcode, errmsg}."""
    check = await service.check_token(session, access_token)
    if check.account is None:
        return check.error_body()
    answer = await service.introspection(session, check.account, peers, check.ttl)
    return answer.model_dump(mode="json")


@internal.get(SESSION_INTROSPECT_PATH, response_model=Introspection)
async def introspect_session(request: Request, session: SessionDep, peers: PeersDep) -> Introspection:
    """200 with {account, ttl} for a live operator session, 410 `account_terminated` (with
    `terminated_at` and `reason`, R-DER-04) for a terminated account's, else 401."""
    account, ttl = await sessions.session_account(session, bearer_token(request))
    if account.status == "terminated":
        raise terminated_error(account)
    return await service.introspection(session, account, peers, ttl)
