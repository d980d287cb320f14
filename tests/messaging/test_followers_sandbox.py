"""Control plane: seeding and unsubscribing followers (R-MSG-01); the mass-send entry points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from services.messaging.followers import repository, rules
from services.messaging.followers.models import Follower, FollowerTag, Tag
from tests.messaging.factories import account_view, followers_client, seed_followers


async def count_followers(conn: AsyncConnection, account_id: str) -> int:
    async with AsyncSession(bind=conn, join_transaction_mode="create_savepoint") as session:
        return await repository.count_followers(session, account_id)


async def followers_of(conn: AsyncConnection, account_id: str) -> list[Follower]:
    rows = await conn.execute(select(Follower).where(Follower.account_id == account_id).order_by(Follower.id))
    return list(rows.all())  # type: ignore[arg-type]


@pytest.mark.rule("R-MSG-01")
class TestSeedFollowers:
    async def test_small_seed_lists_unique_wechat_shaped_openids(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with followers_client(db_conn, account) as client:
            response = await client.post(
                f"/_sandbox/accounts/{account.appid}/followers", json={"count": 1000}
            )
        assert response.status_code == 200
        body = response.json()
        assert body["created"] == 1000
        assert len(body["openids"]) == len(set(body["openids"])) == 1000
        assert all(rules.OPENID_PATTERN.match(o) for o in body["openids"])
        stored = await db_conn.scalars(
            select(Follower.openid).where(Follower.account_id == account.account_id).order_by(Follower.id)
        )
        assert list(stored) == body["openids"]

    async def test_large_seed_counts_without_listing(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with followers_client(db_conn, account) as client:
            response = await client.post(
                f"/_sandbox/accounts/{account.appid}/followers", json={"count": 1001}
            )
        assert response.json() == {"created": 1001, "openids": []}
        total = await db_conn.scalar(
            select(func.count(func.distinct(Follower.openid))).where(
                Follower.account_id == account.account_id
            )
        )
        assert total == 1001

    async def test_given_attributes_are_applied_to_every_follower(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        payload = {
            "count": 50,
            "gender": 2,
            "country": "中国",
            "province": "广东",
            "city": "深圳",
            "language": "en",
        }
        async with followers_client(db_conn, account) as client:
            await client.post(f"/_sandbox/accounts/{account.appid}/followers", json=payload)
        rows = await db_conn.execute(
            select(Follower.gender, Follower.country, Follower.province, Follower.city, Follower.language)
            .where(Follower.account_id == account.account_id)
            .distinct()
        )
        assert rows.all() == [(2, "中国", "广东", "深圳", "en")]

    async def test_unspecified_attributes_spread_deterministically(self, db_conn: AsyncConnection) -> None:
        first, second = account_view(), account_view()
        await seed_followers(db_conn, first, 400)
        await seed_followers(db_conn, second, 400)
        spreads = []
        for account in (first, second):
            rows = await db_conn.execute(
                select(Follower.gender, Follower.city, Follower.language)
                .where(Follower.account_id == account.account_id)
                .order_by(Follower.id)
            )
            spreads.append(rows.all())
        assert spreads[0] == spreads[1]
        assert {g for g, _, _ in spreads[0]} == {0, 1, 2}
        assert len({c for _, c, _ in spreads[0]}) >= 10
        assert {lang for _, _, lang in spreads[0]} == {"zh_CN", "zh_TW", "en"}

    async def test_subscribe_time_follows_the_namespace_clock(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        frozen = datetime(2030, 5, 1, 8, 0, tzinfo=UTC)
        await db_conn.execute(
            text("INSERT INTO sandbox.namespaces (namespace, frozen_at) VALUES (:ns, :at)"),
            {"ns": account.namespace, "at": frozen},
        )
        async with followers_client(db_conn, account) as client:
            await client.post(f"/_sandbox/accounts/{account.appid}/followers", json={"count": 3})
        times = await db_conn.scalars(
            select(Follower.subscribe_time).where(Follower.account_id == account.account_id).distinct()
        )
        assert list(times) == [frozen]

    async def test_count_above_a_million_is_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with followers_client(db_conn, account) as client:
            response = await client.post(
                f"/_sandbox/accounts/{account.appid}/followers", json={"count": 1_000_001}
            )
        assert response.status_code == 422
        assert await count_followers(db_conn, account.account_id) == 0

    async def test_zero_count_and_unknown_gender_are_refused(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        async with followers_client(db_conn, account) as client:
            zero = await client.post(f"/_sandbox/accounts/{account.appid}/followers", json={"count": 0})
            gender = await client.post(
                f"/_sandbox/accounts/{account.appid}/followers", json={"count": 1, "gender": 3}
            )
        assert (zero.status_code, gender.status_code) == (422, 422)

    async def test_unknown_appid_is_not_found(self, db_conn: AsyncConnection) -> None:
        async with followers_client(db_conn) as client:
            response = await client.post("/_sandbox/accounts/wxnobody/followers", json={"count": 1})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "account_not_found"


@pytest.mark.rule("R-MSG-01")
class TestUnsubscribeFollower:
    async def test_follower_leaves_with_the_clock_time(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        (openid,) = await seed_followers(db_conn, account, 1)
        async with followers_client(db_conn, account) as client:
            response = await client.post(f"/_sandbox/accounts/{account.appid}/followers/{openid}/unsubscribe")
        assert response.status_code == 200
        assert response.json()["subscribed"] is False
        (row,) = await followers_of(db_conn, account.account_id)
        assert row.subscribed is False
        assert row.unsubscribe_time is not None
        assert abs(row.unsubscribe_time - datetime.now(UTC)) < timedelta(minutes=1)

    async def test_another_accounts_openid_is_not_found(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        (openid,) = await seed_followers(db_conn, theirs, 1)
        async with followers_client(db_conn, mine, theirs) as client:
            response = await client.post(f"/_sandbox/accounts/{mine.appid}/followers/{openid}/unsubscribe")
        assert response.status_code == 404
        (row,) = await followers_of(db_conn, theirs.account_id)
        assert row.subscribed is True


class TestAudience:
    @pytest.mark.rule("R-MSG-24")
    async def test_only_the_accounts_subscribed_followers_match(self, db_conn: AsyncConnection) -> None:
        mine, theirs = account_view(), account_view()
        openids = await seed_followers(db_conn, mine, 5)
        await seed_followers(db_conn, theirs, 5)
        await db_conn.execute(
            Follower.__table__.update().where(Follower.openid == openids[0]).values(subscribed=False)
        )
        rows = (await db_conn.execute(repository.audience(mine.account_id))).all()
        assert sorted(o for _, o in rows) == sorted(openids[1:])
        assert await count_followers(db_conn, mine.account_id) == 4

    @pytest.mark.rule("R-MSG-20")
    async def test_filters_combine(self, db_conn: AsyncConnection) -> None:
        account = account_view()
        men_gz = await seed_followers(db_conn, account, 3, gender=1, province="广东", city="广州")
        await seed_followers(db_conn, account, 3, gender=2, province="广东", city="广州")
        await seed_followers(db_conn, account, 3, gender=1, province="北京", city="朝阳")
        await db_conn.execute(Tag.__table__.insert().values(account_id=account.account_id, id=100, name="t"))
        first = await db_conn.scalar(select(Follower.id).where(Follower.openid == men_gz[0]))
        await db_conn.execute(
            FollowerTag.__table__.insert().values(
                account_id=account.account_id, follower_id=first, tag_id=100
            )
        )
        query = repository.audience(account.account_id, gender=1, province="广东", city="广州")
        assert sorted(o for _, o in (await db_conn.execute(query)).all()) == sorted(men_gz)
        tagged = repository.audience(account.account_id, tag_id=100)
        assert [o for _, o in (await db_conn.execute(tagged)).all()] == [men_gz[0]]
        listed = repository.audience(account.account_id, openids=[men_gz[1], "o" * 28])
        assert [o for _, o in (await db_conn.execute(listed)).all()] == [men_gz[1]]
