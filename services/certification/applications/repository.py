"""Every SQL statement on applications and their files, the clock hook's due approvals included."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from servicekit import clock
from services.certification.applications.models import Application, ApplicationFile
from services.certification.certifications.models import ACTIVE, Certification
from services.certification.certifications.repository import horizon

PENDING = "pending"


async def add(session: AsyncSession, application: Application, files: list[ApplicationFile]) -> None:
    """Raises IntegrityError when the account already has a pending application
    (`uq_applications_one_pending`): two concurrent submissions cannot both be pending."""
    session.add(application)
    await session.flush()
    session.add_all(files)
    await session.flush()


async def pending_of(session: AsyncSession, account_id: str) -> Application | None:
    return await session.scalar(
        select(Application).where(Application.account_id == account_id, Application.status == PENDING)
    )


async def pending_of_many(session: AsyncSession, account_ids: list[str]) -> dict[str, Application]:
    rows = await session.scalars(
        select(Application).where(Application.account_id.in_(account_ids), Application.status == PENDING)
    )
    return {row.account_id: row for row in rows}


async def of_account(session: AsyncSession, account_id: str) -> Sequence[Application]:
    """Every application of the account, newest first."""
    rows = await session.scalars(
        select(Application)
        .where(Application.account_id == account_id)
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(1000)
    )
    return rows.all()


async def get(session: AsyncSession, application_id: str) -> Application | None:
    return await session.scalar(select(Application).where(Application.id == application_id))


async def by_review(session: AsyncSession, review_id: str, *, lock: bool = False) -> Application | None:
    stmt = select(Application).where(Application.review_id == review_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def file_of(session: AsyncSession, application_id: str, field: str) -> ApplicationFile | None:
    return await session.scalar(
        select(ApplicationFile).where(
            ApplicationFile.application_id == application_id, ApplicationFile.field == field
        )
    )


async def list_reviews(
    session: AsyncSession, *, status: str | None, namespace: str | None
) -> Sequence[Application]:
    stmt = select(Application).order_by(Application.submitted_at, Application.id)
    if status:
        stmt = stmt.where(Application.status == status)
    if namespace:
        stmt = stmt.where(Application.namespace == namespace)
    return (await session.scalars(stmt.limit(1000))).all()


async def cancel_pending(session: AsyncSession, account_id: str, *, at: datetime) -> Sequence[Application]:
    """R-CER-08: the pending application of a terminated account is closed as `cancelled`."""
    result = await session.scalars(
        update(Application)
        .where(Application.account_id == account_id, Application.status == PENDING)
        .values(status="cancelled", decided_at=at, decided_by="termination")
        .returning(Application)
    )
    return result.all()


async def lock_due(
    session: AsyncSession, *, at: datetime | None, namespace: str | None, default_policy: str
) -> Sequence[Application]:
    """`at_deadline` applications past their deadline that can be decided now, locked (SKIP LOCKED: a
    manual decision under way decides that one), in deadline order.

    Left for a later pass: an application whose account still holds a certification expiring before
    the deadline (that lapse comes first, R-CLK-02). Left to the reviewer for good (R-CER-04: it stays
    pending, the reviewer must reject it): one whose name another account held at its deadline — still
    held now (it may lapse later, but the deadline has passed) or held across the deadline."""
    ns = clock.namespaces
    policy = func.coalesce(
        select(ns.c.review_policy).where(ns.c.namespace == Application.namespace).scalar_subquery(),
        default_policy,
    )
    own = Certification.__table__.alias("own")
    other = Certification.__table__.alias("other")
    conditions = [
        Application.status == PENDING,
        policy == "at_deadline",
        Application.deadline <= horizon(at, Application.namespace),
        ~select(own.c.account_id)
        .where(
            own.c.account_id == Application.account_id,
            own.c.status == ACTIVE,
            own.c.expires_at < Application.deadline,
        )
        .exists(),
        ~select(other.c.account_id)
        .where(
            and_(
                other.c.namespace == Application.namespace,
                other.c.certified_name == Application.certified_name,
                other.c.account_id != Application.account_id,
                or_(
                    other.c.status == ACTIVE,
                    and_(
                        other.c.certified_at <= Application.deadline, other.c.ended_at > Application.deadline
                    ),
                ),
            )
        )
        .exists(),
    ]
    if namespace is not None:
        conditions.append(Application.namespace == namespace)
    rows = await session.scalars(
        select(Application)
        .where(*conditions)
        .order_by(Application.deadline, Application.id)
        .limit(5000)
        .with_for_update(of=Application, skip_locked=True)
    )
    return rows.all()


async def mark_approved_at_deadline(session: AsyncSession, application_ids: list[str]) -> None:
    if application_ids:
        await session.execute(
            update(Application)
            .where(Application.id.in_(application_ids), Application.status == PENDING)
            .values(status="approved", decided_at=Application.deadline, decided_by="deadline")
        )


async def files_of(session: AsyncSession, application_id: str) -> Sequence[ApplicationFile]:
    """The files' metadata (the scans themselves are not loaded)."""
    rows = await session.scalars(
        select(ApplicationFile)
        .where(ApplicationFile.application_id == application_id)
        .options(defer(ApplicationFile.data))
        .order_by(ApplicationFile.field)
    )
    return rows.all()
