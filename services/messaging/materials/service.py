"""Materials and media (R-MSG-10/11): storing uploads, resolving media ids, the permanent library.

Every media id is scoped to its account: another account's id, an expired one and a missing one are
refused alike (40007, 404 on the console). Temporary media and the mass-send helpers' news and video
live 3 days of the account's sandbox clock; permanent materials until deleted.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import BadRequest
from servicekit.uploads import UploadedFile
from services.messaging.materials import repository
from services.messaging.materials.models import Material
from services.messaging.materials.rules import (
    ARTICLE_IMAGE,
    TEMPORARY_LIFETIME_DAYS,
    MaterialNotFound,
    MediaKind,
    check_articles,
    check_media,
)

FILE_TYPES = ("image", "voice", "video", "thumb")
# Where WeChat would serve the file; the sandbox has no CDN, so these are stable, recognisable names.
IMAGE_URL = "http://mmbiz.qpic.cn/sandbox/{media_id}/0"
VIDEO_URL = "http://mpvideo.qpic.cn/sandbox/{media_id}.mp4"


def new_media_id() -> str:
    return secrets.token_urlsafe(48)  # 64 characters, like WeChat's


async def _now(session: AsyncSession, namespace: str) -> datetime:
    return await clock.now(session, namespace)


def _expiry(now: datetime, permanent: bool) -> datetime | None:
    return None if permanent else now + timedelta(days=TEMPORARY_LIFETIME_DAYS)


async def store_file(
    session: AsyncSession,
    *,
    account: AccountView,
    kind: MediaKind,
    upload: UploadedFile,
    permanent: bool,
    title: str | None = None,
    description: str | None = None,
) -> Material:
    """Check a whole uploaded file against its kind (R-MSG-11) and keep it."""
    checked = check_media(kind, upload.data)
    now = await _now(session, account.namespace)
    media_id = new_media_id()
    url = None
    if kind.name in ("image", ARTICLE_IMAGE.name):
        url = IMAGE_URL.format(media_id=media_id)
    elif kind.name == "video":
        url = VIDEO_URL.format(media_id=media_id)
    material = Material(
        media_id=media_id,
        account_id=account.account_id,
        namespace=account.namespace,
        type=kind.name,
        permanent=permanent,
        filename=upload.filename or f"{media_id}.{checked.format}",
        content_type=checked.content_type,
        size=upload.size,
        data=upload.data,
        title=title,
        description=description,
        url=url,
        duration_seconds=checked.duration_seconds,
        created_at=now,
        expires_at=_expiry(now, permanent),
    )
    return await repository.add(session, material)


async def upload_article_image(
    session: AsyncSession, *, account: AccountView, upload: UploadedFile
) -> Material:
    """media/uploadimg: an image for article bodies; kept, but outside the image library count."""
    return await store_file(session, account=account, kind=ARTICLE_IMAGE, upload=upload, permanent=True)


async def find_material(
    session: AsyncSession,
    *,
    account: AccountView,
    media_id: str,
    where: ColumnElement[bool] | None = None,
    with_data: bool = False,
) -> Material:
    material = await repository.find(
        session,
        account_id=account.account_id,
        media_id=media_id,
        now=await _now(session, account.namespace),
        where=where,
        with_data=with_data,
    )
    if material is None:
        raise MaterialNotFound(field="media_id")
    return material


async def temporary_media(session: AsyncSession, *, account: AccountView, media_id: str) -> Material:
    """media/get: a temporary file (image, voice, video, thumb) with its bytes."""
    where = and_(Material.permanent.is_(False), Material.type.in_(FILE_TYPES))
    return await find_material(session, account=account, media_id=media_id, where=where, with_data=True)


async def permanent_material(
    session: AsyncSession, *, account: AccountView, media_id: str, with_data: bool = False
) -> Material:
    """A material of the permanent library (get_material, del_material, the console)."""
    where = and_(Material.permanent.is_(True), Material.type.in_((*FILE_TYPES, "news")))
    return await find_material(session, account=account, media_id=media_id, where=where, with_data=with_data)


async def any_permanent_material(session: AsyncSession, *, account: AccountView, media_id: str) -> Material:
    """One of the account's permanent materials, of any type (what a menu's media_id button shows)."""
    return await find_material(
        session, account=account, media_id=media_id, where=Material.permanent.is_(True)
    )


async def delete_permanent(session: AsyncSession, *, account: AccountView, media_id: str) -> None:
    """del_material: temporary media cannot be deleted (40007, as WeChat answers)."""
    await permanent_material(session, account=account, media_id=media_id)
    await repository.remove(session, account_id=account.account_id, media_id=media_id)


async def count_permanent(session: AsyncSession, *, account: AccountView) -> dict[str, int]:
    counts = await repository.count_permanent(session, account_id=account.account_id)
    return {f"{kind}_count": counts.get(kind, 0) for kind in ("voice", "video", "image", "news")}


async def page_permanent(
    session: AsyncSession, *, account: AccountView, types: tuple[str, ...], offset: int, count: int
) -> tuple[int, list[Material]]:
    return await repository.page_permanent(
        session, account_id=account.account_id, types=types, offset=offset, limit=count
    )


async def _add_fileless_temporary(session: AsyncSession, account: AccountView, **fields: Any) -> Material:
    """A temporary material with no file of its own (news, a mass-send video wrapper)."""
    now = await _now(session, account.namespace)
    material = Material(
        media_id=new_media_id(),
        account_id=account.account_id,
        namespace=account.namespace,
        permanent=False,
        data=None,
        created_at=now,
        expires_at=_expiry(now, False),
        **fields,
    )
    return await repository.add(session, material)


async def upload_news(session: AsyncSession, *, account: AccountView, articles: Any) -> Material:
    """media/uploadnews: 1–8 checked articles whose covers are the caller's live image/thumb media."""
    normalised = check_articles(articles)
    for article in normalised:
        await find_material(
            session,
            account=account,
            media_id=article["thumb_media_id"],
            where=Material.type.in_(("image", "thumb")),
        )
    return await _add_fileless_temporary(
        session, account, type="news", size=0, title=normalised[0]["title"], articles=normalised
    )


async def upload_mass_video(
    session: AsyncSession, *, account: AccountView, media_id: str, title: str | None, description: str | None
) -> Material:
    """media/uploadvideo: wrap one of the caller's videos for a mass send (stored as `mpvideo`)."""
    video = await find_material(session, account=account, media_id=media_id, where=Material.type == "video")
    return await _add_fileless_temporary(
        session,
        account,
        type="mpvideo",
        size=video.size,
        content_type=video.content_type,
        filename=video.filename,
        title=title,
        description=description,
        source_media_id=video.media_id,
        url=video.url,
    )


def _usable_for(msgtype: str) -> ColumnElement[bool]:
    if msgtype in ("image", "voice"):
        return Material.type == msgtype
    if msgtype in ("mpvideo", "video"):
        return or_(Material.type == "mpvideo", and_(Material.type == "video", Material.permanent.is_(True)))
    if msgtype == "mpnews":
        return Material.type == "news"
    raise BadRequest(f"不支持的群发类型：{msgtype}", code="invalid_msgtype", field="msgtype", errcode=40008)


async def resolve_for_mass(
    session: AsyncSession, *, account_id: str, namespace: str, media_id: str, msgtype: str
) -> Material:
    """The account's material usable in a mass send of `msgtype` (R-MSG-10: reusable any number of times).

    image/voice → an image/voice material, temporary or permanent; mpvideo/video → an `mpvideo` from
    media/uploadvideo, or a permanent video; mpnews → a `news` from media/uploadnews. Missing, expired
    (sandbox clock of `namespace`), another account's or of the wrong type → MaterialNotFound (40007;
    404 `material_not_found` on the console). A msgtype that carries no media → 40008. The returned
    row has no `data` loaded.
    """
    material = await repository.find(
        session,
        account_id=account_id,
        media_id=media_id,
        now=await _now(session, namespace),
        where=_usable_for(msgtype),
    )
    if material is None:
        raise MaterialNotFound(field="media_id")
    return material
