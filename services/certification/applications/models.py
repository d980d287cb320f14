"""Applications for certification (SPEC §4.1) with their review (SPEC §3.4, kind=certification)."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.certification.base import TS, Base


class Application(Base):
    """One application (initial or renewal) and its review decision. At most one is pending per
    account (R-CER-01), enforced by a partial unique index."""

    __tablename__ = "applications"
    __table_args__ = (
        Index(
            "uq_applications_one_pending",
            "account_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_applications_pending_deadline", "deadline", postgresql_where=text("status = 'pending'")),
        Index("ix_applications_account", "account_id", "submitted_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    review_id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(String(40))
    namespace: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))
    certified_name: Mapped[str] = mapped_column(String(64))
    institution_name: Mapped[str] = mapped_column(String(64))
    form: Mapped[dict[str, Any]] = mapped_column(JSONB)
    notify_email: Mapped[str | None] = mapped_column(String(254))
    submitted_at: Mapped[datetime] = mapped_column(TS)
    deadline: Mapped[datetime] = mapped_column(TS)
    decided_at: Mapped[datetime | None] = mapped_column(TS)
    decided_by: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)


class ApplicationFile(Base):
    """A scan uploaded with an application, kept as sent (its real type judged from its content)."""

    __tablename__ = "application_files"

    application_id: Mapped[str] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(40), primary_key=True)
    format: Mapped[str] = mapped_column(String(10))
    content_type: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
