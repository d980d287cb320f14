"""Followers (R-MSG-01, R-MSG-02): seeding, the follower list, user info, remarks, console listing.

Another account's openid is treated exactly like one that does not exist (40003 / 404).
Tags live in `tags.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.registration.schemas import AccountView
from servicekit import clock
from servicekit.errors import BadRequest, CgiError, NotFound
from servicekit.reads import ReadConnection
from services.messaging.followers import repository, rules
from services.messaging.followers.models import Follower
from services.messaging.followers.schemas import FollowerPage, FollowerView


@dataclass(frozen=True)
class SeedRequest:
    count: int
    gender: int | None = None
    country: str | None = None
    province: str | None = None
    city: str | None = None
    language: str | None = None


async def seed_followers(
    session: AsyncSession, account: AccountView, request: SeedRequest, *, list_openids: bool | None = None
) -> list[str]:
    """Create `request.count` followers in one statement, subscribed now (the account's clock).

    Returns their openids in creation order when at most SEED_LIST_MAX were asked for (SPEC §7.1)
    or `list_openids` says so, else [].
    """
    now = await clock.now(session, account.namespace)
    genders = [request.gender] if request.gender is not None else rules.spread(rules.GENDER_BUCKETS)
    languages = [request.language] if request.language else rules.spread(rules.LANGUAGE_BUCKETS)
    return await repository.seed(
        session,
        account_id=account.account_id,
        namespace=account.namespace,
        count=request.count,
        now=now,
        genders=genders,
        languages=languages,
        regions=rules.region_spread(request.country, request.province, request.city),
        return_openids=request.count <= rules.SEED_LIST_MAX if list_openids is None else list_openids,
    )


async def unsubscribe(session: AsyncSession, account: AccountView, openid: str) -> Follower:
    """The follower leaves (once: a second call changes nothing). Unknown here → 404."""
    follower = await repository.follower(session, account.account_id, openid)
    if follower is None:
        raise NotFound("该账号没有这个关注者", code="follower_not_found", field="openid")
    if follower.subscribed:
        now = await clock.now(session, account.namespace)
        await repository.unsubscribe(session, follower.id, now=now)
        await session.refresh(follower)
    return follower


async def cursor_id(session: AsyncSession, account_id: str, openid: object) -> int:
    """The follower id a `next_openid` stands for (0 = from the start); not this account's → 40003."""
    if openid in (None, ""):
        return 0
    if not isinstance(openid, str):
        raise CgiError(40003)
    follower = await repository.follower(session, account_id, openid)
    if follower is None:
        raise CgiError(40003)
    return follower.id


def page_body(openids: list[str], *, limit: int, **extra: Any) -> dict[str, Any]:
    """WeChat's list page: no `data` when empty, `next_openid` "" on the last page."""
    page = openids[:limit]
    body: dict[str, Any] = {**extra, "count": len(page)}
    if page:
        body["data"] = {"openid": page}
    body["next_openid"] = page[-1] if len(openids) > limit else ""
    return body


async def follower_list(
    conn: ReadConnection, account: AccountView, next_openid: str | None
) -> dict[str, Any]:
    """`user/get`: 10,000 subscribed openids per page in follow order (a hot read)."""
    after = 0
    if next_openid:  # the cursor must be one of this account's followers, as in `cursor_id`
        found = await repository.follower_id(conn, account.account_id, next_openid)
        if found is None:
            raise CgiError(40003)
        after = found
    # One row more than a page tells whether another page follows.
    total, openids = await repository.subscribed_total_and_page(
        conn, account.account_id, after_id=after, limit=rules.PAGE_SIZE + 1
    )
    return page_body(openids, limit=rules.PAGE_SIZE, total=total)


class FollowerFields(Protocol):
    """What `_info` reads: an ORM `Follower` or a `repository.FollowerCard`."""

    @property
    def openid(self) -> str: ...
    @property
    def subscribed(self) -> bool: ...
    @property
    def language(self) -> str: ...
    @property
    def subscribe_time(self) -> datetime: ...
    @property
    def remark(self) -> str: ...


def _info(follower: FollowerFields, tag_ids: list[int]) -> dict[str, Any]:
    if not follower.subscribed:
        return {"subscribe": 0, "openid": follower.openid}
    return {
        "subscribe": 1,
        "openid": follower.openid,
        "language": follower.language,
        "subscribe_time": int(follower.subscribe_time.timestamp()),
        "remark": follower.remark,
        "groupid": 0,
        "tagid_list": tag_ids,
        "subscribe_scene": rules.SUBSCRIBE_SCENE,
        "qr_scene": 0,
        "qr_scene_str": "",
    }


async def user_info(
    conn: ReadConnection, account: AccountView, openid: str | None, lang: str | None
) -> dict[str, Any]:
    """`user/info` (a hot read). `lang` is accepted whatever it says (wechatpy's docs even send
    "zh-CN"): WeChat no longer localises any field it returns."""
    if not openid:
        raise CgiError(41009)
    card = await repository.follower_card(conn, account.account_id, openid)
    if card is None:
        raise CgiError(40003)
    return _info(card, card.tag_ids)


async def user_info_batch(
    session: AsyncSession, account: AccountView, body: dict[str, Any]
) -> dict[str, Any]:
    """`user/info/batchget`: ≤ 100 users, in the order asked; one unknown openid refuses the call."""
    user_list = body.get("user_list")
    if user_list is None:
        raise CgiError(47001)
    if not isinstance(user_list, list) or not user_list or len(user_list) > rules.BATCHGET_MAX:
        raise CgiError(40032)
    openids: list[str] = []
    for item in user_list:
        if not isinstance(item, dict):
            raise CgiError(47001)
        openid = item.get("openid")
        if not openid:
            raise CgiError(41009)
        if not isinstance(openid, str):
            raise CgiError(40003)
        openids.append(openid)
    found = await repository.followers_by_openid(session, account.account_id, openids)
    if len(found) != len(set(openids)):
        raise CgiError(40003)
    tags = await repository.tag_ids_of(session, [f.id for f in found.values()])
    return {"user_info_list": [_info(found[o], tags[found[o].id]) for o in openids]}


async def subscribed_follower(session: AsyncSession, account: AccountView, openid: object) -> Follower:
    """A current follower of this account named in a JSON body: missing → 41009, else → 40003."""
    if not openid:
        raise CgiError(41009)
    if not isinstance(openid, str):
        raise CgiError(40003)
    follower = await repository.follower(session, account.account_id, openid)
    if follower is None or not follower.subscribed:
        raise CgiError(40003)
    return follower


async def update_remark(session: AsyncSession, account: AccountView, body: dict[str, Any]) -> None:
    follower = await subscribed_follower(session, account, body.get("openid"))
    if "remark" not in body:
        raise CgiError(47001)
    remark = rules.check_remark(body["remark"])
    await repository.set_remark(session, follower.id, remark)


async def _tag_visible(session: AsyncSession, account_id: str, tag_id: int) -> bool:
    if tag_id == rules.STAR_TAG_ID:
        return True
    return tag_id not in rules.RESERVED_TAG_IDS and await repository.tag_exists(session, account_id, tag_id)


def console_item(follower: Follower, tag_ids: list[int]) -> FollowerView:
    return FollowerView(
        openid=follower.openid,
        subscribed=follower.subscribed,
        subscribe_time=follower.subscribe_time.astimezone(clock.SHANGHAI).isoformat(),
        unsubscribe_time=(
            follower.unsubscribe_time.astimezone(clock.SHANGHAI).isoformat()
            if follower.unsubscribe_time
            else None
        ),
        gender=follower.gender,
        country=follower.country,
        province=follower.province,
        city=follower.city,
        language=follower.language,
        remark=follower.remark,
        tag_ids=tag_ids,
    )


async def console_list(
    session: AsyncSession,
    account: AccountView,
    *,
    subscribed: bool,
    tag_id: int | None,
    limit: int,
    cursor: str | None,
) -> FollowerPage:
    """The console's follower list: `cursor` is opaque (the last follower id of the previous page)."""
    if tag_id is not None and not await _tag_visible(session, account.account_id, tag_id):
        raise NotFound("没有这个标签", code="tag_not_found", field="tag_id")
    after = 0
    if cursor:
        if not cursor.isdigit() or len(cursor) > 18:  # a follower id, an int8
            raise BadRequest("分页游标无效", code="invalid_cursor", field="cursor")
        after = int(cursor)
    total, page = await repository.console_page(
        session, account.account_id, subscribed=subscribed, tag_id=tag_id, after_id=after, limit=limit + 1
    )
    more = len(page) > limit
    page = page[:limit]
    tags = await repository.tag_ids_of(session, [f.id for f in page])
    return FollowerPage(
        total=total,
        items=[console_item(f, tags[f.id]) for f in page],
        next_cursor=str(page[-1].id) if more else None,
    )
