"""The account: the operator's view on `/api/v1` and the lookups other services make (contracts)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from contracts.registration.client import ACCOUNT_BY_APPID_PATH, ACCOUNT_PATH
from contracts.registration.schemas import AccountView
from servicekit.db import SessionDep
from servicekit.errors import Forbidden, NotFound
from services.registration.accounts import repository, service
from services.registration.accounts.schemas import AccountDetail, SearchResult
from services.registration.dependencies import CurrentAccount, NamespaceDep, PeersDep

account = APIRouter(prefix="/api/v1", tags=["account"])
internal = APIRouter(tags=["internal"])


@account.get("/account", response_model_exclude_unset=True)  # no review yet: no `review.decided_at`
async def get_account(current: CurrentAccount, session: SessionDep, peers: PeersDep) -> AccountDetail:
    return await service.detail(session, current, peers)


@account.delete("/account")
async def deregister(current: CurrentAccount) -> None:
    """R-REG-33 / FAQ 15: operators cannot deregister."""
    raise Forbidden("公众号暂不支持主动申请注销", code="voluntary_deregistration_unsupported")


@account.get("/accounts/search")
async def search_accounts(
    session: SessionDep,
    namespace: NamespaceDep,
    peers: PeersDep,
    q: str = Query(min_length=1, max_length=64),
) -> SearchResult:
    return await service.search(session, q=q, namespace=namespace, peers=peers)


@internal.get(ACCOUNT_PATH, response_model=AccountView, name="get_account")
async def get_account_by_id(account_id: str, session: SessionDep, peers: PeersDep) -> AccountView:
    found = await repository.get_account(session, account_id)
    if found is None:
        raise NotFound("帐号不存在", code="account_not_found")
    return await service.view_of(found, peers)


@internal.get(ACCOUNT_BY_APPID_PATH, response_model=AccountView)
async def get_account_by_appid(appid: str, session: SessionDep, peers: PeersDep) -> AccountView:
    found = await repository.account_by_appid(session, appid)
    if found is None:
        raise NotFound("帐号不存在", code="account_not_found")
    return await service.view_of(found, peers)
