"""Every SQL statement on `certification.certifications`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.certification.certifications.models import Certification


async def get(session: AsyncSession, account_id: str) -> Certification | None:
    return await session.scalar(select(Certification).where(Certification.account_id == account_id))


async def get_many(session: AsyncSession, account_ids: list[str]) -> dict[str, Certification]:
    rows = await session.scalars(select(Certification).where(Certification.account_id.in_(account_ids)))
    return {row.account_id: row for row in rows}


async def upsert(
    session: AsyncSession, *, account_id: str, name: str, text: str, at: datetime
) -> Certification:
    stmt = (
        insert(Certification)
        .values(account_id=account_id, certified_name=name, certification_text=text, certified_at=at)
        .on_conflict_do_update(
            index_elements=["account_id"],
            set_={"certified_name": name, "certification_text": text, "certified_at": at},
        )
        .returning(Certification)
    )
    return (await session.execute(stmt)).scalar_one()


async def by_name(session: AsyncSession, name: str) -> Certification | None:
    """The latest holder of a certified name. Names are unique among certified accounts (R-CER-04); the
    order only makes the answer deterministic should fixtures have recorded one twice."""
    stmt = (
        select(Certification)
        .where(Certification.certified_name == name)
        .order_by(Certification.certified_at.desc(), Certification.account_id)
        .limit(1)
    )
    return await session.scalar(stmt)
