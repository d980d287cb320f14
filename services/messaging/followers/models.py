"""Simulated followers and their tags (SPEC §5.1). The mass-send part reads these tables.

`followers` receives millions of rows in one statement, so it carries no foreign key (docs/performance.md:
an FK cuts bulk inserts 4×); `follower_tags` only ever grows by ≤ 50 rows per call, so its FK to the
follower is affordable and gives cascade on reset. Tag ids 0/1/2 are reserved and never stored in
`tags` (2 = 星标组 exists for every account), hence no FK from `follower_tags` to `tags`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from services.messaging.base import Base


class Follower(Base):
    __tablename__ = "followers"
    __table_args__ = (
        # user/get, audience and counts walk one account's subscribed followers in id order.
        Index(
            "ix_followers_account_id_id_subscribed",
            "account_id",
            "id",
            postgresql_where=text("subscribed"),
        ),
        # The few who left (console listing): costs nothing on a bulk insert of subscribed rows.
        Index(
            "ix_followers_account_id_id_unsubscribed",
            "account_id",
            "id",
            postgresql_where=text("NOT subscribed"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=False), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    # "C": byte order, so ascending openids append to the index whatever the database's collation.
    openid: Mapped[str] = mapped_column(String(28, collation="C"), unique=True)
    subscribed: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    subscribe_time: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    unsubscribe_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    gender: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    country: Mapped[str] = mapped_column(String(32), server_default=text("''"))
    province: Mapped[str] = mapped_column(String(32), server_default=text("''"))
    city: Mapped[str] = mapped_column(String(32), server_default=text("''"))
    language: Mapped[str] = mapped_column(String(8), server_default=text("'zh_CN'"))
    remark: Mapped[str] = mapped_column(String(30), server_default=text("''"))


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("account_id", "name"),)

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(30))


class FollowerTag(Base):
    __tablename__ = "follower_tags"
    __table_args__ = (
        # user/tag/get pages one tag's members in follower order; mass send filters by tag.
        Index("ix_follower_tags_account_id_tag_id_follower_id", "account_id", "tag_id", "follower_id"),
    )

    account_id: Mapped[str] = mapped_column(String(40))
    follower_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("followers.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(Integer, primary_key=True)
