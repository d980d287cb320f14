"""Internal endpoints for the gateway and the other services (contracts/registration/client.py)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from contracts.registration.client import (
    ACCOUNT_BY_APPID_PATH,
    ACCOUNT_PATH,
    SESSION_INTROSPECT_PATH,
    TOKEN_INTROSPECT_PATH,
)
from contracts.registration.schemas import AccountView, Introspection
from servicekit.db import SessionDep
from servicekit.errors import NotFound, Unauthorized
from services.registration import repository, service_tokens
from services.registration.dependencies import PeersDep, bearer_token, session_account
from services.registration.models import Account
from services.registration.views import account_view, certification_of

internal = APIRouter(tags=["internal"])


async def _view(account: Account, peers: PeersDep) -> AccountView:
    summary = await certification_of(peers.certification, account)
    return account_view(account, summary.certified)


@internal.get(TOKEN_INTROSPECT_PATH, response_model=None)
async def introspect_token(
    session: SessionDep, peers: PeersDep, access_token: str | None = None
) -> dict[str, Any]:
    """200 with {account, ttl} for a usable token, else 200 with WeChat's {errcode, errmsg}."""
    check = await service_tokens.check_token(session, access_token)
    if check.account is None:
        return check.error_body()
    view = await _view(check.account, peers)
    return Introspection(account=view, ttl=check.ttl).model_dump(mode="json")


@internal.get(SESSION_INTROSPECT_PATH, response_model=Introspection)
async def introspect_session(request: Request, session: SessionDep, peers: PeersDep) -> Introspection:
    """200 with {account, ttl} for a live operator session, else 401."""
    account, ttl = await session_account(session, bearer_token(request))
    if account.status == "terminated":
        raise Unauthorized("该帐号已被注销", code="account_terminated")
    return Introspection(account=await _view(account, peers), ttl=ttl)


@internal.get(ACCOUNT_PATH, response_model=AccountView)
async def get_account(account_id: str, session: SessionDep, peers: PeersDep) -> AccountView:
    account = await repository.get_account(session, account_id)
    if account is None:
        raise NotFound("帐号不存在", code="account_not_found")
    return await _view(account, peers)


@internal.get(ACCOUNT_BY_APPID_PATH, response_model=AccountView)
async def get_account_by_appid(appid: str, session: SessionDep, peers: PeersDep) -> AccountView:
    account = await repository.account_by_appid(session, appid)
    if account is None:
        raise NotFound("帐号不存在", code="account_not_found")
    return await _view(account, peers)
