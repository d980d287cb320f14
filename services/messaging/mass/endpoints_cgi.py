"""WeChat mass-send API: `/cgi-bin/message/mass/*` (reference §2, wechatpy quirks §9.4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request

from servicekit.bodies import cgi_json
from servicekit.db import SessionDep
from services.messaging.dependencies import CgiAccount
from services.messaging.mass import errors, jobs, messages, service
from services.messaging.mass.models import MassJob

router = APIRouter(prefix="/cgi-bin/message/mass", tags=["cgi-bin: mass send"])
TargetParser = Callable[[dict[str, Any]], messages.Target]


def _accepted(job: MassJob) -> dict[str, Any]:
    body: dict[str, Any] = {"errcode": 0, "errmsg": "send job submission success", "msg_id": job.id}
    data_id = service.msg_data_id(job)
    if data_id is not None:
        body["msg_data_id"] = data_id
    return body


async def _submit(
    request: Request,
    account: CgiAccount,
    session: SessionDep,
    background: BackgroundTasks,
    parse_target: TargetParser,
) -> dict[str, Any]:
    """`/sendall` and `/send`: the same submission, told apart by how the body names its audience."""
    body = await cgi_json(request)
    message = messages.parse_cgi_message(body)
    target = parse_target(body)
    clientmsgid = messages.check_clientmsgid(body.get("clientmsgid"))
    job = await service.submit(
        session, account=account, message=message, target=target, source="api", clientmsgid=clientmsgid
    )
    background.add_task(jobs.dispatch, request.app, job.id)
    return _accepted(job)


@router.post("/sendall")
async def sendall(
    request: Request, account: CgiAccount, session: SessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """To everyone (`filter.is_to_all`) or to a tag (`filter.tag_id`, or wechatpy's `group_id`)."""
    return await _submit(request, account, session, background, messages.parse_sendall_target)


@router.post("/send")
async def send(
    request: Request, account: CgiAccount, session: SessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """To 2–10,000 openids; ones that do not follow this account are filtered out silently."""
    return await _submit(request, account, session, background, messages.parse_send_target)


@router.post("/preview")
async def preview(
    request: Request, account: CgiAccount, session: SessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """To one follower, by `touser` or `towxname` (which wins). WeChat IDs are not simulated, so a
    `towxname` is looked up as an openid."""
    body = await cgi_json(request)
    message = messages.parse_cgi_message(body)
    who = body.get("towxname") or body.get("touser")
    if not isinstance(who, str) or not who:
        raise errors.invalid_openid()
    job = await service.preview(session, account=account, message=message, openid=who)
    background.add_task(jobs.dispatch, request.app, job.id)
    return {"errcode": 0, "errmsg": "preview success", "msg_id": job.id}


@router.post("/get")
async def get(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    body = await cgi_json(request)
    job = await service.job_of(session, account=account, msg_id=body.get("msg_id"))
    return {"msg_id": job.id, "msg_status": job.status}


@router.post("/delete")
async def delete(request: Request, account: CgiAccount, session: SessionDep) -> dict[str, Any]:
    body = await cgi_json(request)
    await service.delete(
        session, account=account, msg_id=body.get("msg_id"), article_idx=body.get("article_idx")
    )
    return {"errcode": 0, "errmsg": "ok"}
