"""Request-scoped inputs of the registration endpoints: settings, namespace, peers, the operator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.context import NAMESPACE_HEADER
from servicekit.db import SessionDep
from servicekit.errors import BadRequest, Gone, Unauthorized
from services.registration import repository
from services.registration.config import RegistrationSettings
from services.registration.credentials import Passwords, sha256_hex
from services.registration.errors import KeepChanges
from services.registration.models import Account


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


@dataclass
class Peers:
    certification: httpx.AsyncClient | None
    messaging: httpx.AsyncClient | None


async def get_peers(request: Request) -> Peers:
    peers: dict[str, httpx.AsyncClient] = getattr(request.app.state, "peers", {}) or {}
    return Peers(certification=peers.get("certification"), messaging=peers.get("messaging"))


PeersDep = Annotated[Peers, Depends(get_peers)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def session_account(session: AsyncSession, token: str | None) -> tuple[Account, float]:
    """The account behind an operator session and the seconds it stays valid; 401 otherwise."""
    if token is None:
        raise Unauthorized("未登录", code="unauthorized")
    row = await repository.operator_session(session, sha256_hex(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录", code="session_invalid")
    account = await repository.get_account(session, row.account_id)
    if account is None:
        raise Unauthorized("登录已失效，请重新登录", code="session_invalid")
    now = await clock.now(session, account.namespace)
    if now >= row.expires_at:
        raise Unauthorized("登录已过期，请重新登录", code="session_expired")
    return account, (row.expires_at - now).total_seconds()


async def current_account(request: Request, session: SessionDep) -> Account:
    """The logged-in operator's account; 410 once it is terminated (R-REG-22, R-DER-04)."""
    account, _ = await session_account(session, bearer_token(request))
    if account.status == "terminated":
        raise terminated_error(account)
    return account


CurrentAccount = Annotated[Account, Depends(current_account)]


def terminated_error(account: Account) -> Gone:
    return Gone(
        "该帐号已被注销",
        code="account_terminated",
        terminated_at=account.terminated_at.isoformat() if account.terminated_at else None,
        reason=account.termination_reason,
    )


@asynccontextmanager
async def keep_on_refusal(session: AsyncSession) -> AsyncIterator[None]:
    """Commit what a refusal must keep (see KeepChanges), then raise the refusal."""
    try:
        yield
    except KeepChanges as exc:
        await session.commit()
        raise exc.error from None
