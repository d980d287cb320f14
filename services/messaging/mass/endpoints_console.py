"""Operator console: `/api/v1/mass-sends` (§操作流程 3.1: 群发对象、性别、群发地区)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.messaging.schemas import QuotaState
from contracts.registration.identity import ConsoleAccount
from servicekit.db import SessionDep
from services.messaging.dependencies import require_approved
from services.messaging.followers.rules import TAG_ID_MAX
from services.messaging.mass import errors, jobs, messages, service
from services.messaging.mass.messages import Target
from services.messaging.mass.schemas import MassSendView

router = APIRouter(prefix="/api/v1/mass-sends", tags=["console: mass send"])


class AudienceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["all", "tag"] = "all"
    tag_id: int | None = Field(default=None, ge=0, le=TAG_ID_MAX)
    gender: Literal[0, 1, 2] | None = None
    country: str | None = Field(default=None, max_length=32)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)


class MassSendIn(BaseModel):
    """`text` / `media_id` flat, or the `/cgi-bin` payload object keyed by msgtype
    (`{"msgtype": "text", "text": {"content": …}}`, `{"msgtype": "image", "image": {"media_id": …}}`)."""

    model_config = ConfigDict(extra="forbid")

    msgtype: str
    text: str | None = None
    media_id: str | None = None
    media_ids: list[str] | None = Field(default=None, max_length=20)
    audience: AudienceIn = Field(default_factory=AudienceIn)
    clientmsgid: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_wechat_payload(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        text = data.get("text")
        if isinstance(text, dict):
            data["text"] = text.get("content")
        msgtype = data.get("msgtype")
        if msgtype != "text" and isinstance(msgtype, str) and isinstance(data.get(msgtype), dict):
            inner = data.pop(msgtype)
            data.setdefault("media_id", inner.get("media_id"))
        return data


def _target(audience: AudienceIn) -> Target:
    if audience.type == "tag" and audience.tag_id is None:
        raise errors.invalid_tag(None)
    return Target(
        kind=audience.type,
        tag_id=audience.tag_id if audience.type == "tag" else None,
        gender=audience.gender,
        country=audience.country,
        province=audience.province,
        city=audience.city,
    )


@router.get("/quota", response_model=QuotaState)
async def get_quota(account: ConsoleAccount, session: SessionDep) -> QuotaState:
    """Sends used in the current natural day (subscription) or month (service), and when it resets."""
    return await service.quota_state(session, account=account)


@router.post("", status_code=202, response_model=MassSendView, response_model_exclude_unset=True)
async def create_mass_send(
    payload: MassSendIn,
    request: Request,
    account: ConsoleAccount,
    session: SessionDep,
    background: BackgroundTasks,
) -> MassSendView:
    """Accept a send (202): the fan-out runs as a job; poll `GET /api/v1/mass-sends/{msg_id}`."""
    require_approved(account)
    message = messages.console_message(
        payload.msgtype, text=payload.text, media_id=payload.media_id, media_ids=payload.media_ids
    )
    target = _target(payload.audience)
    clientmsgid = messages.check_clientmsgid(payload.clientmsgid)
    job = await service.submit(
        session, account=account, message=message, target=target, source="console", clientmsgid=clientmsgid
    )
    background.add_task(jobs.dispatch, request.app, job.id)
    return service.job_view(job)


@router.get("/{msg_id}", response_model=MassSendView, response_model_exclude_unset=True)
async def get_mass_send(msg_id: int, account: ConsoleAccount, session: SessionDep) -> MassSendView:
    job = await service.job_of(session, account=account, msg_id=msg_id)
    return service.job_view(job)
