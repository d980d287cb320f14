"""Every SQL statement on followers and tags. Anything that scales with followers is one statement.

`audience` and `count_followers` are the mass-send part's entry points: a set-based SELECT of an
account's subscribed followers, never anyone else's.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    DateTime,
    Select,
    SmallInteger,
    String,
    bindparam,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from servicekit.reads import ReadConnection
from services.messaging.followers.models import Follower, FollowerTag, Tag

# Openid = 'o' + 6 characters fixed per account (real openids share a per-account prefix) + the row id
# as 10 hex digits + 11 base64url characters of sha256(account:id): 28 characters of [A-Za-z0-9_-].
# Unique by construction (the id), so no collision check or lock; and increasing within an account,
# so the unique index grows at its right edge instead of splitting random pages (measured: a random
# openid made the 1,000,000-row insert 2-3x slower). Attributes are picked from weighted arrays by a
# multiplicative hash of the ordinal: deterministic per request, uncorrelated between attributes.
_SEED_SQL = """
    INSERT INTO messaging.followers
        (id, account_id, namespace, openid, subscribed, subscribe_time,
         gender, country, province, city, language)
    SELECT s.id, :account_id, :namespace,
           'o' || :prefix || lpad(to_hex(s.id), 10, '0')
               || translate(substr(encode(sha256(convert_to(:account_id || ':' || s.id, 'UTF8')),
                                          'base64'), 1, 11), '+/', '-_'),
           true, :now,
           (:genders)[1 + (s.g * 2654435761 % 4294967291) % :n_genders],
           (:countries)[1 + s.r], (:provinces)[1 + s.r], (:cities)[1 + s.r],
           (:languages)[1 + (s.g * 40503 % 4294967291) % :n_languages]
    FROM (
        SELECT nextval('messaging.followers_id_seq') AS id, g,
               (g * 2246822519 % 4294967291) % :n_regions AS r
        FROM generate_series(1, :count) AS g
    ) AS s
"""


def _seed_statement(sql: str) -> TextClause:
    return text(sql).bindparams(
        bindparam("account_id", type_=String),
        bindparam("namespace", type_=String),
        bindparam("prefix", type_=String),
        bindparam("now", type_=DateTime(timezone=True)),
        bindparam("count", type_=BigInteger),
        bindparam("genders", type_=ARRAY(SmallInteger)),
        bindparam("countries", type_=ARRAY(String)),
        bindparam("provinces", type_=ARRAY(String)),
        bindparam("cities", type_=ARRAY(String)),
        bindparam("languages", type_=ARRAY(String)),
    )


SEED_SQL = _seed_statement(_SEED_SQL)
SEED_RETURNING_SQL = _seed_statement(_SEED_SQL + " RETURNING id, openid")


def openid_prefix(account_id: str) -> str:
    """Six base64url characters fixed per account, the start of each of its openids."""
    digest = hashlib.sha256(account_id.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:6]


def audience(
    account_id: str,
    *,
    tag_id: int | None = None,
    gender: int | None = None,
    country: str | None = None,
    province: str | None = None,
    city: str | None = None,
    openids: list[str] | None = None,
) -> Select[int, str]:
    """(id, openid) of the account's subscribed followers matching every given filter, set-based."""
    query = select(Follower.id, Follower.openid).where(
        Follower.account_id == account_id, Follower.subscribed.is_(True)
    )
    if tag_id is not None:
        query = query.where(
            exists().where(
                FollowerTag.account_id == account_id,
                FollowerTag.tag_id == tag_id,
                FollowerTag.follower_id == Follower.id,
            )
        )
    if gender is not None:
        query = query.where(Follower.gender == gender)
    if country is not None:
        query = query.where(Follower.country == country)
    if province is not None:
        query = query.where(Follower.province == province)
    if city is not None:
        query = query.where(Follower.city == city)
    if openids is not None:
        query = query.where(Follower.openid.in_(openids))
    return query


async def count_followers(session: AsyncSession, account_id: str) -> int:
    """How many followers the account has now (subscribed)."""
    total = await session.scalar(
        select(func.count())
        .select_from(Follower)
        .where(Follower.account_id == account_id, Follower.subscribed.is_(True))
    )
    return int(total or 0)


async def seed(
    session: AsyncSession,
    *,
    account_id: str,
    namespace: str,
    count: int,
    now: datetime,
    genders: list[int],
    languages: list[str],
    regions: tuple[list[str], list[str], list[str]],
    return_openids: bool,
) -> list[str]:
    """Insert `count` followers in one statement; their openids in creation order when asked."""
    countries, provinces, cities = regions
    params: dict[str, Any] = {
        "account_id": account_id,
        "namespace": namespace,
        "prefix": openid_prefix(account_id),
        "now": now,
        "count": count,
        "genders": genders,
        "n_genders": len(genders),
        "countries": countries,
        "provinces": provinces,
        "cities": cities,
        "n_regions": len(countries),
        "languages": languages,
        "n_languages": len(languages),
    }
    if not return_openids:
        await session.execute(SEED_SQL, params)
        return []
    rows = (await session.execute(SEED_RETURNING_SQL, params)).all()
    return [openid for _, openid in sorted(rows)]


async def follower(session: AsyncSession, account_id: str, openid: str) -> Follower | None:
    """The account's follower with this openid (subscribed or not); another account's is None."""
    return await session.scalar(
        select(Follower).where(Follower.openid == openid, Follower.account_id == account_id)
    )


async def followers_by_openid(
    session: AsyncSession, account_id: str, openids: Sequence[str]
) -> dict[str, Follower]:
    rows = await session.scalars(
        select(Follower).where(Follower.openid.in_(openids), Follower.account_id == account_id)
    )
    return {row.openid: row for row in rows}


async def unsubscribe(session: AsyncSession, follower_id: int, *, now: datetime) -> None:
    await session.execute(
        update(Follower)
        .where(Follower.id == follower_id, Follower.subscribed.is_(True))
        .values(subscribed=False, unsubscribe_time=now)
    )


async def set_remark(session: AsyncSession, follower_id: int, remark: str) -> None:
    await session.execute(update(Follower).where(Follower.id == follower_id).values(remark=remark))


async def tag_ids_of(session: AsyncSession, follower_ids: Sequence[int]) -> dict[int, list[int]]:
    """Each follower's tag ids, ascending."""
    rows = await session.execute(
        select(FollowerTag.follower_id, FollowerTag.tag_id)
        .where(FollowerTag.follower_id.in_(follower_ids))
        .order_by(FollowerTag.follower_id, FollowerTag.tag_id)
    )
    result: dict[int, list[int]] = {fid: [] for fid in follower_ids}
    for follower_id, tag_id in rows:
        result[follower_id].append(tag_id)
    return result


async def tag_exists(session: AsyncSession, account_id: str, tag_id: int) -> bool:
    found = await session.scalar(select(Tag.id).where(Tag.account_id == account_id, Tag.id == tag_id))
    return found is not None


async def console_page(
    session: AsyncSession,
    account_id: str,
    *,
    subscribed: bool,
    tag_id: int | None,
    after_id: int,
    limit: int,
) -> tuple[int, list[Follower]]:
    """(total matching, one page after `after_id`) for the console list."""
    base = select(Follower).where(Follower.account_id == account_id, Follower.subscribed.is_(subscribed))
    if tag_id is not None:
        base = base.where(
            exists().where(FollowerTag.follower_id == Follower.id, FollowerTag.tag_id == tag_id)
        )
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    page = await session.scalars(base.where(Follower.id > after_id).order_by(Follower.id).limit(limit))
    return int(total or 0), list(page)


# -- hot reads on a read connection (servicekit.db.ReadConnection): user/info and user/get ----------

FOLLOWER_CARD_SQL = """
SELECT f.openid, f.subscribed, f.language, f.subscribe_time, f.remark,
       ARRAY(SELECT t.tag_id FROM messaging.follower_tags t WHERE t.follower_id = f.id ORDER BY t.tag_id)
FROM messaging.followers f
WHERE f.openid = $1 AND f.account_id = $2
"""
FOLLOWER_ID_SQL = "SELECT id FROM messaging.followers WHERE openid = $1 AND account_id = $2"
# The count and the page in one statement: one round trip, one snapshot.
SUBSCRIBED_PAGE_SQL = """
SELECT (SELECT count(*) FROM messaging.followers WHERE account_id = $1 AND subscribed),
       ARRAY(SELECT openid FROM messaging.followers
             WHERE account_id = $1 AND subscribed AND id > $2 ORDER BY id LIMIT $3)
"""


@dataclass(frozen=True, slots=True)
class FollowerCard:
    """What user/info shows of one follower, its tag ids ascending."""

    openid: str
    subscribed: bool
    language: str
    subscribe_time: datetime
    remark: str
    tag_ids: list[int]


async def follower_card(conn: ReadConnection, account_id: str, openid: str) -> FollowerCard | None:
    """The account's follower with this openid (subscribed or not); another account's is None."""
    row = await conn.fetchrow(FOLLOWER_CARD_SQL, openid, account_id)
    if row is None:
        return None
    openid, subscribed, language, subscribe_time, remark, tag_ids = row
    return FollowerCard(openid, subscribed, language, subscribe_time, remark, list(tag_ids))


async def follower_id(conn: ReadConnection, account_id: str, openid: str) -> int | None:
    found: int | None = await conn.fetchval(FOLLOWER_ID_SQL, openid, account_id)
    return found


async def subscribed_total_and_page(
    conn: ReadConnection, account_id: str, *, after_id: int, limit: int
) -> tuple[int, list[str]]:
    """The subscribed followers' count and the openids after `after_id`, in id order (user/get)."""
    row = await conn.fetchrow(SUBSCRIBED_PAGE_SQL, account_id, after_id, limit)
    assert row is not None  # a SELECT without FROM always answers one row
    return int(row[0]), list(row[1])
