"""Deregistration's tables (SPEC §6.2): what the scheduler knows of each account, the notices it sent,
the terminations it asked for, and its messages on their way to messaging's outbox."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, SmallInteger, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from contracts.messaging.relay import PendingMessageColumns
from services.scheduler.base import Base

TS = DateTime(timezone=True)


class DeregistrationAccount(Base):
    """An account as the lifecycle facts describe it, the next instant a step of its schedule is due
    (`next_due_at`, null when none is: not activated, terminated, or every step performed) and the
    instant its current cycle ends in termination (`terminates_at`: where an advance stops, so every
    service sees the termination before what follows it)."""

    __tablename__ = "deregistration_accounts"
    __table_args__ = (
        Index(
            "ix_deregistration_accounts_due", "next_due_at", postgresql_where=text("next_due_at IS NOT NULL")
        ),
        Index(
            "ix_deregistration_accounts_namespace_due",
            "namespace",
            "next_due_at",
            postgresql_where=text("next_due_at IS NOT NULL"),
        ),
        Index(
            "ix_deregistration_accounts_namespace_terminates",
            "namespace",
            "terminates_at",
            postgresql_where=text("terminates_at IS NOT NULL"),
        ),
    )

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    signed_up_at: Mapped[datetime | None] = mapped_column(TS)
    activated_at: Mapped[datetime | None] = mapped_column(TS)
    approved_at: Mapped[datetime | None] = mapped_column(TS)
    last_login_at: Mapped[datetime | None] = mapped_column(TS)
    terminated_at: Mapped[datetime | None] = mapped_column(TS)
    termination_reason: Mapped[str | None] = mapped_column(String(64))
    # Where notices go (R-DER-03), each with the (at, seq) of the fact that set it: the latest wins.
    email: Mapped[str | None] = mapped_column(String(254))
    email_at: Mapped[datetime | None] = mapped_column(TS)
    email_seq: Mapped[int | None] = mapped_column(BigInteger)
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_at: Mapped[datetime | None] = mapped_column(TS)
    phone_seq: Mapped[int | None] = mapped_column(BigInteger)
    wechat: Mapped[str | None] = mapped_column(String(20))
    wechat_at: Mapped[datetime | None] = mapped_column(TS)
    wechat_seq: Mapped[int | None] = mapped_column(BigInteger)
    next_due_at: Mapped[datetime | None] = mapped_column(TS)
    terminates_at: Mapped[datetime | None] = mapped_column(TS)


class ReceivedFact(Base):
    """Every lifecycle fact consumed, by its unique id: a fact delivered twice is applied once."""

    __tablename__ = "received_facts"

    fact_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(TS)
    received_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class DeregistrationNotice(Base):
    """A notice day performed, once per (account, cycle, day): the key makes it exactly once (R-DER-03).

    A cycle is a rule and its anchor (the sign-up for R-DER-01; approval or last login for R-DER-02).
    The last day of a cycle (`final`) is also the termination.
    """

    __tablename__ = "deregistration_notices"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(String(10), primary_key=True)
    anchor_at: Mapped[datetime] = mapped_column(TS, primary_key=True)
    day: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TS)
    terminates_at: Mapped[datetime] = mapped_column(TS)
    final: Mapped[bool] = mapped_column(Boolean)
    performed_at: Mapped[datetime] = mapped_column(TS, server_default=func.now())


class Termination(Base):
    """A termination decided at the end of a cycle, and registration's answer to it (R-DER-04).

    Pending (`acknowledged_at` null) until registration answers; retried after every clock hook.
    `outcome`: terminated, superseded (terminated otherwise before), refused (registration knew of an
    approval or login the schedule had not heard of yet), not_found.
    """

    __tablename__ = "terminations"
    __table_args__ = (
        Index("ix_terminations_pending", "at", postgresql_where=text("acknowledged_at IS NULL")),
    )

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rule: Mapped[str] = mapped_column(String(10), primary_key=True)
    anchor_at: Mapped[datetime] = mapped_column(TS, primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(TS)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(TS)
    outcome: Mapped[str | None] = mapped_column(String(20))


class PendingMessage(PendingMessageColumns, Base):
    """A deregistration notice or termination message for messaging's outbox. Its id is derived from
    (account, cycle, day, channel), so the same message can never be written twice (R-DER-03)."""

    source = "scheduler"
