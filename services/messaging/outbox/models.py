"""Tables of the outbox and the notification centre (on services.messaging.base.Base)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.messaging.base import Base

SMTP_PENDING = "pending"
SMTP_SENDING = "sending"
SMTP_SENT = "sent"
SMTP_FAILED = "failed"


class OutboxMessage(Base):
    """One message that left the platform (R-OUT-01); `key` makes recording it idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'sms', 'wechat', 'notification')", name="channel"),
        Index(None, "recipient_key", "created_at"),
        Index(None, "account_id", "channel", "created_at"),
        Index(None, "smtp_status", "smtp_next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(320))
    # The address as filters compare it: e-mail addresses are case-insensitive, other targets are not.
    recipient_key: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text, server_default=text("''"))
    body: Mapped[str] = mapped_column(Text, server_default=text("''"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    account_id: Mapped[str | None] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(64), server_default=text("'default'"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # SMTP relay state (NULL: not relayed). Wall-clock times: relaying is infrastructure, not business.
    smtp_status: Mapped[str | None] = mapped_column(String(16))
    smtp_attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    smtp_next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    smtp_error: Mapped[str | None] = mapped_column(Text)
    smtp_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
