"""Who is calling, and may they: the account the gateway resolved, and the §5.4 capability checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from contracts.capabilities import MASS_SEND_HELPER_PATHS, Capability, required_capability
from contracts.registration.client import RegistrationClient
from contracts.registration.identity import account_from_request
from contracts.registration.schemas import AccountView
from servicekit.app import peer
from servicekit.errors import CgiError, Forbidden, NotFound, SandboxError

MASS_API_PREFIX = "/cgi-bin/message/mass/"


async def cgi_account(request: Request) -> AccountView:
    """The account behind the access token (`/cgi-bin`), allowed to call this path (SPEC §5.4).

    The gateway has checked the token. The path decides the rule: the nine advanced interfaces and
    the custom menu need their capability; mass APIs and their upload helpers need a certified
    account (R-MSG-25); every other call an approved one.
    """
    account = account_from_request(request)
    if account is None:
        raise CgiError(41001)
    path = request.url.path
    capability = required_capability(path)
    if capability is not None:
        require_capability(account, capability)
    elif path.startswith(MASS_API_PREFIX) or path.startswith(MASS_SEND_HELPER_PATHS):
        require_capability(account, Capability.MASS_SEND)
        if not account.certified:
            raise Forbidden("群发接口需要认证账号", code="certification_required", errcode=48001)
    else:
        require_approved(account)
    return account


CgiAccount = Annotated[AccountView, Depends(cgi_account)]


def require_approved(account: AccountView) -> None:
    """R-MSG-25 / R-REG-19: nothing is published while in review, rejected or terminated."""
    if account.status != "approved":
        raise Forbidden(
            "账号当前状态不允许此操作（审核中、未通过或已注销）",
            code="account_not_approved",
            errcode=48001,
            status_detail=account.status,
        )


def require_capability(account: AccountView, capability: Capability) -> None:
    """SPEC §5.4: a call outside the account's capabilities → 48001 / 403 capability_required."""
    require_approved(account)
    if capability.value not in account.capabilities:
        raise Forbidden(
            f"当前账号类型不具备此能力：{capability.value}",
            code="capability_required",
            errcode=48001,
            capability=capability.value,
        )


def registration_client(request: Request) -> RegistrationClient:
    """Registration's typed client over the shared httpx client from lifespan; made only here."""
    return RegistrationClient(peer(request, "registration"))


RegistrationClientDep = Annotated[RegistrationClient, Depends(registration_client)]


async def account_for_appid(registration: RegistrationClient, appid: str) -> AccountView:
    """Resolve an AppID on the control plane (`/_sandbox/accounts/{appid}/…`); unknown → 404."""
    try:
        return await registration.account_by_appid(appid)
    except SandboxError as exc:
        if exc.instance_status == 404:
            raise NotFound("没有这个 AppID 的账号", code="account_not_found", field="appid") from None
        raise
