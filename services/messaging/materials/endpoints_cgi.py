"""`/cgi-bin/media/*` and `/cgi-bin/material/*` with WeChat's shapes (its media and material APIs).

The kind (`type`) is checked before the body is read, and the body is read with that kind's limit,
so an oversized file is refused while it streams in (R-MSG-11).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from servicekit import jsonbody
from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from servicekit.errors import CgiError
from servicekit.uploads import UploadedFile, read_multipart
from services.messaging.dependencies import CgiAccount
from services.messaging.materials import service
from services.messaging.materials.models import Material
from services.messaging.materials.rules import (
    ARTICLE_IMAGE,
    CONTENT_TYPES,
    MediaKind,
    media_kind,
    required_file,
)

router = APIRouter(prefix="/cgi-bin", tags=["materials (cgi-bin)"])
MediaType = Annotated[str | None, Query(alias="type")]
BATCH_TYPES = ("image", "video", "voice", "news")
EXTENSIONS = {content_type: ext for ext, content_type in CONTENT_TYPES.items()}


async def read_media(request: Request, kind: MediaKind) -> tuple[UploadedFile, dict[str, str]]:
    body = await read_multipart(request, file_limits={"media": kind.max_bytes})
    return required_file(body, "media"), body.fields


def timestamp(material: Material) -> int:
    return int(material.created_at.timestamp())


def file_response(material: Material) -> Response:
    # Named by the real format, as WeChat does: the uploaded name may have no or a wrong extension.
    extension = EXTENSIONS.get(material.content_type or "", "bin")
    name = quote(f"{material.media_id}.{extension}")
    return Response(
        content=material.data or b"",
        media_type=material.content_type or "application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def media_id_of(body: dict[str, Any]) -> str:
    media_id = body.get("media_id")
    if not isinstance(media_id, str) or not media_id:
        raise CgiError(41006)
    return media_id


@router.post("/media/upload")
async def upload_temporary(
    request: Request, session: SessionDep, account: CgiAccount, media_type: MediaType = None
) -> dict[str, Any]:
    kind = media_kind(media_type)
    upload, _ = await read_media(request, kind)
    material = await service.store_file(session, account=account, kind=kind, upload=upload, permanent=False)
    id_key = "thumb_media_id" if kind.name == "thumb" else "media_id"  # WeChat's own quirk for thumbs
    return {"type": kind.name, id_key: material.media_id, "created_at": timestamp(material)}


@router.get("/media/get")
async def get_temporary(session: SessionDep, account: CgiAccount, media_id: str = "") -> Response:
    if not media_id:
        raise CgiError(41006)
    material = await service.temporary_media(session, account=account, media_id=media_id)
    if material.type == "video":
        return JSONResponse({"video_url": material.url})
    return file_response(material)


@router.post("/media/uploadimg")
async def upload_article_image(request: Request, session: SessionDep, account: CgiAccount) -> dict[str, Any]:
    upload, _ = await read_media(request, ARTICLE_IMAGE)
    material = await service.upload_article_image(session, account=account, upload=upload)
    return {"url": material.url}


@router.post("/media/uploadnews")
async def upload_news(request: Request, session: SessionDep, account: CgiAccount) -> dict[str, Any]:
    body = await cgi_json(request)
    material = await service.upload_news(session, account=account, articles=body.get("articles"))
    return {"type": "news", "media_id": material.media_id, "created_at": timestamp(material)}


@router.post("/media/uploadvideo")
async def upload_mass_video(request: Request, session: SessionDep, account: CgiAccount) -> dict[str, Any]:
    body = await cgi_json(request)
    title, description = body.get("title"), body.get("description")
    material = await service.upload_mass_video(
        session,
        account=account,
        media_id=media_id_of(body),
        title=str(title) if title is not None else None,
        description=str(description) if description is not None else None,
    )
    return {"type": "video", "media_id": material.media_id, "created_at": timestamp(material)}


def video_description(raw: str | None) -> tuple[str, str]:
    """`description` = JSON {"title","introduction"}; wechatpy sends it in the query string."""
    if not raw:
        raise CgiError(40035, "invalid args: video needs description {title, introduction}")
    try:
        value = jsonbody.loads(raw)
    except ValueError:  # not JSON, nested too deep or not valid Unicode
        raise CgiError(47001, "data format error: description is not JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("title"), str) or not value["title"]:
        raise CgiError(40035, "invalid args: description.title is required")
    return value["title"], str(value.get("introduction") or "")


@router.post("/material/add_material")
async def add_permanent(
    request: Request,
    session: SessionDep,
    account: CgiAccount,
    media_type: MediaType = None,
    description: str | None = None,
) -> dict[str, Any]:
    kind = media_kind(media_type)
    upload, fields = await read_media(request, kind)
    title = introduction = None
    if kind.name == "video":
        title, introduction = video_description(fields.get("description") or description)
    material = await service.store_file(
        session,
        account=account,
        kind=kind,
        upload=upload,
        permanent=True,
        title=title,
        description=introduction,
    )
    result: dict[str, Any] = {"media_id": material.media_id}
    if kind.name == "image":
        result["url"] = material.url
    return result


@router.post("/material/get_material")
async def get_permanent(request: Request, session: SessionDep, account: CgiAccount) -> Response:
    media_id = media_id_of(await cgi_json(request))
    material = await service.permanent_material(session, account=account, media_id=media_id, with_data=True)
    if material.type == "news":
        return JSONResponse({"news_item": material.articles or []})
    if material.type == "video":
        return JSONResponse(
            {"title": material.title, "description": material.description, "down_url": material.url}
        )
    return file_response(material)


@router.post("/material/del_material")
async def delete_permanent(request: Request, session: SessionDep, account: CgiAccount) -> dict[str, Any]:
    media_id = media_id_of(await cgi_json(request))
    await service.delete_permanent(session, account=account, media_id=media_id)
    return {"errcode": 0, "errmsg": "ok"}


@router.get("/material/get_materialcount")
async def count_permanent(session: SessionDep, account: CgiAccount) -> dict[str, int]:
    return await service.count_permanent(session, account=account)


def _int_arg(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CgiError(40035, f"invalid args: {name} must be {low}..{high}")
    return value


def batch_item(material: Material) -> dict[str, Any]:
    update_time = timestamp(material)
    if material.type == "news":
        return {
            "media_id": material.media_id,
            "content": {"news_item": material.articles or [], "create_time": update_time},
            "update_time": update_time,
        }
    return {
        "media_id": material.media_id,
        "name": material.filename,
        "update_time": update_time,
        "url": material.url or "",
    }


@router.post("/material/batchget_material")
async def batch_permanent(request: Request, session: SessionDep, account: CgiAccount) -> dict[str, Any]:
    body = await cgi_json(request)
    if body.get("type") not in BATCH_TYPES:
        raise CgiError(40004)
    offset = _int_arg(body, "offset", 0, 0, 2**31 - 1)
    count = _int_arg(body, "count", 20, 1, 20)
    total, items = await service.page_permanent(
        session, account=account, types=(body["type"],), offset=offset, count=count
    )
    return {"total_count": total, "item_count": len(items), "item": [batch_item(m) for m in items]}


@router.post("/material/add_news")
@router.post("/material/update_news")
async def withdrawn_news_api(account: CgiAccount) -> dict[str, Any]:
    """Withdrawn by WeChat on 2022-02-28 (draft box replaced them); the sandbox answers the same."""
    raise CgiError(45103)
