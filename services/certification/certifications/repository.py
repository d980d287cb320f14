"""Every SQL statement on `certification.certifications`: lookups, grants, lapses, ends and the
expiring notices' markers. "Live" means active and not yet past `expires_at` on the namespace's clock
(a certification past its expiry counts as lapsed at once, even before the sweep records it)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from services.certification.certifications.models import ACTIVE, Certification


def horizon(at: datetime | None, namespace: Any) -> ColumnElement[Any]:
    """`at` when one namespace's moment is known, else each row's own namespace clock (the sweep)."""
    return literal(at) if at is not None else clock.sql_now(namespace)


def _live() -> ColumnElement[bool]:
    return and_(
        Certification.status == ACTIVE, Certification.expires_at > horizon(None, Certification.namespace)
    )


async def get(session: AsyncSession, account_id: str, *, lock: bool = False) -> Certification | None:
    stmt = select(Certification).where(Certification.account_id == account_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def get_many(session: AsyncSession, account_ids: list[str]) -> dict[str, Certification]:
    rows = await session.scalars(select(Certification).where(Certification.account_id.in_(account_ids)))
    return {row.account_id: row for row in rows}


async def live_by_name(session: AsyncSession, namespace: str, name: str) -> Certification | None:
    """The live holder of a certified name in a namespace (R-CER-04); the unique index allows at most
    one active."""
    return await session.scalar(
        select(Certification).where(
            Certification.namespace == namespace, Certification.certified_name == name, _live()
        )
    )


async def grant(session: AsyncSession, values: dict[str, Any]) -> Certification:
    """Insert or replace the account's certification as active. Raises IntegrityError when another
    account's active certification holds the name (`uq_certifications_live_name`)."""
    fresh = {**values, "status": ACTIVE, "ended_at": None, "end_reason": None}
    stmt = (
        insert(Certification)
        .values(**fresh)
        .on_conflict_do_update(
            index_elements=["account_id"], set_={k: v for k, v in fresh.items() if k != "account_id"}
        )
        .returning(Certification)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(stmt)).scalar_one()


async def grant_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """`grant` for many accounts in one statement (the clock hook's due approvals)."""
    if not rows:
        return
    stmt = insert(Certification).values(
        [{**r, "status": ACTIVE, "ended_at": None, "end_reason": None} for r in rows]
    )
    columns = [c for c in rows[0] if c != "account_id"] + ["status", "ended_at", "end_reason"]
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["account_id"], set_={c: stmt.excluded[c] for c in columns})
    )


async def lapse_due(
    session: AsyncSession,
    *,
    at: datetime | None,
    namespace: str | None,
    accounts: Sequence[str] = (),
    name: str | None = None,
    name_namespace: str | None = None,
) -> Sequence[Certification]:
    """R-CER-07: active certifications at or past `expires_at` lapse at it; the lapsed rows.

    Narrowed to `accounts` or holders of `name` when given (an approval clears what has already
    expired before it grants), else every due row of `namespace` (or of every namespace)."""
    conditions: list[ColumnElement[bool]] = [
        Certification.status == ACTIVE,
        Certification.expires_at <= horizon(at, Certification.namespace),
    ]
    if namespace is not None:
        conditions.append(Certification.namespace == namespace)
    narrow: list[ColumnElement[bool]] = []
    if accounts:
        narrow.append(Certification.account_id.in_(list(accounts)))
    if name is not None:
        narrow.append(and_(Certification.namespace == name_namespace, Certification.certified_name == name))
    if narrow:
        conditions.append(or_(*narrow))
    result = await session.scalars(
        update(Certification)
        .where(*conditions)
        .values(status="lapsed", ended_at=Certification.expires_at, end_reason="expired")
        .returning(Certification)
        .execution_options(populate_existing=True)
    )
    return result.all()


async def mark_expiring(
    session: AsyncSession, *, days: int, at: datetime | None, namespace: str | None
) -> Sequence[Certification]:
    """R-CER-07: live certifications whose `expires_at - days` has come, not yet noticed for this
    expiry, marked noticed; the marked rows (each notice is due at `expires_at - days`)."""
    marker = Certification.notice_90_for if days == 90 else Certification.notice_30_for
    conditions = [
        Certification.status == ACTIVE,
        Certification.expires_at - timedelta(days=days) <= horizon(at, Certification.namespace),
        or_(marker.is_(None), marker != Certification.expires_at),
    ]
    if namespace is not None:
        conditions.append(Certification.namespace == namespace)
    result = await session.scalars(
        update(Certification)
        .where(*conditions)
        .values({marker.key: Certification.expires_at})
        .returning(Certification)
        .execution_options(populate_existing=True)
    )
    return result.all()


async def end(session: AsyncSession, account_id: str, *, at: datetime, reason: str) -> Certification | None:
    """R-CER-08: the account's active certification ends now (its name is free); None when none was."""
    return await session.scalar(
        update(Certification)
        .where(Certification.account_id == account_id, Certification.status == ACTIVE)
        .values(status="ended", ended_at=at, end_reason=reason)
        .returning(Certification)
        .execution_options(populate_existing=True)
    )
