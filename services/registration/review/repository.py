"""Every SQL statement about reviews, the due approvals of the clock hook included."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from servicekit import clock
from services.registration.accounts.models import Account
from services.registration.lifecycle.models import LifecycleFact
from services.registration.outbox_relay.models import PendingMessage
from services.registration.review.models import Review


async def latest_review(session: AsyncSession, account_id: str) -> Review | None:
    return await session.scalar(
        select(Review).where(Review.account_id == account_id).order_by(Review.submitted_at.desc()).limit(1)
    )


async def reviews_of(session: AsyncSession, account_id: str) -> Sequence[Review]:
    rows = await session.scalars(
        select(Review).where(Review.account_id == account_id).order_by(Review.submitted_at)
    )
    return list(rows)


async def get_review(session: AsyncSession, review_id: str, *, lock: bool = False) -> Review | None:
    """A review; with `lock`, its row FOR UPDATE and the freshly read state (lock its account first)."""
    stmt = select(Review).where(Review.id == review_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(stmt)


async def list_reviews(
    session: AsyncSession, *, kind: str | None, status: str | None, namespace: str | None
) -> Sequence[Review]:
    stmt = select(Review).order_by(Review.submitted_at)
    if kind:
        stmt = stmt.where(Review.kind == kind)
    if status:
        stmt = stmt.where(Review.status == status)
    if namespace:
        stmt = stmt.where(Review.namespace == namespace)
    return list(await session.scalars(stmt.limit(1000)))


def _horizon(at: datetime | None, namespace: object) -> ColumnElement[Any]:
    """`at` when the hook names one namespace and moment, else each row's own namespace clock."""
    return literal(at) if at is not None else clock.sql_now(namespace)  # type: ignore[arg-type]


async def approve_due(
    session: AsyncSession, *, at: datetime | None, namespace: str | None, default_policy: str
) -> dict[str, datetime]:
    """`at_deadline` reviews past their deadline approved at it, with their accounts; {account: deadline}.

    The due accounts are locked first, in id order (the review lock order; two hooks over the same
    rows queue instead of deadlocking); a review decided meanwhile is no longer pending when its
    update runs, so it is skipped rather than decided twice. Each approval writes its notice in the
    same statement set (INSERT … SELECT), and the fact the scheduler needs.
    """
    ns = clock.namespaces
    policy = func.coalesce(
        select(ns.c.review_policy).where(ns.c.namespace == Review.namespace).scalar_subquery(),
        default_policy,
    )
    conditions = [
        Review.status == "pending",
        policy == "at_deadline",
        Review.deadline <= _horizon(at, Review.namespace),
    ]
    if namespace is not None:
        conditions.append(Review.namespace == namespace)
    due_accounts = select(Review.account_id).where(*conditions)
    locked = (
        await session.scalars(
            select(Account.id)
            .where(Account.id.in_(due_accounts), Account.status == "in_review")
            .order_by(Account.id)
            .with_for_update(of=Account)
        )
    ).all()
    if not locked:
        return {}
    decided = (
        await session.execute(
            update(Review)
            .where(and_(*conditions), Review.account_id.in_(locked))
            .values(status="approved", decided_at=Review.deadline, decided_by="deadline")
            .returning(Review.account_id, Review.deadline)
        )
    ).all()
    if not decided:
        return {}
    due = {row.account_id: row.deadline for row in decided}
    ids = list(due)
    # One random AppID/secret/original id per row, generated in SQL (gen_random_uuid is per row).
    rand = func.replace(cast(func.gen_random_uuid(), String), "-", "")
    await session.execute(
        update(Account)
        .where(Account.id.in_(ids), Account.status == "in_review")
        .values(
            status="approved",
            approved_at=select(Review.deadline)
            .where(Review.account_id == Account.id, Review.decided_by == "deadline")
            .order_by(Review.deadline.desc())
            .limit(1)
            .scalar_subquery(),
            appid=func.coalesce(Account.appid, func.concat("wx", func.substr(rand, 1, 16))),
            original_id=func.coalesce(Account.original_id, func.concat("gh_", func.substr(rand, 17, 12))),
            secret_hash=func.encode(func.sha256(func.convert_to(func.concat(rand, rand), "UTF8")), "hex"),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        insert(PendingMessage).from_select(
            [
                "id",
                "account_id",
                "namespace",
                "channel",
                "to",
                "kind",
                "subject",
                "body",
                "data",
                "created_at",
            ],
            select(
                func.concat("msg_", func.substr(rand, 1, 20)),
                Account.id,
                Account.namespace,
                literal("notification"),
                Account.id,
                literal("registration_approved"),
                literal("公众号信息登记审核通过"),
                func.concat("你的公众号“", Account.name, "”信息登记审核已通过，可以正常使用微信公众平台。"),
                func.jsonb_build_object("appid", Account.appid),
                Account.approved_at,
            ).where(Account.id.in_(ids), Account.status == "approved"),
        )
    )
    # R-DER-01 ends and R-DER-02 starts: the scheduler hears of each approval (relayed after commit).
    await session.execute(
        insert(LifecycleFact).from_select(
            ["id", "account_id", "namespace", "kind", "at"],
            select(
                func.concat("fct_", func.substr(rand, 1, 24)),
                Account.id,
                Account.namespace,
                literal("approved"),
                Account.approved_at,
            ).where(Account.id.in_(ids), Account.status == "approved"),
        )
    )
    return due
