"""`/cgi-bin/tags/*` and `user/tag/get` (R-MSG-02): limits, reserved ids, members, other accounts."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from contracts.registration.schemas import AccountView
from services.messaging.followers.models import Follower, FollowerTag, Tag
from tests.messaging.factories import CgiApi, account_view, messaging_client, seed_followers


async def create_tags(api: CgiApi, *names: str) -> list[int]:
    ids = []
    for name in names:
        body = await api.post_json("tags/create", {"tag": {"name": name}})
        ids.append(body["tag"]["id"])
    return ids


async def tag_ids_in_db(conn: AsyncConnection, account: AccountView) -> list[int]:
    rows = await conn.scalars(select(Tag.id).where(Tag.account_id == account.account_id).order_by(Tag.id))
    return list(rows)


@pytest.mark.rule("R-MSG-02")
class TestCreateTag:
    async def test_ids_start_at_one_hundred(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json("tags/create", {"tag": {"name": "广东"}})
            second = await CgiApi(client, account).post_json("tags/create", {"tag": {"name": "北京"}})
        assert body == {"tag": {"id": 100, "name": "广东"}}
        assert second["tag"]["id"] == 101

    async def test_hundred_and_first_tag_is_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        await db_conn.execute(
            Tag.__table__.insert(),
            [{"account_id": account.account_id, "id": 100 + i, "name": f"t{i}"} for i in range(100)],
        )
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json("tags/create", {"tag": {"name": "one more"}})
        assert body["errcode"] == 45056
        assert len(await tag_ids_in_db(db_conn, account)) == 100

    async def test_duplicate_and_reserved_names_are_invalid(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            await create_tags(api, "广东")
            duplicate = await api.post_json("tags/create", {"tag": {"name": "广东"}})
            star = await api.post_json("tags/create", {"tag": {"name": "星标组"}})
            empty = await api.post_json("tags/create", {"tag": {"name": ""}})
        assert (duplicate["errcode"], star["errcode"], empty["errcode"]) == (45157, 45157, 45157)
        assert await tag_ids_in_db(db_conn, account) == [100]

    async def test_name_over_thirty_bytes_is_too_long(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("tags/create", {"tag": {"name": "长" * 11}})
        assert body["errcode"] == 45158

    async def test_same_name_in_another_account_is_fine(self, db_conn: AsyncConnection) -> None:
        first, second = account_view(), account_view()
        async with messaging_client(db_conn) as client:
            await create_tags(CgiApi(client, first), "广东")
            body = await CgiApi(client, second).post_json("tags/create", {"tag": {"name": "广东"}})
        assert body == {"tag": {"id": 100, "name": "广东"}}

    async def test_missing_tag_object(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("tags/create", {"name": "x"})
        assert body["errcode"] == 47001


@pytest.mark.rule("R-MSG-02")
class TestConcurrentTagCreation:
    async def test_parallel_creates_never_pass_one_hundred(self, engine: AsyncEngine) -> None:
        from servicekit.testing import asgi_client, wire_app
        from services.messaging.app import build_app

        account = account_view()
        async with engine.begin() as conn:
            await conn.execute(
                Tag.__table__.insert(),
                [{"account_id": account.account_id, "id": 100 + i, "name": f"t{i}"} for i in range(95)],
            )
        try:
            async with asgi_client(wire_app(build_app(), engine=engine)) as client:
                api = CgiApi(client, account)
                results = await asyncio.gather(
                    *(api.post_json("tags/create", {"tag": {"name": f"new{i}"}}) for i in range(10))
                )
            created = [r for r in results if "tag" in r]
            refused = [r for r in results if r.get("errcode") == 45056]
            assert (len(created), len(refused)) == (5, 5)
            assert len({r["tag"]["id"] for r in created}) == 5
            async with engine.connect() as conn:
                total = await conn.scalar(
                    select(func.count()).select_from(Tag).where(Tag.account_id == account.account_id)
                )
            assert total == 100
        finally:
            async with engine.begin() as conn:
                await conn.execute(Tag.__table__.delete().where(Tag.account_id == account.account_id))


@pytest.mark.rule("R-MSG-02")
class TestConcurrentTagging:
    async def test_parallel_taggings_never_pass_twenty_tags(self, engine: AsyncEngine) -> None:
        from servicekit.testing import asgi_client, wire_app
        from services.messaging.app import build_app

        account = account_view()
        async with engine.begin() as conn:
            (openid,) = await seed_followers(conn, account, 1)
            follower_id = await conn.scalar(select(Follower.id).where(Follower.openid == openid))
            await conn.execute(
                Tag.__table__.insert(),
                [{"account_id": account.account_id, "id": 100 + i, "name": f"t{i}"} for i in range(24)],
            )
            await conn.execute(
                FollowerTag.__table__.insert(),
                [
                    {"account_id": account.account_id, "follower_id": follower_id, "tag_id": 100 + i}
                    for i in range(18)
                ],
            )
        try:
            async with asgi_client(wire_app(build_app(), engine=engine)) as client:
                api = CgiApi(client, account)
                results = await asyncio.gather(
                    *(
                        api.post_json(
                            "tags/members/batchtagging", {"openid_list": [openid], "tagid": 100 + i}
                        )
                        for i in range(18, 24)
                    )
                )
            assert sorted(r["errcode"] for r in results) == [0, 0, 45059, 45059, 45059, 45059]
            async with engine.connect() as conn:
                assert len(await api_ids(conn, openid)) == 20
        finally:
            async with engine.begin() as conn:
                await conn.execute(
                    Follower.__table__.delete().where(Follower.account_id == account.account_id)
                )
                await conn.execute(Tag.__table__.delete().where(Tag.account_id == account.account_id))


@pytest.mark.rule("R-MSG-02")
class TestGetTags:
    async def test_lists_star_group_and_counts_current_followers(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 3)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            (tag_id,) = await create_tags(api, "广东")
            await api.post_json("tags/members/batchtagging", {"openid_list": openids, "tagid": tag_id})
            await api.post_json("tags/members/batchtagging", {"openid_list": openids[:1], "tagid": 2})
            await db_conn.execute(
                update(Follower).where(Follower.openid == openids[2]).values(subscribed=False)
            )
            response = await client.get("/cgi-bin/tags/get", headers=api.headers)
        assert response.json() == {
            "tags": [{"id": 2, "name": "星标组", "count": 1}, {"id": tag_id, "name": "广东", "count": 2}]
        }

    async def test_another_accounts_tags_are_not_listed(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        async with messaging_client(db_conn) as client:
            await create_tags(CgiApi(client, theirs), "theirs")
            response = await client.get("/cgi-bin/tags/get", headers=CgiApi(client, mine).headers)
        assert response.json() == {"tags": [{"id": 2, "name": "星标组", "count": 0}]}


@pytest.mark.rule("R-MSG-02")
class TestUpdateTag:
    async def test_rename(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            (tag_id,) = await create_tags(api, "old")
            body = await api.post_json("tags/update", {"tag": {"id": tag_id, "name": "new"}})
        assert body == {"errcode": 0, "errmsg": "ok"}
        assert await db_conn.scalar(select(Tag.name).where(Tag.account_id == account.account_id)) == "new"

    async def test_reserved_tag_cannot_be_modified(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json(
                "tags/update", {"tag": {"id": 2, "name": "x"}}
            )
        assert body["errcode"] == 45058

    async def test_another_accounts_tag_is_unknown(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        async with messaging_client(db_conn) as client:
            (tag_id,) = await create_tags(CgiApi(client, theirs), "theirs")
            body = await CgiApi(client, mine).post_json("tags/update", {"tag": {"id": tag_id, "name": "x"}})
        assert body["errcode"] == 45159
        assert await db_conn.scalar(select(Tag.name).where(Tag.account_id == theirs.account_id)) == "theirs"

    async def test_name_of_another_tag_is_a_duplicate(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account_view())
            first, _ = await create_tags(api, "a", "b")
            body = await api.post_json("tags/update", {"tag": {"id": first, "name": "b"}})
        assert body["errcode"] == 45157


@pytest.mark.rule("R-MSG-02")
class TestDeleteTag:
    async def test_delete_removes_the_tag_and_its_memberships(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 2)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            (tag_id,) = await create_tags(api, "gone")
            await api.post_json("tags/members/batchtagging", {"openid_list": openids, "tagid": tag_id})
            body = await api.post_json("tags/delete", {"tag": {"id": tag_id}})
        assert body["errcode"] == 0
        assert await tag_ids_in_db(db_conn, account) == []
        assert (
            await db_conn.scalar(
                select(func.count()).select_from(FollowerTag).where(FollowerTag.tag_id == tag_id)
            )
            == 0
        )

    async def test_reserved_tag_cannot_be_deleted(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("tags/delete", {"tag": {"id": 1}})
        assert body["errcode"] == 45058

    async def test_unknown_tag(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("tags/delete", {"tag": {"id": 555}})
        assert body["errcode"] == 45159


@pytest.mark.rule("R-MSG-02")
class TestBatchTagging:
    async def test_tagging_shows_in_user_info_and_id_list(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            first, second = await create_tags(api, "a", "b")
            for tag_id in (second, first, 2):
                await api.post_json("tags/members/batchtagging", {"openid_list": [openid], "tagid": tag_id})
            ids = await api.post_json("tags/getidlist", {"openid": openid})
            info = (
                await client.get("/cgi-bin/user/info", params={"openid": openid}, headers=api.headers)
            ).json()
        assert ids == {"tagid_list": [2, first, second]}
        assert info["tagid_list"] == [2, first, second]

    async def test_untagging_removes_only_that_tag(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 2)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            first, second = await create_tags(api, "a", "b")
            for tag_id in (first, second):
                await api.post_json("tags/members/batchtagging", {"openid_list": openids, "tagid": tag_id})
            body = await api.post_json(
                "tags/members/batchuntagging", {"openid_list": openids[:1], "tagid": first}
            )
            left = await api.post_json("tags/getidlist", {"openid": openids[0]})
            other = await api.post_json("tags/getidlist", {"openid": openids[1]})
        assert body["errcode"] == 0
        assert left == {"tagid_list": [second]}
        assert other == {"tagid_list": [first, second]}

    async def test_fifty_one_openids_is_too_many(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 51)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            (tag_id,) = await create_tags(api, "a")
            body = await api.post_json("tags/members/batchtagging", {"openid_list": openids, "tagid": tag_id})
            fifty = await api.post_json(
                "tags/members/batchtagging", {"openid_list": openids[:50], "tagid": tag_id}
            )
        assert body["errcode"] == 40032
        assert fifty["errcode"] == 0

    async def test_twenty_first_tag_on_a_follower_is_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            tag_ids = await create_tags(api, *(f"t{i}" for i in range(21)))
            results = [
                await api.post_json("tags/members/batchtagging", {"openid_list": [openid], "tagid": t})
                for t in tag_ids
            ]
            again = await api.post_json(
                "tags/members/batchtagging", {"openid_list": [openid], "tagid": tag_ids[0]}
            )
        assert [r["errcode"] for r in results] == [0] * 20 + [45059]
        assert again["errcode"] == 0  # re-tagging with a tag it carries adds nothing
        assert len(await api_ids(db_conn, openid)) == 20

    async def test_unknown_tag(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json(
                "tags/members/batchtagging", {"openid_list": [openid], "tagid": 999}
            )
        assert body["errcode"] == 45159

    async def test_another_accounts_openid_refuses_the_whole_call(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (own,) = await seed_followers(db_conn, mine, 1)
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, mine)
            (tag_id,) = await create_tags(api, "a")
            body = await api.post_json(
                "tags/members/batchtagging", {"openid_list": [own, foreign], "tagid": tag_id}
            )
        assert body["errcode"] == 40003
        assert await api_ids(db_conn, own) == []

    async def test_missing_tagid(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account).post_json(
                "tags/members/batchtagging", {"openid_list": [openid]}
            )
        assert body["errcode"] == 47001


async def api_ids(conn: AsyncConnection, openid: str) -> list[int]:
    rows = await conn.scalars(
        select(FollowerTag.tag_id)
        .join(Follower, Follower.id == FollowerTag.follower_id)
        .where(Follower.openid == openid)
    )
    return list(rows)


@pytest.mark.rule("R-MSG-02")
class TestTagFollowers:
    async def test_pages_tag_members_and_skips_unsubscribed(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        openids = await seed_followers(db_conn, account, 4)
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account)
            (tag_id,) = await create_tags(api, "a")
            await api.post_json("tags/members/batchtagging", {"openid_list": openids[:3], "tagid": tag_id})
            await db_conn.execute(
                update(Follower).where(Follower.openid == openids[1]).values(subscribed=False)
            )
            body = await api.post_json("user/tag/get", {"tagid": tag_id, "next_openid": ""})
            after = await api.post_json("user/tag/get", {"tagid": tag_id, "next_openid": openids[0]})
        assert body == {"count": 2, "data": {"openid": [openids[0], openids[2]]}, "next_openid": ""}
        assert after == {"count": 1, "data": {"openid": [openids[2]]}, "next_openid": ""}

    async def test_empty_tag_has_no_data(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            api = CgiApi(client, account_view())
            (tag_id,) = await create_tags(api, "a")
            body: dict[str, Any] = await api.post_json("user/tag/get", {"tagid": tag_id})
        assert body == {"count": 0, "next_openid": ""}

    async def test_another_accounts_tag_is_unknown(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        async with messaging_client(db_conn) as client:
            (tag_id,) = await create_tags(CgiApi(client, theirs), "a")
            body = await CgiApi(client, mine).post_json("user/tag/get", {"tagid": tag_id})
        assert body["errcode"] == 45159


@pytest.mark.rule("R-MSG-02")
class TestGetIdList:
    async def test_another_accounts_openid_is_invalid(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (foreign,) = await seed_followers(db_conn, theirs, 1)
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, mine).post_json("tags/getidlist", {"openid": foreign})
        assert body["errcode"] == 40003

    async def test_missing_openid(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            body = await CgiApi(client, account_view()).post_json("tags/getidlist", {})
        assert body["errcode"] == 41009

    async def test_subscription_account_is_unauthorized(self, db_conn: AsyncConnection) -> None:
        async with messaging_client(db_conn) as client:
            account = account_view(account_type="subscription", certified=True)
            body = await CgiApi(client, account).post_json("tags/getidlist", {"openid": "o" * 28})
        assert body["errcode"] == 48001
