"""Steps 1–2 and login (SPEC §3.1, R-REG-01..06, R-REG-20..22): sign-up, activation, sessions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.clock import shanghai_date
from servicekit.errors import BadRequest, Conflict, Forbidden, Gone, NotFound, RateLimited, Unauthorized
from services.registration import captcha, outbox, repository
from services.registration.credentials import Passwords, new_id, new_token, sha256_hex
from services.registration.dependencies import terminated_error
from services.registration.errors import KeepChanges, bad_input
from services.registration.models import Account, ActivationToken, OperatorSession
from services.registration.rules import RuleError, check_password, normalize_email

ACTIVATION_LIFETIME = timedelta(hours=48)
RESENDS_PER_DAY = 5
SESSION_LIFETIME = timedelta(hours=12)
LOCK_WINDOW = timedelta(minutes=15)
LOCK_AFTER = 5
ACTIVATION_PATH = "/api/v1/registrations/activation"


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except RuleError as exc:
        raise bad_input(exc) from None


async def _send_activation(
    session: AsyncSession, account: Account, *, now: datetime, base_url: str, is_resend: bool
) -> None:
    """R-REG-05: a fresh link (voiding earlier ones) in an e-mail through the outbox."""
    await repository.void_activation_tokens(session, account.id, now)
    token = new_token()
    expires_at = now + ACTIVATION_LIFETIME
    session.add(
        ActivationToken(
            token_hash=sha256_hex(token),
            account_id=account.id,
            created_at=now,
            expires_at=expires_at,
            is_resend=is_resend,
        )
    )
    account.activation_expires_at = expires_at
    link = f"{base_url.rstrip('/')}{ACTIVATION_PATH}?token={token}"
    outbox.enqueue(
        session,
        account,
        channel="email",
        to=account.email,
        kind="activation",
        created_at=now,
        subject="微信公众平台帐号激活",
        body=f"请在48小时内点击以下链接激活你的公众平台帐号：\n{link}",
        data={"link": link, "token": token, "expires_at": expires_at.isoformat()},
    )
    await session.flush()


async def register(
    session: AsyncSession,
    *,
    namespace: str,
    email: str,
    password: str,
    captcha_id: str,
    captcha_answer: str,
    agreement_accepted: bool,
    passwords: Passwords,
    base_url: str,
) -> dict[str, Any]:
    address = _email(email)
    try:
        check_password(password)
    except RuleError as exc:
        raise bad_input(exc) from None
    if agreement_accepted is not True:
        raise BadRequest(
            "请阅读并同意《微信公众平台服务协议》", field="agreement_accepted", code="agreement_required"
        )
    now = await clock.now(session, namespace)
    await captcha.consume(session, captcha_id, captcha_answer, now=now)
    await repository.advisory_lock(session, f"email:{address.lower()}")
    await repository.expire_unactivated(session, email=address, now=now)
    if await repository.live_account_by_email(session, address) is not None:
        raise Conflict("该邮箱已被占用", field="email", code="email_taken")
    account = Account(
        id=new_id("acc"),
        namespace=namespace,
        email=address,
        password_hash=passwords.hash(password),
        status="email_unverified",
        created_at=now,
        failed_logins=0,
    )
    session.add(account)
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("该邮箱已被占用", field="email", code="email_taken") from None
    await _send_activation(session, account, now=now, base_url=base_url, is_resend=False)
    return {
        "account_id": account.id,
        "status": account.status,
        "activation_expires_at": account.activation_expires_at,
    }


async def activate(session: AsyncSession, *, token: str) -> dict[str, Any]:
    """R-REG-06: 48 hours; afterwards 410 and the unactivated record is terminated (kept: KeepChanges)."""
    row = await repository.activation_token(session, sha256_hex(token))
    if row is None:
        raise NotFound("激活链接无效", field="token", code="activation_token_invalid")
    account = await repository.get_account(session, row.account_id, lock=True)
    if account is None:
        raise NotFound("激活链接无效", field="token", code="activation_token_invalid")
    if account.status != "email_unverified" and row.used_at is not None:
        return {"account_id": account.id, "status": account.status}  # the same link clicked twice
    if row.voided_at is not None:
        raise Gone("该激活链接已被新的链接替代", field="token", code="activation_link_replaced")
    now = await clock.now(session, account.namespace)
    if account.status == "terminated" or now >= row.expires_at:
        await repository.expire_unactivated(session, email=account.email, now=now)
        raise KeepChanges(
            Gone("激活链接已过期（48小时），请重新注册", field="token", code="activation_expired")
        )
    row.used_at = now
    account.status, account.activated_at = "activated", now
    await session.flush()
    return {"account_id": account.id, "status": account.status}


async def resend_activation(session: AsyncSession, *, email: str, base_url: str) -> dict[str, Any]:
    address = _email(email)
    account = await repository.live_account_by_email(session, address, lock=True)
    if account is None or account.status != "email_unverified":
        raise NotFound("没有待激活的帐号", field="email", code="no_pending_activation")
    now = await clock.now(session, account.namespace)
    if account.activation_expires_at is not None and now >= account.activation_expires_at:
        await repository.expire_unactivated(session, email=address, now=now)
        raise KeepChanges(
            Gone("激活链接已过期（48小时），请重新注册", field="email", code="activation_expired")
        )
    if await repository.count_resends_since(session, account.id, shanghai_date(now)) >= RESENDS_PER_DAY:
        raise RateLimited("今天重新发送次数已达上限（5次）", code="resend_limit_reached")
    await _send_activation(session, account, now=now, base_url=base_url, is_resend=True)
    return {"account_id": account.id, "activation_expires_at": account.activation_expires_at}


async def login(session: AsyncSession, *, email: str, password: str, passwords: Passwords) -> dict[str, Any]:
    """R-REG-20..22: activated accounts only; 5 wrong passwords in 15 min lock the e-mail for 15 min."""
    address = _email(email)
    account = await repository.live_account_by_email(session, address, lock=True)
    if account is None:
        gone = await repository.latest_terminated_by_email(session, address)
        if gone is not None and passwords.verify(gone.password_hash, password):
            raise terminated_error(gone)
        raise Unauthorized("邮箱或密码错误", code="invalid_credentials")
    now = await clock.now(session, account.namespace)
    if account.login_locked_until is not None and now < account.login_locked_until:
        raise _locked(account.login_locked_until)
    if not passwords.verify(account.password_hash, password):
        raise KeepChanges(_count_failure(account, now))
    account.failed_logins, account.failed_login_window_at, account.login_locked_until = 0, None, None
    if account.status == "email_unverified":
        await session.flush()
        raise KeepChanges(Forbidden("帐号尚未激活，请先查收激活邮件", code="email_not_activated"))
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
    await session.flush()
    return {"token": token, "expires_at": now + SESSION_LIFETIME, "account_id": account.id}


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
    account = await repository.get_account(session, row.account_id)
    row.revoked_at = await clock.now(session, account.namespace if account else clock.DEFAULT_NAMESPACE)
    await session.flush()
