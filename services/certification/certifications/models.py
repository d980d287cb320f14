"""Granted certifications (认证): one row per account that was ever certified, its latest grant."""

from datetime import datetime

from sqlalchemy import Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.certification.base import TS, Base

ACTIVE = "active"


class Certification(Base):
    """The account's certification: `active` until it lapses (R-CER-07) or ends with the account
    (R-CER-08). A certified name is unique among a namespace's active certifications (R-CER-04): the
    partial unique index decides, so two concurrent approvals for one name cannot both succeed."""

    __tablename__ = "certifications"
    __table_args__ = (
        Index(
            "uq_certifications_live_name",
            "namespace",
            "certified_name",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_certifications_active_expiry", "expires_at", postgresql_where=text("status = 'active'")),
    )

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64), server_default=text("'default'"))
    application_id: Mapped[str | None] = mapped_column(String(40))
    certified_name: Mapped[str] = mapped_column(String(64))
    institution_name: Mapped[str] = mapped_column(String(64), server_default=text("''"))
    certification_text: Mapped[str] = mapped_column(Text, default="")
    certified_at: Mapped[datetime] = mapped_column(TS)
    expires_at: Mapped[datetime] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(12), server_default=text("'active'"))
    ended_at: Mapped[datetime | None] = mapped_column(TS)
    end_reason: Mapped[str | None] = mapped_column(String(40))
    notify_email: Mapped[str | None] = mapped_column(String(254))
    # The expiry each expiring notice was last sent for (R-CER-07): a renewal moves `expires_at`, so the
    # next year's notices are due again; the same expiry is never noticed twice.
    notice_90_for: Mapped[datetime | None] = mapped_column(TS)
    notice_30_for: Mapped[datetime | None] = mapped_column(TS)
    created_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())
