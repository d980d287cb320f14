"""Steps 1–2 of the wizard (SPEC §3.1, R-REG-01..06): sign-up with its activation e-mail, activation."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.clock import shanghai_date
from servicekit.db import keep_writes
from servicekit.errors import BadRequest, Conflict, Gone, NotFound, RateLimited, RuleError
from services.registration.accounts import repository as accounts
from services.registration.accounts.models import Account
from services.registration.accounts.service import claim_email
from services.registration.credentials import Passwords, new_id, new_token, sha256_hex
from services.registration.errors import email_address
from services.registration.lifecycle.service import record_fact
from services.registration.outbox_relay import service as outbox
from services.registration.rules import check_password
from services.registration.signup import captcha, repository
from services.registration.signup.models import ActivationToken
from services.registration.signup.schemas import Activated, ActivationResent, Registered

ACTIVATION_LIFETIME = timedelta(hours=48)
RESENDS_PER_DAY = 5
ACTIVATION_PATH = "/api/v1/registrations/activation"


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
) -> Registered:
    address = email_address(email)
    try:
        check_password(password)
    except RuleError as exc:
        raise exc.refusal() from None
    if agreement_accepted is not True:
        raise BadRequest(
            "请阅读并同意《微信公众平台服务协议》", field="agreement_accepted", code="agreement_required"
        )
    now = await clock.now(session, namespace)
    await captcha.consume(session, captcha_id, captcha_answer, now=now)
    await claim_email(session, address, now=now, field="email")
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
    record_fact(session, account, "signed_up", now, email=account.email)
    await _send_activation(session, account, now=now, base_url=base_url, is_resend=False)
    return Registered(
        account_id=account.id, status=account.status, activation_expires_at=account.activation_expires_at
    )


async def activate(session: AsyncSession, *, token: str) -> Activated:
    """R-REG-06: 48 hours; afterwards 410 and the unactivated record is terminated (kept: keep_writes)."""
    row = await repository.activation_token(session, sha256_hex(token))
    if row is None:
        raise NotFound("激活链接无效", field="token", code="activation_token_invalid")
    account = await accounts.get_account(session, row.account_id, lock=True)
    if account is None:
        raise NotFound("激活链接无效", field="token", code="activation_token_invalid")
    if account.status != "email_unverified" and row.used_at is not None:
        return Activated(account_id=account.id, status=account.status)  # the same link clicked twice
    if row.voided_at is not None:
        raise Gone("该激活链接已被新的链接替代", field="token", code="activation_link_replaced")
    now = await clock.now(session, account.namespace)
    if account.status == "terminated" or now >= row.expires_at:
        await accounts.expire_unactivated(session, email=account.email, now=now)
        raise keep_writes(
            Gone("激活链接已过期（48小时），请重新注册", field="token", code="activation_expired")
        )
    row.used_at = now
    account.status, account.activated_at = "activated", now
    record_fact(session, account, "activated", now)
    await session.flush()
    return Activated(account_id=account.id, status=account.status)


async def resend_activation(session: AsyncSession, *, email: str, base_url: str) -> ActivationResent:
    address = email_address(email)
    account = await accounts.live_account_by_email(session, address, lock=True)
    if account is None or account.status != "email_unverified":
        raise NotFound("没有待激活的帐号", field="email", code="no_pending_activation")
    now = await clock.now(session, account.namespace)
    if account.activation_expires_at is not None and now >= account.activation_expires_at:
        await accounts.expire_unactivated(session, email=address, now=now)
        raise keep_writes(
            Gone("激活链接已过期（48小时），请重新注册", field="email", code="activation_expired")
        )
    if await repository.count_resends_since(session, account.id, shanghai_date(now)) >= RESENDS_PER_DAY:
        raise RateLimited("今天重新发送次数已达上限（5次）", code="resend_limit_reached")
    await _send_activation(session, account, now=now, base_url=base_url, is_resend=True)
    return ActivationResent(account_id=account.id, activation_expires_at=account.activation_expires_at)
