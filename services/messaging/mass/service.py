"""Mass send (SPEC §5.3): accept a send as a job, within the quota and idempotent by clientmsgid.

Acceptance is one transaction: job row, clientmsgid claim, quota counter. Any refusal raises and the
request's unit of work rolls all three back — a refused send consumes nothing. The fan-out runs
later, after the commit (jobs.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.messaging.schemas import AccountStats, QuotaState
from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import NotFound
from services.messaging.followers import repository as followers
from services.messaging.followers.rules import RESERVED_TAG_IDS
from services.messaging.mass import errors, quota, repository, rules
from services.messaging.mass.messages import MassMessage, Target
from services.messaging.mass.models import MassJob
from services.messaging.mass.repository import DELETE, SENDING
from services.messaging.mass.schemas import FollowerInbox, InboxItem, MassSendView
from services.messaging.materials.service import resolve_for_mass

# msg_data_id (mpnews only) is the article data id; derived from msg_id so it is stable and unique.
MSG_DATA_ID_OFFSET = 1_247_483_647


def msg_data_id(job: MassJob) -> int | None:
    return job.id + MSG_DATA_ID_OFFSET if job.msgtype == "mpnews" else None


async def _check_media(session: AsyncSession, account: AccountView, message: MassMessage) -> None:
    for media_id in message.media_ids:
        await resolve_for_mass(
            session,
            account_id=account.account_id,
            namespace=account.namespace,
            media_id=media_id,
            msgtype=message.msgtype,
        )


async def _check_target(session: AsyncSession, account: AccountView, target: Target) -> None:
    if target.tag_id is not None and target.tag_id not in RESERVED_TAG_IDS:
        if not await followers.tag_exists(session, account.account_id, target.tag_id):
            raise errors.invalid_tag(target.tag_id)


def _new_job(
    account: AccountView, message: MassMessage, target: Target, *, source: str, now: datetime
) -> MassJob:
    return MassJob(
        account_id=account.account_id,
        namespace=account.namespace,
        appid=account.appid,
        account_type=account.type or "",
        folder=rules.folder_for(account.type),
        source=source,
        audience_kind=target.kind,
        audience=target.as_json(),
        msgtype=message.msgtype,
        content=message.content,
        media_id=message.media_id,
        payload={"media_ids": list(message.media_ids), **message.extra} if message.media_ids else {},
        clientmsgid=None,
        status=SENDING,
        total_count=0,
        filter_count=0,
        sent_count=0,
        error_count=0,
        created_at=now,
        finished_at=None,
        deleted_at=None,
    )


async def submit(
    session: AsyncSession,
    *,
    account: AccountView,
    message: MassMessage,
    target: Target,
    source: str,
    clientmsgid: str | None = None,
) -> MassJob:
    """Accept a send (R-MSG-23, R-MSG-26, R-MSG-27): the job is SENDING; nothing is delivered yet."""
    await _check_target(session, account, target)
    await _check_media(session, account, message)
    now = await clock.now(session, account.namespace)
    quota.period_for(account.type, now)  # an account without a quota is refused before anything is written
    job = _new_job(account, message, target, source=source, now=now)
    job.clientmsgid = clientmsgid
    await repository.insert_job(session, job)
    if clientmsgid is not None:
        existing = await repository.claim_clientmsgid(
            session, account_id=account.account_id, clientmsgid=clientmsgid, msg_id=job.id, now=now
        )
        if existing is not None:
            raise errors.clientmsgid_exists(existing)
    await quota.take_mass_send(session, account_id=account.account_id, account_type=account.type, now=now)
    return job


async def preview(
    session: AsyncSession, *, account: AccountView, message: MassMessage, openid: str
) -> MassJob:
    """Send to one follower (mass/preview): no quota use, 100 per day."""
    follower = await followers.follower(session, account.account_id, openid)
    if follower is None or not follower.subscribed:
        raise errors.invalid_openid()
    await _check_media(session, account, message)
    now = await clock.now(session, account.namespace)
    target = Target("preview", openids=(openid,))
    job = _new_job(account, message, target, source="api", now=now)
    await repository.insert_job(session, job)
    await quota.take_preview(session, account_id=account.account_id, now=now)
    return job


def recipients(job: MassJob) -> tuple[Select[int, str], Select[int, str] | None]:
    """(who receives the job, the unfiltered base for TotalCount when filters narrow it, else None)."""
    target = Target.from_json(job.audience_kind, job.audience)
    openids = list(target.openids) if target.openids else None
    query = followers.audience(
        job.account_id,
        tag_id=target.tag_id,
        gender=target.gender,
        country=target.country,
        province=target.province,
        city=target.city,
        openids=openids,
    )
    base = followers.audience(job.account_id, tag_id=target.tag_id) if target.narrowed else None
    return query, base


async def job_of(session: AsyncSession, *, account: AccountView, msg_id: object) -> MassJob:
    """The account's job; unknown ids and other accounts' jobs alike → 40059 / 404."""
    try:
        number = int(msg_id)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise errors.mass_send_not_found() from None
    if not 0 < number <= rules.MSG_ID_MAX:
        raise errors.mass_send_not_found()
    job = await repository.get_job(session, msg_id=number, account_id=account.account_id)
    if job is None:
        raise errors.mass_send_not_found()
    return job


async def delete(
    session: AsyncSession, *, account: AccountView, msg_id: object, article_idx: object
) -> MassJob:
    if article_idx is not None and (not isinstance(article_idx, int) or not 0 <= article_idx <= 8):
        raise errors.invalid_article_idx()
    job = await job_of(session, account=account, msg_id=msg_id)
    if job.status != DELETE:
        job.status = DELETE
        job.deleted_at = await clock.now(session, account.namespace)
        await session.flush()
    return job


async def quota_state(session: AsyncSession, *, account: AccountView) -> QuotaState:
    now = await clock.now(session, account.namespace)
    return await quota.mass_quota_state(
        session, account_id=account.account_id, account_type=account.type, now=now
    )


async def account_stats(
    session: AsyncSession, *, account_id: str, namespace: str, account_type: str | None
) -> AccountStats:
    """Messaging's part of `GET /_sandbox/accounts/{appid}`: follower count and the current quota."""
    count = await followers.count_followers(session, account_id)
    kind = account_type or await repository.latest_account_type(session, account_id)
    state = None
    if kind in ("subscription", "service"):
        now = await clock.now(session, namespace)
        state = await quota.mass_quota_state(session, account_id=account_id, account_type=kind, now=now)
    return AccountStats(followers=count, quota=state)


async def inbox(session: AsyncSession, *, openid: str, limit: int) -> FollowerInbox:
    """What a follower sees (R-MSG-24): mass messages, newest first, in the folder of the sender's type."""
    follower_id = await repository.follower_id(session, openid)
    if follower_id is None:
        raise NotFound("没有这个 openid 的粉丝", code="follower_not_found", field="openid")
    items = []
    for job, delivered_at in await repository.inbox(session, follower_id=follower_id, limit=limit):
        item: dict[str, Any] = {
            "msg_id": job.id,
            "folder": job.folder,
            "msgtype": job.msgtype,
            "from_appid": job.appid,
            "delivered_at": delivered_at.astimezone(clock.SHANGHAI).isoformat(),
            "deleted": job.status == DELETE,
        }
        if job.msgtype == "text":
            item["content"] = job.content
        else:
            item["media_id"] = job.media_id
            if len(job.payload.get("media_ids", ())) > 1:
                item["media_ids"] = job.payload["media_ids"]
        items.append(item)
    return FollowerInbox(openid=openid, items=[InboxItem(**item) for item in items])


def job_view(job: MassJob) -> MassSendView:
    """The console's view of a job (`GET /api/v1/mass-sends/{msg_id}`)."""
    view: dict[str, Any] = {
        "msg_id": job.id,
        "msg_data_id": msg_data_id(job),
        "status": job.status,
        "msgtype": job.msgtype,
        "audience": {"type": job.audience_kind, **job.audience},
        "folder": job.folder,
        "source": job.source,
        "clientmsgid": job.clientmsgid,
        "total_count": job.total_count,
        "filter_count": job.filter_count,
        "sent_count": job.sent_count,
        "error_count": job.error_count,
        "created_at": job.created_at.astimezone(clock.SHANGHAI).isoformat(),
        "finished_at": job.finished_at.astimezone(clock.SHANGHAI).isoformat() if job.finished_at else None,
    }
    if job.msgtype == "text":
        view["text"] = job.content
    else:
        view["media_id"] = job.media_id
    return MassSendView(**view)
