"""`/cgi-bin/user/*`: follower list, user info, batch info, remarks (R-MSG-02)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from contracts.registration.schemas import AccountView
from services.messaging.followers.models import Follower
from tests.messaging.factories import CgiApi, account_view, messaging_client, seed_followers


async def cgi_get(
    client: httpx.AsyncClient, account: AccountView, path: str, **params: str
) -> dict[str, Any]:
    response = await client.get(f"/cgi-bin/{path}", params=params, headers=CgiApi(client, account).headers)
    assert response.status_code == 200
    return dict(response.json())


async def unsubscribe(conn: AsyncConnection, openid: str) -> None:
    await conn.execute(update(Follower).where(Follower.openid == openid).values(subscribed=False))


@pytest.mark.rule("R-MSG-02")
class TestUserGet:
    async def test_pages_of_ten_thousand_cross_the_boundary(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 10_001)
        async with messaging_client(db_conn) as client:
            first = await cgi_get(client, account, "user/get")
            second = await cgi_get(client, account, "user/get", next_openid=first["next_openid"])
        assert first["total"] == 10_001
        assert first["count"] == 10_000
        assert first["data"]["openid"] == openids[:10_000]
        assert first["next_openid"] == openids[9_999]
        assert second == {
            "total": 10_001,
            "count": 1,
            "data": {"openid": [openids[10_000]]},
            "next_openid": "",
        }

    async def test_no_followers_has_no_data(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account, "user/get")
        assert body == {"total": 0, "count": 0, "next_openid": ""}

    async def test_unsubscribed_followers_are_left_out(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 3)
        await unsubscribe(db_conn, openids[1])
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account, "user/get")
        assert body["total"] == 2
        assert body["data"]["openid"] == [openids[0], openids[2]]

    async def test_another_accounts_openid_as_cursor_is_invalid(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        await seed_followers(db_conn, mine, 2)
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, mine, "user/get", next_openid=foreign)
        assert body["errcode"] == 40003

    async def test_uncertified_service_account_is_unauthorized(self, db_conn: AsyncConnection) -> None:
        account = account_view(certified=False)
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account, "user/get")
        assert body["errcode"] == 48001


@pytest.mark.rule("R-MSG-02")
class TestUserInfo:
    async def test_follower_info_has_wechat_fields(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1, language="zh_TW")
        subscribed_at = await db_conn.scalar(select(Follower.subscribe_time).where(Follower.openid == openid))
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account, "user/info", openid=openid, lang="zh_CN")
        assert body == {
            "subscribe": 1,
            "openid": openid,
            "language": "zh_TW",
            "subscribe_time": int(subscribed_at.timestamp()),
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_OTHERS",
            "qr_scene": 0,
            "qr_scene_str": "",
        }

    async def test_unsubscribed_follower_shows_subscribe_zero(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        await unsubscribe(db_conn, openid)
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account, "user/info", openid=openid)
        assert body == {"subscribe": 0, "openid": openid}

    async def test_another_accounts_openid_is_invalid(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, mine, "user/info", openid=foreign)
        assert body["errcode"] == 40003

    async def test_missing_openid(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await cgi_get(client, account_view(), "user/info")
        assert body["errcode"] == 41009


@pytest.mark.rule("R-MSG-02")
class TestUserInfoBatchGet:
    async def test_returns_users_in_the_order_asked(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 3)
        await unsubscribe(db_conn, openids[0])
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json(
                "user/info/batchget",
                {"user_list": [{"openid": o, "lang": "zh_CN"} for o in reversed(openids)]},
            )
        users = body["user_info_list"]
        assert [u["openid"] for u in users] == list(reversed(openids))
        assert [u["subscribe"] for u in users] == [1, 1, 0]

    async def test_hundred_and_one_users_is_too_many(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 101)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            too_many = await api.post_json(
                "user/info/batchget", {"user_list": [{"openid": o} for o in openids]}
            )
            hundred = await api.post_json(
                "user/info/batchget", {"user_list": [{"openid": o} for o in openids[:100]]}
            )
        assert too_many["errcode"] == 40032
        assert len(hundred["user_info_list"]) == 100

    async def test_one_foreign_openid_refuses_the_batch(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (own,) = await seed_followers(db_conn, mine, 1)
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, mine).post_json(
                "user/info/batchget", {"user_list": [{"openid": own}, {"openid": foreign}]}
            )
        assert body["errcode"] == 40003

    async def test_entry_without_openid(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json(
                "user/info/batchget", {"user_list": [{"lang": "zh_CN"}]}
            )
        assert body["errcode"] == 41009

    async def test_empty_body(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with messaging_client(db_conn) as client:
            response = await client.post(
                "/cgi-bin/user/info/batchget", content=b"", headers=CgiApi(client, account).headers
            )
        assert response.json()["errcode"] == 44002


@pytest.mark.rule("R-MSG-02")
class TestUpdateRemark:
    async def test_remark_is_stored_and_shown(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json(
                "user/info/updateremark", {"openid": openid, "remark": "交警支队"}
            )
            info = await cgi_get(client, account, "user/info", openid=openid)
        assert body == {"errcode": 0, "errmsg": "ok"}
        assert info["remark"] == "交警支队"

    async def test_thirty_byte_remark_is_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json(
                "user/info/updateremark", {"openid": openid, "remark": "一二三四五六七八九十"}
            )
        assert body["errcode"] == 40092
        assert await db_conn.scalar(select(Follower.remark).where(Follower.openid == openid)) == ""

    async def test_another_accounts_follower_cannot_be_renamed(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, mine).post_json(
                "user/info/updateremark", {"openid": foreign, "remark": "x"}
            )
        assert body["errcode"] == 40003
        assert await db_conn.scalar(select(Follower.remark).where(Follower.openid == foreign)) == ""

    async def test_missing_openid(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("user/info/updateremark", {"remark": "x"})
        assert body["errcode"] == 41009
