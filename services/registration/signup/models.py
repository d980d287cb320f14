"""What guards sign-up: captchas, activation links and SMS codes."""

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.base import TS, Base


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
