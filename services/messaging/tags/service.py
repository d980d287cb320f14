"""Tags (R-MSG-02): ≤ 100 per account, ≤ 20 per follower, ids from 100, 0/1/2 reserved (2 = 星标组).

Both counting limits are enforced under database locks, not by a read-then-write race: an advisory
lock per account around tag creation and renaming, row locks on the followers being tagged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registration.schemas import AccountView
from servicekit.errors import CgiError
from services.messaging.followers import repository, rules, service
from services.messaging.tags import repository as tag_repository


def _tag_object(body: dict[str, Any]) -> dict[str, Any]:
    tag = body.get("tag")
    if not isinstance(tag, dict):
        raise CgiError(47001)
    return tag


async def _ensure_editable(session: AsyncSession, account_id: str, tag_id: int) -> None:
    if tag_id in rules.RESERVED_TAG_IDS:
        raise CgiError(45058)
    if not await repository.tag_exists(session, account_id, tag_id):
        raise CgiError(45159)


async def _ensure_known(session: AsyncSession, account_id: str, tag_id: int) -> None:
    """A tag followers can carry: the account's own, or 星标组."""
    if tag_id == rules.STAR_TAG_ID:
        return
    if tag_id in rules.RESERVED_TAG_IDS or not await repository.tag_exists(session, account_id, tag_id):
        raise CgiError(45159)


async def _ensure_free_name(session: AsyncSession, account_id: str, name: str, tag_id: int | None) -> None:
    if name == rules.STAR_TAG_NAME:
        raise CgiError(45157)
    holder = await tag_repository.tag_named(session, account_id, name)
    if holder is not None and holder != tag_id:
        raise CgiError(45157)


async def create_tag(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> dict[str, Any]:
    name = rules.check_tag_name(_tag_object(body).get("name"))
    await tag_repository.lock_account_tags(session, account.account_id)
    count, highest = await tag_repository.tag_stats(session, account.account_id)
    if count >= rules.TAGS_PER_ACCOUNT:
        raise CgiError(45056)
    await _ensure_free_name(session, account.account_id, name, None)
    tag_id = max(highest + 1, rules.FIRST_TAG_ID)
    await tag_repository.insert_tag(session, account.account_id, tag_id, name)
    return {"tag": {"id": tag_id, "name": name}}


async def list_tags(session: AsyncSession, account: AccountView) -> dict[str, Any]:
    star = await tag_repository.tag_member_count(session, account.account_id, rules.STAR_TAG_ID)
    own = await tag_repository.tags_with_counts(session, account.account_id)
    return {
        "tags": [
            {"id": rules.STAR_TAG_ID, "name": rules.STAR_TAG_NAME, "count": star},
            *({"id": tag_id, "name": name, "count": count} for tag_id, name, count in own),
        ]
    }


async def update_tag(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> None:
    tag = _tag_object(body)
    tag_id = rules.check_tag_id(tag.get("id"))
    name = rules.check_tag_name(tag.get("name"))
    await tag_repository.lock_account_tags(session, account.account_id)
    await _ensure_editable(session, account.account_id, tag_id)
    await _ensure_free_name(session, account.account_id, name, tag_id)
    await tag_repository.rename_tag(session, account.account_id, tag_id, name)


async def delete_tag(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> None:
    tag_id = rules.check_tag_id(_tag_object(body).get("id"))
    await tag_repository.lock_account_tags(session, account.account_id)
    await _ensure_editable(session, account.account_id, tag_id)
    if (
        await tag_repository.tag_member_count(session, account.account_id, tag_id)
        > rules.UNDELETABLE_TAG_FANS
    ):
        raise CgiError(45057)
    await tag_repository.delete_tag(session, account.account_id, tag_id)


async def _members(
    session: AsyncSession, account: AccountView, body: dict[str, Any]
) -> tuple[list[int], int]:
    """(follower ids, tag id) of a batch(un)tagging call; all openids must be current followers."""
    openids = rules.check_openid_list(body.get("openid_list"), limit=rules.TAGGING_MAX)
    tag_id = rules.check_tag_id(body.get("tagid"))
    await _ensure_known(session, account.account_id, tag_id)
    found = await repository.followers_by_openid(session, account.account_id, openids)
    if len(found) != len(openids) or not all(f.subscribed for f in found.values()):
        raise CgiError(40003)
    return sorted(f.id for f in found.values()), tag_id


async def tag_members(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> None:
    follower_ids, tag_id = await _members(session, account, body)
    await tag_repository.lock_followers(session, follower_ids)
    if await tag_repository.over_tag_limit(session, follower_ids, tag_id, rules.TAGS_PER_FOLLOWER):
        raise CgiError(45059)
    await tag_repository.add_tag(session, account.account_id, follower_ids, tag_id)


async def untag_members(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> None:
    follower_ids, tag_id = await _members(session, account, body)
    await tag_repository.remove_tag(session, follower_ids, tag_id)


async def tag_followers(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> dict[str, Any]:
    """`user/tag/get`: the tag's current followers, 10,000 per page."""
    tag_id = rules.check_tag_id(body.get("tagid"))
    await _ensure_known(session, account.account_id, tag_id)
    after = await service.cursor_id(session, account.account_id, body.get("next_openid"))
    openids = await tag_repository.tag_members_page(
        session, account.account_id, tag_id, after_id=after, limit=rules.PAGE_SIZE + 1
    )
    return service.page_body(openids, limit=rules.PAGE_SIZE)


async def follower_tag_ids(
    session: AsyncSession, account: AccountView, body: dict[str, Any]
) -> dict[str, Any]:
    """`tags/getidlist`."""
    follower = await service.subscribed_follower(session, account, body.get("openid"))
    tags = await repository.tag_ids_of(session, [follower.id])
    return {"tagid_list": tags[follower.id]}
