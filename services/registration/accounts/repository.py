"""Every SQL statement about accounts and their documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, literal, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from services.registration.accounts.models import Account, Document

LIVE = Account.status != "terminated"


async def get_account(session: AsyncSession, account_id: str, *, lock: bool = False) -> Account | None:
    stmt = select(Account).where(Account.id == account_id)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def account_by_appid(session: AsyncSession, appid: str) -> Account | None:
    return await session.scalar(select(Account).where(Account.appid == appid))


async def live_account_by_email(session: AsyncSession, email: str, *, lock: bool = False) -> Account | None:
    stmt = select(Account).where(func.lower(Account.email) == email.lower(), LIVE)
    if lock:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def latest_terminated_by_email(session: AsyncSession, email: str) -> Account | None:
    return await session.scalar(
        select(Account)
        .where(func.lower(Account.email) == email.lower(), Account.status == "terminated")
        .order_by(Account.terminated_at.desc().nulls_last())
        .limit(1)
    )


async def expire_unactivated(
    session: AsyncSession,
    *,
    now: datetime | None,
    email: str | None = None,
    namespace: str | None = None,
) -> dict[str, datetime]:
    """R-REG-06: unactivated accounts past their 48 h are terminated at expiry; {id: expiry}.

    `now` None means each account's own namespace clock (the clock hook's sweep, set-based).
    """
    horizon = clock.sql_now(Account.namespace) if now is None else literal(now)  # type: ignore[arg-type]
    stmt = (
        update(Account)
        .where(Account.status == "email_unverified", Account.activation_expires_at <= horizon)
        .values(
            status="terminated",
            terminated_at=Account.activation_expires_at,
            termination_reason="激活链接已过期（48小时），需重新注册",
        )
        .returning(Account.id, Account.activation_expires_at)
    )
    if email is not None:
        stmt = stmt.where(func.lower(Account.email) == email.lower())
    if namespace is not None:
        stmt = stmt.where(Account.namespace == namespace)
    if now is None:  # the session cannot evaluate the SQL clock: leave loaded rows alone, as the hook did
        stmt = stmt.execution_options(synchronize_session=False)
    rows = (await session.execute(stmt)).all()
    return {row.id: row.activation_expires_at for row in rows if row.activation_expires_at is not None}


async def advisory_lock(session: AsyncSession, key: str) -> None:
    """Serialise transactions on one business key until commit (R-REG-14 counts, SMS sends)."""
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key})


async def count_live_with(
    session: AsyncSession, column: str, value: str, *, namespace: str, exclude: str
) -> int:
    """Non-terminated accounts of `namespace` registered with this ID number or phone (R-REG-14)."""
    col = {"id_number": Account.operator_id_number, "phone": Account.operator_phone}[column]
    count = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(col == value, Account.namespace == namespace, LIVE, Account.id != exclude)
    )
    return int(count or 0)


async def documents_of(session: AsyncSession, account_id: str) -> dict[str, Document]:
    rows = await session.scalars(select(Document).where(Document.account_id == account_id))
    return {d.kind: d for d in rows}


async def put_document(session: AsyncSession, document: Document) -> None:
    await session.merge(document)


def _contains(q: str) -> str:
    """A LIKE pattern matching `q` anywhere, its own wildcards taken literally."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search_approved(session: AsyncSession, *, q: str, namespace: str, limit: int) -> Sequence[Account]:
    pattern = _contains(q)
    rows = await session.scalars(
        select(Account)
        .where(
            Account.status == "approved",
            Account.namespace == namespace,
            Account.name.ilike(pattern, escape="\\"),
        )
        .order_by(Account.approved_at)
        .limit(limit)
    )
    return list(rows)


async def account_page(
    session: AsyncSession,
    *,
    namespace: str,
    status: str | None,
    account_type: str | None,
    q: str | None,
    after: Account | None,
    limit: int,
) -> Sequence[Account]:
    """The namespace's accounts in creation order (then id), from just after `after`."""
    stmt = select(Account).where(Account.namespace == namespace)
    if status is not None:
        stmt = stmt.where(Account.status == status)
    if account_type is not None:
        stmt = stmt.where(Account.type == account_type)
    if q:
        stmt = stmt.where(Account.name.ilike(_contains(q), escape="\\"))
    if after is not None:
        stmt = stmt.where(
            tuple_(Account.created_at, Account.id) > tuple_(literal(after.created_at), literal(after.id))
        )
    rows = await session.scalars(stmt.order_by(Account.created_at, Account.id).limit(limit))
    return list(rows)


async def wechat_id_taken(session: AsyncSession, wechat_id: str) -> bool:
    """R-REG-32 / R-DER-04: held by a live account (a terminated one's WeChat ID is free again)."""
    found = await session.scalar(
        select(Account.id).where(func.lower(Account.wechat_id) == wechat_id.lower(), LIVE).limit(1)
    )
    return found is not None
