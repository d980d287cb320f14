"""Granted certifications (认证), one row per certified account."""

from datetime import datetime

from sqlalchemy import DateTime, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from services.certification.base import Base


class Certification(Base):
    """A granted certification (认证). The application flow (R-CER-*) comes in a later issue."""

    __tablename__ = "certifications"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    certified_name: Mapped[str] = mapped_column(String(64))
    certification_text: Mapped[str] = mapped_column(Text, default="")
    certified_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
