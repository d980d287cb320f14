"""Mass-send tables (SPEC §5.3): jobs, per-recipient deliveries, quota counters, clientmsgid claims."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Identity, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.messaging.base import Base

# WeChat msg_ids are ten-digit numbers; starting there keeps ours looking like theirs.
MSG_ID_START = 1_000_000_001


class MassJob(Base):
    """One send (R-MSG-27): accepted as SENDING, finished by the fan-out with its counts."""

    __tablename__ = "mass_jobs"
    __table_args__ = (
        # The recovery scan at start-up only ever looks for unfinished jobs.
        Index("ix_mass_jobs_sending", "id", postgresql_where=text("status = 'SENDING'")),
        Index("ix_mass_jobs_account_id_created_at", "account_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=MSG_ID_START), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(64))
    appid: Mapped[str | None] = mapped_column(String(64))
    account_type: Mapped[str] = mapped_column(String(16))
    folder: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # api | console
    audience_kind: Mapped[str] = mapped_column(String(16))  # all | tag | openids | preview
    audience: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    msgtype: Mapped[str] = mapped_column(String(16))
    content: Mapped[str | None] = mapped_column(Text)
    media_id: Mapped[str | None] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    clientmsgid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'SENDING'"))
    total_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    filter_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    sent_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MassDelivery(Base):
    """What one follower received. No foreign keys: millions of rows per send (docs/performance.md).

    The primary key is the only index: it leads with the follower (the inbox reads by follower) and
    makes a second delivery of one message to one follower impossible.
    """

    __tablename__ = "mass_deliveries"

    follower_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    msg_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MassCounter(Base):
    """Sends used in one quota period (R-MSG-23; kind `mass`) or previews in one day (kind `preview`).

    Incremented with a conditional upsert, so the limit holds under concurrent sends.
    """

    __tablename__ = "mass_counters"
    __table_args__ = (CheckConstraint("used <= quota_limit", name="used_within_limit"),)

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    period_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    period: Mapped[str] = mapped_column(String(8))
    account_type: Mapped[str | None] = mapped_column(String(16))
    quota_limit: Mapped[int] = mapped_column(Integer)
    used: Mapped[int] = mapped_column(Integer)
    resets_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MassClientMsgId(Base):
    """R-MSG-26: the latest send per (account, clientmsgid); a claim within 24 h of it is a repeat."""

    __tablename__ = "mass_clientmsgids"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    clientmsgid: Mapped[str] = mapped_column(String(64), primary_key=True)
    msg_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
