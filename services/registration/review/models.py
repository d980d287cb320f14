"""Reviews of step 5 submissions (SPEC §3.4)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from services.registration.base import TS, Base


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
