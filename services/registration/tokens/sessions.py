"""Operator sessions (R-REG-20..22): login with its lockout, logout, and the session behind a token."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.db import keep_writes
from servicekit.errors import Forbidden, RateLimited, Unauthorized
from services.registration.accounts import repository as accounts
from services.registration.accounts.models import Account
from services.registration.credentials import Passwords, new_token, sha256_hex
from services.registration.errors import email_address, terminated_error
from services.registration.lifecycle.service import record_fact
from services.registration.tokens import repository
from services.registration.tokens.models import OperatorSession
from services.registration.tokens.schemas import SessionOut

SESSION_LIFETIME = timedelta(hours=12)
LOCK_WINDOW = timedelta(minutes=15)
LOCK_AFTER = 5


async def session_account(session: AsyncSession, token: str | None) -> tuple[Account, float]:
    """The account behind an operator session and the seconds it stays valid; 401 otherwise."""
    if token is None:
        raise Unauthorized("未登录", code="unauthorized")
    row = await repository.operator_session(session, sha256_hex(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("登录已失效，请重新登录", code="session_invalid")
    account = await accounts.get_account(session, row.account_id)
    if account is None:
        raise Unauthorized("登录已失效，请重新登录", code="session_invalid")
    now = await clock.now(session, account.namespace)
    if now >= row.expires_at:
        raise Unauthorized("登录已过期，请重新登录", code="session_expired")
    return account, (row.expires_at - now).total_seconds()


async def login(session: AsyncSession, *, email: str, password: str, passwords: Passwords) -> SessionOut:
    """R-REG-20..22: activated accounts only; 5 wrong passwords in 15 min lock the e-mail for 15 min."""
    address = email_address(email)
    account = await accounts.live_account_by_email(session, address, lock=True)
    if account is None:
        gone = await accounts.latest_terminated_by_email(session, address)
        if gone is not None and passwords.verify(gone.password_hash, password):
            raise terminated_error(gone)
        raise Unauthorized("邮箱或密码错误", code="invalid_credentials")
    now = await clock.now(session, account.namespace)
    if account.login_locked_until is not None and now < account.login_locked_until:
        raise _locked(account.login_locked_until)
    if not passwords.verify(account.password_hash, password):
        raise keep_writes(_count_failure(account, now))
    account.failed_logins, account.failed_login_window_at, account.login_locked_until = 0, None, None
    if account.status == "email_unverified":
        await session.flush()
        raise keep_writes(Forbidden("帐号尚未激活，请先查收激活邮件", code="email_not_activated"))
    token = new_token()
    session.add(
        OperatorSession(
            token_hash=sha256_hex(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    account.last_login_at = now
    record_fact(session, account, "login", now)  # R-DER-02: a new cycle, even with the scheduler down
    await session.flush()
    return SessionOut(token=token, expires_at=now + SESSION_LIFETIME, account_id=account.id)


def _locked(until: datetime) -> RateLimited:
    return RateLimited(
        "密码错误次数过多，帐号已锁定15分钟", code="login_locked", locked_until=until.isoformat()
    )


def _count_failure(account: Account, now: datetime) -> Unauthorized | RateLimited:
    window = account.failed_login_window_at
    if window is None or now - window >= LOCK_WINDOW:
        account.failed_logins, account.failed_login_window_at = 1, now
    else:
        account.failed_logins += 1
    if account.failed_logins >= LOCK_AFTER:
        account.failed_logins, account.failed_login_window_at = 0, None
        account.login_locked_until = now + LOCK_WINDOW
        return _locked(account.login_locked_until)
    return Unauthorized(
        "邮箱或密码错误", code="invalid_credentials", attempts_left=LOCK_AFTER - account.failed_logins
    )


async def logout(session: AsyncSession, *, token: str | None) -> None:
    if token is None:
        raise Unauthorized("未登录", code="unauthorized")
    row = await repository.operator_session(session, sha256_hex(token))
    if row is None or row.revoked_at is not None:
        raise Unauthorized("登录已失效", code="session_invalid")
    account = await accounts.get_account(session, row.account_id)
    row.revoked_at = await clock.now(session, account.namespace if account else clock.DEFAULT_NAMESPACE)
    await session.flush()
