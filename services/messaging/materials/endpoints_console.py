"""Console `/api/v1/materials` (素材管理): the operator's permanent library, SPEC §2 errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from contracts.registration.identity import ConsoleAccount
from servicekit.clock import SHANGHAI
from servicekit.db import SessionDep
from servicekit.errors import NotFound
from servicekit.uploads import read_multipart
from services.messaging.dependencies import require_approved
from services.messaging.materials import service
from services.messaging.materials.models import Material
from services.messaging.materials.rules import LARGEST_UPLOAD, InvalidMediaType, media_kind, required_file
from services.messaging.materials.schemas import MaterialPage, MaterialView
from services.messaging.materials.service import FILE_TYPES

router = APIRouter(prefix="/api/v1/materials", tags=["materials"])
LISTED_TYPES = (*FILE_TYPES, "news")


def material_view(material: Material) -> MaterialView:
    return MaterialView(
        media_id=material.media_id,
        type=material.type,
        permanent=material.permanent,
        filename=material.filename,
        content_type=material.content_type,
        size=material.size,
        title=material.title,
        introduction=material.description,
        url=material.url,
        duration_seconds=material.duration_seconds,
        articles=material.articles,
        created_at=material.created_at.astimezone(SHANGHAI).isoformat(),
    )


def file_limit(part: str, fields: Mapping[str, str]) -> int | None:
    """The `type` field, sent before the file, sets the file's limit while it streams in."""
    if part != "file" or "type" not in fields:
        return None
    return media_kind(fields["type"]).max_bytes


@router.get("", response_model=MaterialPage)
async def list_materials(
    session: SessionDep,
    account: ConsoleAccount,
    material_type: Annotated[str | None, Query(alias="type")] = None,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> MaterialPage:
    require_approved(account)
    if material_type is not None and material_type not in LISTED_TYPES:
        raise InvalidMediaType(f"不支持的素材类型：{material_type}", field="type")
    types = (material_type,) if material_type else LISTED_TYPES
    total, items = await service.page_permanent(
        session, account=account, types=types, offset=offset, count=limit
    )
    return MaterialPage(total=total, items=[material_view(m) for m in items])


@router.post("", status_code=201, response_model=MaterialView)
async def add_material(request: Request, session: SessionDep, account: ConsoleAccount) -> MaterialView:
    require_approved(account)
    body = await read_multipart(
        request, file_limits={"file": LARGEST_UPLOAD}, file_limit_from_fields=file_limit
    )
    kind = media_kind(body.fields.get("type"))
    upload = required_file(body, "file")
    title = (body.fields.get("title") or "").strip() or None
    introduction = (body.fields.get("introduction") or "").strip() or None
    if kind.name == "video" and title is None:
        title = upload.filename or "未命名视频"
    material = await service.store_file(
        session,
        account=account,
        kind=kind,
        upload=upload,
        permanent=True,
        title=title,
        description=introduction,
    )
    return material_view(material)


@router.get("/{media_id}", response_model=MaterialView)
async def get_material(media_id: str, session: SessionDep, account: ConsoleAccount) -> MaterialView:
    require_approved(account)
    return material_view(await service.permanent_material(session, account=account, media_id=media_id))


@router.get("/{media_id}/content")
async def get_material_content(media_id: str, session: SessionDep, account: ConsoleAccount) -> Response:
    require_approved(account)
    material = await service.permanent_material(session, account=account, media_id=media_id, with_data=True)
    if material.data is None:
        raise NotFound("该素材没有文件内容", code="material_has_no_file", field="media_id")
    return Response(material.data, media_type=material.content_type or "application/octet-stream")


@router.delete("/{media_id}", status_code=204)
async def delete_material(media_id: str, session: SessionDep, account: ConsoleAccount) -> Response:
    require_approved(account)
    await service.delete_permanent(session, account=account, media_id=media_id)
    return Response(status_code=204)
