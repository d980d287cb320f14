"""Console `GET /api/v1/followers`: the operator's own followers, by tag, paged by cursor."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.messaging.followers.models import Follower, FollowerTag, Tag
from tests.messaging.factories import account_headers, account_view, messaging_client, seed_followers


class TestConsoleFollowers:
    async def test_pages_with_cursor_until_none(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 5, gender=1, city="广州", province="广东")
        async with messaging_client(db_conn) as client:
            first = await client.get(
                "/api/v1/followers", params={"limit": 3}, headers=account_headers(account)
            )
            cursor = first.json()["next_cursor"]
            second = await client.get(
                "/api/v1/followers", params={"limit": 3, "cursor": cursor}, headers=account_headers(account)
            )
        assert first.status_code == 200
        assert first.json()["total"] == 5
        assert [i["openid"] for i in first.json()["items"]] == openids[:3]
        assert [i["openid"] for i in second.json()["items"]] == openids[3:]
        assert second.json()["next_cursor"] is None
        item = first.json()["items"][0]
        assert (item["gender"], item["province"], item["city"], item["subscribed"], item["tag_ids"]) == (
            1,
            "广东",
            "广州",
            True,
            [],
        )

    async def test_filter_by_tag(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 3)
        await db_conn.execute(Tag.__table__.insert().values(account_id=account.account_id, id=100, name="a"))
        fid = await db_conn.scalar(select(Follower.id).where(Follower.openid == openids[1]))
        await db_conn.execute(
            FollowerTag.__table__.insert().values(account_id=account.account_id, follower_id=fid, tag_id=100)
        )
        async with messaging_client(db_conn) as client:
            body = (
                await client.get(
                    "/api/v1/followers", params={"tag_id": 100}, headers=account_headers(account)
                )
            ).json()
        assert body["total"] == 1
        assert [(i["openid"], i["tag_ids"]) for i in body["items"]] == [(openids[1], [100])]

    async def test_unsubscribed_are_listed_apart(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 2)
        await db_conn.execute(update(Follower).where(Follower.openid == openids[0]).values(subscribed=False))
        async with messaging_client(db_conn) as client:
            current = await client.get("/api/v1/followers", headers=account_headers(account))
            left = await client.get(
                "/api/v1/followers", params={"subscribed": "false"}, headers=account_headers(account)
            )
        assert [i["openid"] for i in current.json()["items"]] == [openids[1]]
        assert [(i["openid"], i["subscribed"]) for i in left.json()["items"]] == [(openids[0], False)]

    async def test_only_own_followers_are_listed(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        await seed_followers(db_conn, theirs, 2)
        async with messaging_client(db_conn) as client:
            body = (await client.get("/api/v1/followers", headers=account_headers(mine))).json()
        assert body == {"total": 0, "items": [], "next_cursor": None}

    async def test_unknown_tag_is_not_found(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            response = await client.get(
                "/api/v1/followers", params={"tag_id": 100}, headers=account_headers(account_view())
            )
        assert response.status_code == 404

    async def test_without_session_is_unauthorized(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            response = await client.get("/api/v1/followers")
        assert response.status_code == 401

    async def test_account_in_review_is_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view(status="in_review")
        async with messaging_client(db_conn) as client:
            response = await client.get("/api/v1/followers", headers=account_headers(account))
        assert response.status_code == 403
