"""Accounts, from step 1 to termination, and the documents uploaded for them."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.base import TS, Base


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
        # R-REG-32 / R-DER-04: a WeChat ID belongs to at most one non-terminated account.
        Index(
            "uq_accounts_live_wechat_id",
            text("lower(wechat_id)"),
            unique=True,
            postgresql_where=text("status <> 'terminated'"),
        ),
        # R-CER-08: terminated accounts whose certification registration has not yet ended (retried).
        Index(
            "ix_accounts_certification_to_end",
            "id",
            postgresql_where=text(
                "status = 'terminated' AND appid IS NOT NULL AND certification_ended_at IS NULL"
            ),
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

    wechat_id: Mapped[str | None] = mapped_column(String(20))
    # R-DER-03 / FAQ 17: the administrator's WeChat, where deregistration notices also go.
    admin_wechat: Mapped[str | None] = mapped_column(String(20))
    login_email_changed_at: Mapped[datetime | None] = mapped_column(TS)
    avatar_changed_at: Mapped[datetime | None] = mapped_column(TS)
    last_login_at: Mapped[datetime | None] = mapped_column(TS)
    # R-REG-20: wrong passwords within a 15-minute window, and the lock they cause.
    failed_logins: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    failed_login_window_at: Mapped[datetime | None] = mapped_column(TS)
    login_locked_until: Mapped[datetime | None] = mapped_column(TS)

    terminated_at: Mapped[datetime | None] = mapped_column(TS)
    termination_reason: Mapped[str | None] = mapped_column(Text)
    # R-CER-08: when certification confirmed the end of a terminated account's certification.
    certification_ended_at: Mapped[datetime | None] = mapped_column(TS)


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
