"""Request-scoped inputs of the registration endpoints: settings, namespace, peers, the operator."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from contracts.registration.identity import account_from_request
from servicekit import clock
from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import BadRequest
from services.registration.accounts import repository as accounts
from services.registration.accounts.models import Account
from services.registration.config import RegistrationSettings
from services.registration.credentials import Passwords
from services.registration.errors import terminated_error
from services.registration.peers import Peers, peers_of
from services.registration.tokens.sessions import session_account


# The dependencies that do no I/O are `async def` all the same: FastAPI runs a plain `def` in its
# thread pool, a thread hand-off per request that cost getcallbackip a third of registration's CPU.
async def get_settings(request: Request) -> RegistrationSettings:
    settings: RegistrationSettings = request.app.state.settings
    return settings


SettingsDep = Annotated[RegistrationSettings, Depends(get_settings)]


async def get_passwords(settings: SettingsDep) -> Passwords:
    return Passwords(settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)


PasswordsDep = Annotated[Passwords, Depends(get_passwords)]


async def get_namespace(request: Request) -> str:
    value = (request.headers.get(NAMESPACE_HEADER) or clock.DEFAULT_NAMESPACE).strip()
    if not value or len(value) > 64:
        raise BadRequest("X-Sandbox-Namespace 无效", code="invalid_namespace", field="X-Sandbox-Namespace")
    return value


NamespaceDep = Annotated[str, Depends(get_namespace)]


async def get_peers(request: Request) -> Peers:
    return peers_of(request.app.state)


PeersDep = Annotated[Peers, Depends(get_peers)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def current_account(request: Request, session: SessionDep) -> Account:
    """The logged-in operator's account, read fresh; 410 once it is terminated (R-REG-22, R-DER-04).

    Behind the gateway the session is already resolved and forwarded (X-Sandbox-Account): only the
    account row is read. Called directly (in-process tests, no gateway), the session is resolved here.
    """
    forwarded = account_from_request(request)
    account = await accounts.get_account(session, forwarded.account_id) if forwarded is not None else None
    if account is None:
        account, _ = await session_account(session, bearer_token(request))
    if account.status == "terminated":
        raise terminated_error(account)
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]
