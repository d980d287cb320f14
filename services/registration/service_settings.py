"""After approval (R-REG-30..33): account view, settings, avatar, AppSecret reset, search."""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.certification.client import CertificationClient
from contracts.certification.schemas import CertificationSummary
from servicekit import clock
from servicekit.errors import BadRequest, Conflict, UnsupportedMediaType
from servicekit.uploads import UploadedFile, sniff
from services.registration import repository
from services.registration.credentials import new_app_secret, sha256_hex
from services.registration.dependencies import Peers
from services.registration.errors import bad_input
from services.registration.models import Account, Document
from services.registration.rules import (
    AVATAR_FORMATS,
    RuleError,
    add_one_month,
    check_image_format,
    check_wechat_id,
    normalize_email,
)
from services.registration.views import account_detail, certification_of

SEARCH_LIMIT = 20


def _next_allowed(changed_at: datetime | None) -> datetime | None:
    return add_one_month(changed_at) if changed_at is not None else None


async def detail(session: AsyncSession, account: Account, peers: Peers) -> dict[str, Any]:
    return account_detail(
        account,
        review=await repository.latest_review(session, account.id),
        certification=await certification_of(peers.certification, account),
        documents=await repository.documents_of(session, account.id),
        next_allowed={
            "login_email": _next_allowed(account.login_email_changed_at),
            "avatar": _next_allowed(account.avatar_changed_at),
        },
    )


def _approved(account: Account) -> None:
    if account.status != "approved":
        raise Conflict("帐号通过审核后才能修改设置", code="not_approved")


def _once_a_month(what: str, changed_at: datetime | None, now: datetime, field: str) -> None:
    allowed = _next_allowed(changed_at)
    if allowed is not None and now < allowed:
        raise Conflict(
            f"{what}一个月内只能修改一次",
            field=field,
            code="change_too_soon",
            next_allowed_at=allowed.isoformat(),
        )


async def update_settings(
    session: AsyncSession, account: Account, *, wechat_id: str | None, login_email: str | None
) -> dict[str, Any]:
    """R-REG-32: WeChat ID once and unique; login e-mail once a month and unused."""
    _approved(account)
    now = await clock.now(session, account.namespace)
    if wechat_id is not None:
        if account.wechat_id is not None:
            raise Conflict("微信号只能设置一次", field="wechat_id", code="wechat_id_already_set")
        try:
            value = check_wechat_id(wechat_id)
        except RuleError as exc:
            raise bad_input(exc) from None
        if await repository.wechat_id_taken(session, value):
            raise Conflict("该微信号已被占用", field="wechat_id", code="wechat_id_taken")
        account.wechat_id = value
    if login_email is not None:
        try:
            address = normalize_email(login_email)
        except RuleError as exc:
            raise bad_input(exc, field="login_email") from None
        if address.lower() != account.email.lower():
            _once_a_month("登录邮箱", account.login_email_changed_at, now, "login_email")
            await repository.advisory_lock(session, f"email:{address.lower()}")
            await repository.expire_unactivated(session, email=address, now=now)
            if await repository.live_account_by_email(session, address) is not None:
                raise Conflict("该邮箱已被占用", field="login_email", code="email_taken")
            account.email, account.login_email_changed_at = address, now
    try:
        await session.flush()
    except IntegrityError:
        raise Conflict("微信号或邮箱已被占用", code="conflict") from None
    return {
        "wechat_id": account.wechat_id,
        "login_email": account.email,
        "next_allowed_at": {"login_email": _next_allowed(account.login_email_changed_at)},
    }


async def update_avatar(
    session: AsyncSession, account: Account, upload: UploadedFile | None
) -> dict[str, Any]:
    """R-REG-32: an image, once a month."""
    _approved(account)
    if upload is None or upload.size == 0:
        raise BadRequest("请上传头像图片", field="file", code="file_required")
    now = await clock.now(session, account.namespace)
    _once_a_month("头像", account.avatar_changed_at, now, "file")
    try:
        fmt = check_image_format("file", sniff(upload.data), AVATAR_FORMATS)
        with Image.open(io.BytesIO(upload.data)) as picture:
            picture.verify()
    except RuleError as exc:
        raise UnsupportedMediaType(exc.message, field="file", code="unsupported_file_type") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise UnsupportedMediaType("头像不是有效的图片", field="file", code="unsupported_file_type") from None
    await repository.put_document(
        session,
        Document(
            account_id=account.id,
            kind="avatar",
            format=fmt,
            size=upload.size,
            sha256=hashlib.sha256(upload.data).hexdigest(),
            data=upload.data,
            uploaded_at=now,
        ),
    )
    account.avatar_changed_at = now
    await session.flush()
    return {"format": fmt, "size": upload.size, "next_allowed_at": _next_allowed(now)}


async def reset_secret(session: AsyncSession, account: Account) -> dict[str, Any]:
    """R-REG-30: a new AppSecret, shown once; the old one stops working at once."""
    _approved(account)
    secret = new_app_secret()
    account.secret_hash = sha256_hex(secret)
    await session.flush()
    return {"appid": account.appid, "secret": secret}


async def search(session: AsyncSession, *, q: str, namespace: str, peers: Peers) -> dict[str, Any]:
    """R-REG-30 / R-REG-19: approved, non-terminated accounts only; certified ones marked."""
    rows = await repository.search_approved(session, q=q.strip(), namespace=namespace, limit=SEARCH_LIMIT)
    certified: dict[str, CertificationSummary] = {}
    if peers.certification is not None and rows:
        certified = await CertificationClient(peers.certification).summaries([a.id for a in rows])
    return {
        "items": [
            {
                "appid": a.appid,
                "name": a.name,
                "intro": a.intro,
                "certified": a.id in certified and certified[a.id].certified,
            }
            for a in rows
        ]
    }
