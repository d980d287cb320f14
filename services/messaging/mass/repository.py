"""Every SQL statement of mass send. Counting limits are enforced here, by the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, literal, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.messaging.followers.models import Follower
from services.messaging.mass.models import MassClientMsgId, MassCounter, MassDelivery, MassJob
from services.messaging.mass.rules import CLIENTMSGID_WINDOW, QuotaPeriod

SENDING, SEND_SUCCESS, SEND_FAIL, DELETE = "SENDING", "SEND_SUCCESS", "SEND_FAIL", "DELETE"


async def insert_job(session: AsyncSession, job: MassJob) -> MassJob:
    session.add(job)
    await session.flush()
    return job


async def claim_clientmsgid(
    session: AsyncSession, *, account_id: str, clientmsgid: str, msg_id: int, now: datetime
) -> int | None:
    """Claim `clientmsgid` for `msg_id`; returns the existing job's id when it was used in the last 24 h.

    The upsert takes the row lock, so a concurrent repeat waits for the first send's commit and then
    sees its claim — two sends can never both win (R-MSG-26).
    """
    claim = MassClientMsgId
    stmt = insert(claim).values(account_id=account_id, clientmsgid=clientmsgid, msg_id=msg_id, created_at=now)
    upsert = stmt.on_conflict_do_update(
        index_elements=[claim.account_id, claim.clientmsgid],
        set_={"msg_id": stmt.excluded.msg_id, "created_at": stmt.excluded.created_at},
        where=claim.created_at <= stmt.excluded.created_at - CLIENTMSGID_WINDOW,
    ).returning(claim.msg_id)
    if (await session.execute(upsert)).first() is not None:
        return None
    existing = await session.scalar(
        select(claim.msg_id).where(claim.account_id == account_id, claim.clientmsgid == clientmsgid)
    )
    return int(existing) if existing is not None else None


async def consume(
    session: AsyncSession, *, account_id: str, kind: str, period: QuotaPeriod, account_type: str | None
) -> bool:
    """Use one unit of the period's counter; False when it is exhausted (nothing changes then).

    One conditional upsert: the row lock serialises concurrent sends and `used < quota_limit` is
    re-checked on the latest row version, so the limit is never exceeded (R-MSG-23).
    """
    stmt = insert(MassCounter).values(
        account_id=account_id,
        kind=kind,
        period_start=period.start,
        period=period.period,
        account_type=account_type,
        quota_limit=period.limit,
        used=1,
        resets_at=period.resets_at,
    )
    upsert = stmt.on_conflict_do_update(
        index_elements=[MassCounter.account_id, MassCounter.kind, MassCounter.period_start],
        set_={"used": MassCounter.used + 1},
        where=MassCounter.used < MassCounter.quota_limit,
    ).returning(MassCounter.used)
    return (await session.execute(upsert)).first() is not None


async def counter_used(session: AsyncSession, *, account_id: str, kind: str, period_start: datetime) -> int:
    used = await session.scalar(
        select(MassCounter.used).where(
            MassCounter.account_id == account_id,
            MassCounter.kind == kind,
            MassCounter.period_start == period_start,
        )
    )
    return int(used or 0)


async def latest_account_type(session: AsyncSession, account_id: str) -> str | None:
    """The account type last seen by mass send (stats callers may not pass it)."""
    return await session.scalar(
        select(MassJob.account_type)
        .where(MassJob.account_id == account_id)
        .order_by(MassJob.id.desc())
        .limit(1)
    )


async def get_job(session: AsyncSession, *, msg_id: int, account_id: str) -> MassJob | None:
    return await session.scalar(select(MassJob).where(MassJob.id == msg_id, MassJob.account_id == account_id))


async def lock_sending_job(session: AsyncSession, msg_id: int, *, wait: bool = False) -> MassJob | None:
    """The job if it still needs its fan-out, locked; SKIP LOCKED lets one worker (of any process)
    own it. With `wait`, a lock held elsewhere is waited for and the job re-read once it is free: the
    holder may be the backend of a killed process, still running its fan-out until it rolls back."""
    return await session.scalar(
        select(MassJob)
        .where(MassJob.id == msg_id, MassJob.status == SENDING)
        .with_for_update(skip_locked=not wait)
    )


async def sending_job_ids(session: AsyncSession) -> list[int]:
    rows = await session.scalars(select(MassJob.id).where(MassJob.status == SENDING).order_by(MassJob.id))
    return list(rows)


async def count_rows(session: AsyncSession, query: Select[int, str]) -> int:
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


async def insert_deliveries(
    session: AsyncSession, *, msg_id: int, recipients: Select[int, str], delivered_at: datetime
) -> int:
    """One `INSERT … SELECT` from the audience query (R-MSG-27): no Python loop over recipients.

    Called only by the transaction that holds the SENDING job's lock (see jobs.py), so the primary key
    is never hit; a duplicate would be an error, not a silent double delivery.
    """
    audience = recipients.subquery()
    rows = select(audience.c.id, literal(msg_id), literal(delivered_at))
    stmt = insert(MassDelivery).from_select(["follower_id", "msg_id", "delivered_at"], rows)
    result = await session.execute(stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def inbox(session: AsyncSession, *, follower_id: int, limit: int) -> list[tuple[MassJob, datetime]]:
    rows = await session.execute(
        select(MassJob, MassDelivery.delivered_at)
        .join(MassDelivery, MassDelivery.msg_id == MassJob.id)
        .where(MassDelivery.follower_id == follower_id)
        .order_by(MassDelivery.delivered_at.desc(), MassJob.id.desc())
        .limit(limit)
    )
    return [(job, at) for job, at in rows.all()]


async def follower_id(session: AsyncSession, openid: str) -> int | None:
    """Any account's follower: the control plane's inbox is addressed by openid alone."""
    return await session.scalar(select(Follower.id).where(Follower.openid == openid))


async def set_statement_timeout_off(session: AsyncSession) -> None:
    """Fan-outs of millions of rows may outlive a server-side statement timeout; this is a job."""
    await session.execute(text("SET LOCAL statement_timeout = 0"))
