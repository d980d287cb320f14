"""Operator sessions and access tokens."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.base import TS, Base


class OperatorSession(Base):
    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    revoked_at: Mapped[datetime | None] = mapped_column(TS)


class AccessToken(Base):
    """`/cgi-bin/token` (pool `token`) and `/cgi-bin/stable_token` (pool `stable`) tokens."""

    __tablename__ = "access_tokens"
    __table_args__ = (Index("ix_access_tokens_account_pool", "account_id", "pool", "issued_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    pool: Mapped[str] = mapped_column(String(10))
    # Only stable tokens keep their value: the stable pool hands the same token out again.
    token: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    # End of validity once a newer token replaced this one (issue time + grace).
    valid_until: Mapped[datetime | None] = mapped_column(TS)
    forced: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
