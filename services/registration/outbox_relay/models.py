"""Messages waiting to be relayed to messaging's outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.base import TS, Base


class PendingMessage(Base):
    """A message for messaging's outbox, written with the state change and delivered after commit."""

    __tablename__ = "pending_messages"
    __table_args__ = (
        Index("ix_pending_messages_undelivered", "created_at", postgresql_where=text("delivered_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(Text, server_default=text("''"))
    body: Mapped[str] = mapped_column(Text, server_default=text("''"))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(TS)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    delivered_at: Mapped[datetime | None] = mapped_column(TS)
