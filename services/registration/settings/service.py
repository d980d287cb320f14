"""Settings after approval (R-REG-30..32): WeChat ID, login e-mail, avatar, AppSecret reset."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from servicekit.errors import BadRequest, Conflict, RuleError
from servicekit.identity import normalize_email
from servicekit.uploads import UploadedFile
from services.registration.accounts import repository
from services.registration.accounts.documents import image_format, store_document
from services.registration.accounts.models import Account
from services.registration.accounts.service import claim_email, next_allowed
from services.registration.credentials import new_app_secret, sha256_hex
from services.registration.lifecycle.service import record_fact
from services.registration.rules import AVATAR_FORMATS, check_wechat_id
from services.registration.settings.schemas import (
    AdminWechatOut,
    AvatarOut,
    LoginEmailNextAllowed,
    SecretOut,
    SettingsOut,
)


def _approved(account: Account) -> None:
    if account.status != "approved":
        raise Conflict("帐号通过审核后才能修改设置", code="not_approved")


def _once_a_month(what: str, changed_at: datetime | None, now: datetime, field: str) -> None:
    allowed = next_allowed(changed_at)
    if allowed is not None and now < allowed:
        raise Conflict(
            f"{what}一个月内只能修改一次",
            field=field,
            code="change_too_soon",
            next_allowed_at=allowed.isoformat(),
        )


async def update_settings(
    session: AsyncSession, account: Account, *, wechat_id: str | None, login_email: str | None
) -> SettingsOut:
    """R-REG-32: WeChat ID once and unique; login e-mail once a month and unused."""
    _approved(account)
    now = await clock.now(session, account.namespace)
    if wechat_id is not None:
        if account.wechat_id is not None:
            raise Conflict("微信号只能设置一次", field="wechat_id", code="wechat_id_already_set")
        try:
            value = check_wechat_id(wechat_id)
        except RuleError as exc:
            raise exc.refusal() from None
        if await repository.wechat_id_taken(session, value):
            raise Conflict("该微信号已被占用", field="wechat_id", code="wechat_id_taken")
        account.wechat_id = value
    if login_email is not None:
        try:
            address = normalize_email(login_email)
        except RuleError as exc:
            raise exc.refusal(field="login_email") from None
        if address.lower() != account.email.lower():
            _once_a_month("登录邮箱", account.login_email_changed_at, now, "login_email")
            await claim_email(session, address, now=now, field="login_email")
            account.email, account.login_email_changed_at = address, now
            record_fact(session, account, "login_email", now, email=address)  # R-DER-03: notices follow
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("微信号或邮箱已被占用", code="conflict") from None
    return SettingsOut(
        wechat_id=account.wechat_id,
        login_email=account.email,
        next_allowed_at=LoginEmailNextAllowed(login_email=next_allowed(account.login_email_changed_at)),
    )


async def bind_admin_wechat(session: AsyncSession, account: Account, wechat_id: str | None) -> AdminWechatOut:
    """R-DER-03 / FAQ 17: bind (or, with None, unbind) the administrator WeChat that deregistration
    notices also go to. Any live account may bind one, during registration too (R-DER-01 notices);
    the 微信号 rules of R-REG-32 apply, a bad one is 400 naming `wechat_id`."""
    value = None
    if wechat_id is not None:
        try:
            value = check_wechat_id(wechat_id)
        except RuleError as exc:
            raise exc.refusal() from None
    if value != account.admin_wechat:
        now = await clock.now(session, account.namespace)
        account.admin_wechat = value
        record_fact(session, account, "admin_wechat", now, wechat_id=value)
        await session.flush()
    return AdminWechatOut(admin_wechat=account.admin_wechat)


async def update_avatar(session: AsyncSession, account: Account, upload: UploadedFile | None) -> AvatarOut:
    """R-REG-32: an image, once a month."""
    _approved(account)
    if upload is None or upload.size == 0:
        raise BadRequest("请上传头像图片", field="file", code="file_required")
    now = await clock.now(session, account.namespace)
    _once_a_month("头像", account.avatar_changed_at, now, "file")
    fmt = image_format("file", upload, AVATAR_FORMATS)
    await store_document(session, account.id, "avatar", fmt, upload, now=now)
    account.avatar_changed_at = now
    await session.flush()
    return AvatarOut(format=fmt, size=upload.size, next_allowed_at=next_allowed(now))


async def reset_secret(session: AsyncSession, account: Account) -> SecretOut:
    """R-REG-30: a new AppSecret, shown once; the old one stops working at once."""
    _approved(account)
    secret = new_app_secret()
    account.secret_hash = sha256_hex(secret)
    await session.flush()
    return SecretOut(appid=account.appid, secret=secret)
