"""SQL on tags and follower_tags (R-MSG-02). `tag_exists` stays in `repository` (mass send uses it)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.messaging.followers.models import Follower, FollowerTag, Tag

TAG_LOCK_SQL = text("SELECT pg_advisory_xact_lock(hashtext('messaging.tags'), hashtext(:account_id))")


async def lock_account_tags(session: AsyncSession, account_id: str) -> None:
    """Serialise tag creation/rename per account until the transaction ends (R-MSG-02: ≤ 100 tags)."""
    await session.execute(TAG_LOCK_SQL, {"account_id": account_id})


async def tags_with_counts(session: AsyncSession, account_id: str) -> list[tuple[int, str, int]]:
    """The account's own tags with their subscribed-member counts, by id."""
    members = (
        select(FollowerTag.tag_id, func.count().label("n"))
        .join(Follower, Follower.id == FollowerTag.follower_id)
        .where(FollowerTag.account_id == account_id, Follower.subscribed.is_(True))
        .group_by(FollowerTag.tag_id)
        .subquery()
    )
    rows = await session.execute(
        select(Tag.id, Tag.name, func.coalesce(members.c.n, 0))
        .outerjoin(members, members.c.tag_id == Tag.id)
        .where(Tag.account_id == account_id)
        .order_by(Tag.id)
    )
    return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]


async def tag_member_count(session: AsyncSession, account_id: str, tag_id: int) -> int:
    total = await session.scalar(
        select(func.count())
        .select_from(FollowerTag)
        .join(Follower, Follower.id == FollowerTag.follower_id)
        .where(FollowerTag.account_id == account_id, FollowerTag.tag_id == tag_id, Follower.subscribed)
    )
    return int(total or 0)


async def tag_stats(session: AsyncSession, account_id: str) -> tuple[int, int]:
    """(number of tags, highest id) of the account's own tags."""
    row = (
        await session.execute(
            select(func.count(), func.coalesce(func.max(Tag.id), 0)).where(Tag.account_id == account_id)
        )
    ).one()
    return int(row[0]), int(row[1])


async def tag_named(session: AsyncSession, account_id: str, name: str) -> int | None:
    return await session.scalar(select(Tag.id).where(Tag.account_id == account_id, Tag.name == name))


async def insert_tag(session: AsyncSession, account_id: str, tag_id: int, name: str) -> None:
    await session.execute(insert(Tag).values(account_id=account_id, id=tag_id, name=name))


async def rename_tag(session: AsyncSession, account_id: str, tag_id: int, name: str) -> None:
    await session.execute(update(Tag).where(Tag.account_id == account_id, Tag.id == tag_id).values(name=name))


async def delete_tag(session: AsyncSession, account_id: str, tag_id: int) -> None:
    await session.execute(
        delete(FollowerTag).where(FollowerTag.account_id == account_id, FollowerTag.tag_id == tag_id)
    )
    await session.execute(delete(Tag).where(Tag.account_id == account_id, Tag.id == tag_id))


async def lock_followers(session: AsyncSession, follower_ids: Sequence[int]) -> None:
    """Row locks in id order (no deadlocks): concurrent taggings of one follower serialise (≤ 20 tags)."""
    await session.execute(
        select(Follower.id)
        .where(Follower.id.in_(follower_ids))
        .order_by(Follower.id)
        .with_for_update(key_share=True)
    )


async def over_tag_limit(session: AsyncSession, follower_ids: Sequence[int], tag_id: int, limit: int) -> bool:
    """Would adding `tag_id` give any of these followers more than `limit` tags?"""
    already = (
        select(FollowerTag.follower_id)
        .where(FollowerTag.follower_id.in_(follower_ids))
        .group_by(FollowerTag.follower_id)
        .having(
            func.count() >= limit,
            func.bool_and(FollowerTag.tag_id != tag_id),
        )
    )
    return (await session.scalar(select(exists(already)))) is True


async def add_tag(session: AsyncSession, account_id: str, follower_ids: Sequence[int], tag_id: int) -> None:
    await session.execute(
        insert(FollowerTag)
        .values([{"account_id": account_id, "follower_id": fid, "tag_id": tag_id} for fid in follower_ids])
        .on_conflict_do_nothing()
    )


async def remove_tag(session: AsyncSession, follower_ids: Sequence[int], tag_id: int) -> None:
    await session.execute(
        delete(FollowerTag).where(FollowerTag.follower_id.in_(follower_ids), FollowerTag.tag_id == tag_id)
    )


async def tag_members_page(
    session: AsyncSession, account_id: str, tag_id: int, *, after_id: int, limit: int
) -> list[str]:
    """Openids of the tag's subscribed members after `after_id`, in follower order (user/tag/get)."""
    rows = await session.scalars(
        select(Follower.openid)
        .join(FollowerTag, FollowerTag.follower_id == Follower.id)
        .where(
            FollowerTag.account_id == account_id,
            FollowerTag.tag_id == tag_id,
            FollowerTag.follower_id > after_id,
            Follower.subscribed.is_(True),
        )
        .order_by(FollowerTag.follower_id)
        .limit(limit)
    )
    return list(rows)
