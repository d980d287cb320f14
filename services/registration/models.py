"""Tables of the `registration` schema: accounts and everything that leads to or guards them."""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit.db import make_metadata

SCHEMA = "registration"
TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)


class Account(Base):
    """One registration, from step 1 to termination. Timestamps are sandbox (virtual) time."""

    __tablename__ = "accounts"
    __table_args__ = (
        # R-REG-01: an e-mail belongs to at most one non-terminated account.
        Index(
            "uq_accounts_live_email",
            text("lower(email)"),
            unique=True,
            postgresql_where=text("status <> 'terminated'"),
        ),
        Index("ix_accounts_operator_id_number", "operator_id_number"),
        Index("ix_accounts_operator_phone", "operator_phone"),
        Index("ix_accounts_status_namespace", "status", "namespace"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(TS)
    activation_expires_at: Mapped[datetime | None] = mapped_column(TS)
    activated_at: Mapped[datetime | None] = mapped_column(TS)

    subject_type: Mapped[str | None] = mapped_column(String(20))
    government_name: Mapped[str | None] = mapped_column(String(64))
    operator_name: Mapped[str | None] = mapped_column(String(30))
    operator_id_number: Mapped[str | None] = mapped_column(String(18))
    operator_phone: Mapped[str | None] = mapped_column(String(11))
    subject_submitted_at: Mapped[datetime | None] = mapped_column(TS)

    name: Mapped[str | None] = mapped_column(String(32))
    intro: Mapped[str | None] = mapped_column(String(120))
    region_country: Mapped[str | None] = mapped_column(String(32))
    region_province: Mapped[str | None] = mapped_column(String(32))
    region_city: Mapped[str | None] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(8))
    category: Mapped[str | None] = mapped_column(String(64))
    profile_submitted_at: Mapped[datetime | None] = mapped_column(TS)

    appid: Mapped[str | None] = mapped_column(String(18), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    original_id: Mapped[str | None] = mapped_column(String(15), unique=True)
    approved_at: Mapped[datetime | None] = mapped_column(TS)

    wechat_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    login_email_changed_at: Mapped[datetime | None] = mapped_column(TS)
    avatar_changed_at: Mapped[datetime | None] = mapped_column(TS)
    last_login_at: Mapped[datetime | None] = mapped_column(TS)
    # R-REG-20: wrong passwords within a 15-minute window, and the lock they cause.
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed_login_window_at: Mapped[datetime | None] = mapped_column(TS)
    login_locked_until: Mapped[datetime | None] = mapped_column(TS)

    terminated_at: Mapped[datetime | None] = mapped_column(TS)
    termination_reason: Mapped[str | None] = mapped_column(Text)


class Review(Base):
    """One submission of step 5 and its decision (SPEC §3.4)."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index(
            "uq_reviews_one_pending",
            "account_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_reviews_status_deadline", "status", "deadline"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    namespace: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20), server_default=text("'registration'"))
    status: Mapped[str] = mapped_column(String(20))
    submitted_at: Mapped[datetime] = mapped_column(TS)
    deadline: Mapped[datetime] = mapped_column(TS)
    decided_at: Mapped[datetime | None] = mapped_column(TS)
    decided_by: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class Captcha(Base):
    __tablename__ = "captchas"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime] = mapped_column(TS)
    used_at: Mapped[datetime | None] = mapped_column(TS)


class ActivationToken(Base):
    __tablename__ = "activation_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    is_resend: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    used_at: Mapped[datetime | None] = mapped_column(TS)
    voided_at: Mapped[datetime | None] = mapped_column(TS)


class SmsCode(Base):
    __tablename__ = "sms_codes"
    __table_args__ = (Index("ix_sms_codes_phone_created_at", "phone", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(11))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    wrong_tries: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    used_at: Mapped[datetime | None] = mapped_column(TS)


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


class Document(Base):
    """An uploaded file (authorization letter, operator photo, avatar): the latest per kind."""

    __tablename__ = "documents"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
